import { fittingKind, modelFits } from './layout';
import type { Options } from './api';
import { describe, expect, it } from 'vitest';
import { diverging } from './colors';
import {
  arrowTarget,
  datasetGroup,
  gridDestRect,
  gridPixels,
  groupDatasets,
  linear,
  niceTicks,
  outputColor,
  parsePreview,
  planeTransform,
  pointsExtent,
  previewUrl,
  symmetricScale,
  tickLabel,
} from './plane';

describe('transforms', () => {
  it('map a domain linearly onto a range, degenerate domains to its middle', () => {
    const f = linear(-1, 1, 0, 100);
    expect(f(-1)).toBe(0);
    expect(f(0)).toBe(50);
    expect(f(1)).toBe(100);
    expect(linear(2, 2, 0, 10)(5)).toBe(5);
  });

  it('put x1 left to right and x2 bottom to top', () => {
    const { sx, sy } = planeTransform([-2, 2, -1, 1], { x: 10, y: 20, w: 200, h: 100 });
    expect(sx(-2)).toBe(10);
    expect(sx(2)).toBe(210);
    expect(sy(-1)).toBe(120); // lowest x2 at the bottom
    expect(sy(1)).toBe(20);
    expect(sy(0)).toBe(70);
  });
});

describe('ticks', () => {
  it('are round steps inside the range', () => {
    expect(niceTicks(-1, 1, 4)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(-6.3, 6.3, 5)).toEqual([-6, -4, -2, 0, 2, 4, 6]);
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(-1.15, 1.15, 5)).toEqual([-1, -0.5, 0, 0.5, 1]);
    for (const t of niceTicks(-0.37, 2.91, 6)) {
      expect(t).toBeGreaterThanOrEqual(-0.37);
      expect(t).toBeLessThanOrEqual(2.91);
    }
  });

  it('are empty for an empty or broken range', () => {
    expect(niceTicks(1, 1)).toEqual([]);
    expect(niceTicks(2, 1)).toEqual([]);
    expect(niceTicks(NaN, 1)).toEqual([]);
  });

  it('have short labels', () => {
    expect(tickLabel(0.30000000000000004)).toBe('0.3');
    expect(tickLabel(-1)).toBe('-1');
    expect(tickLabel(0)).toBe('0');
    expect(tickLabel(0.0002)).toBe('2e-4');
  });
});

describe('output grid as an image', () => {
  it('flips the rows: the grid starts at the lowest x2, the image at the top', () => {
    // 2 x 2 grid: row 0 (lowest x2) = [0, 0.25], row 1 (highest x2) = [0.75, 1]
    const px = gridPixels([0, 0.25, 0.75, 1], 2, (v) => [v * 100, 0, 0]);
    expect(Array.from(px)).toEqual([75, 0, 0, 255, 100, 0, 0, 255, 0, 0, 0, 255, 25, 0, 0, 255]);
  });

  it('reuses the output buffer', () => {
    const out = new Uint8ClampedArray(16);
    expect(gridPixels([1, 1, 1, 1], 2, () => [1, 2, 3], out)).toBe(out);
  });

  it('is drawn half a cell beyond the plot so pixel centres sit on the sample points', () => {
    expect(gridDestRect({ x: 0, y: 0, w: 230, h: 115 }, 24)).toEqual({ x: -5, y: -2.5, w: 240, h: 120 });
  });

  it('colours binary P(class 1) as 2P - 1, regression by the scale, classes by the palette', () => {
    expect(outputColor('binary')(1)).toEqual(diverging(1));
    expect(outputColor('binary')(0)).toEqual(diverging(-1));
    expect(outputColor('binary')(0.5)).toEqual(diverging(0));
    expect(outputColor('regression', 2)(-1)).toEqual(diverging(-0.5));
    expect(outputColor('multiclass')(1)).not.toEqual(outputColor('multiclass')(0));
    expect(symmetricScale([-3, 2, NaN])).toBe(3);
    expect(symmetricScale([])).toBe(1);
  });

  it('finds an extent for points with a margin', () => {
    expect(pointsExtent([[0, 1], [10, 3]])).toEqual([-0.5, 10.5, 0.9, 3.1]);
    expect(pointsExtent([])).toEqual([-1, 1, -1, 1]);
  });
});

describe('datasets', () => {
  const sets = [
    { name: 'circle', tags: { task: 'binary', input: 'plane' } },
    { name: 'plane', tags: { task: 'regression', input: 'plane' } },
    { name: 'sine', tags: { task: 'regression', input: 'curve' } },
    { name: 'adding', tags: { task: 'regression', input: 'sequence' } },
    { name: 'digits', tags: { task: 'multiclass', input: 'image' } },
    { name: 'upload', tags: { task: 'from the file', input: 'from the file' } },
    { name: 'xor', tags: { task: 'binary', input: 'plane' } },
  ];

  it('are grouped by task and input from their tags', () => {
    expect(sets.map((d) => datasetGroup(d.tags))).toEqual([
      'classification',
      'regression',
      'regression',
      'sequences',
      'images',
      'upload',
      'classification',
    ]);
    const groups = groupDatasets(sets);
    expect(groups.map((g) => g.group)).toEqual(['classification', 'regression', 'sequences', 'images', 'upload']);
    expect(groups[0].items.map((d) => d.name)).toEqual(['circle', 'xor']);
    expect(groupDatasets(sets.slice(0, 1)).map((g) => g.group)).toEqual(['classification']);
  });

  it('switch the model kind only when it does not read the input, to the one the registry made for it', () => {
    const kind = (name: string, reads: string[], made_for: string[]) => ({ name, tags: { reads, made_for } });
    const options = {
      model_kinds: [
        kind('mlp', ['plane', 'curve', 'table', 'sequence', 'image'], ['plane', 'curve', 'table']),
        kind('cnn', ['image'], ['image']),
        kind('rnn', ['sequence'], ['sequence']),
      ],
    } as unknown as Pick<Options, 'model_kinds'>;
    expect(fittingKind(options, 'mlp', { input: 'image', task: 'multiclass' })).toBe('mlp');
    expect(fittingKind(options, 'rnn', { input: 'image', task: 'multiclass' })).toBe('cnn');
    expect(fittingKind(options, 'cnn', { input: 'sequence', task: 'binary' })).toBe('rnn');
    expect(fittingKind(options, 'cnn', { input: 'plane', task: 'binary' })).toBe('mlp');
    expect(fittingKind(options, 'rnn', { input: 'sequence', task: 'binary' })).toBe('rnn');
    expect(modelFits(options, 'cnn', { input: 'table', task: 'binary' })).toBe(false);
    // a kind the registry makes for images is picked for them, whatever its name
    const other = { model_kinds: [options.model_kinds[0], kind('vit', ['image'], ['image'])] } as typeof options;
    expect(fittingKind(other, 'rnn', { input: 'image', task: 'multiclass' })).toBe('vit');
  });

  it('move a radio group with the arrow keys, wrapping', () => {
    expect(arrowTarget('ArrowRight', 0, 3)).toBe(1);
    expect(arrowTarget('ArrowDown', 2, 3)).toBe(0);
    expect(arrowTarget('ArrowLeft', 0, 3)).toBe(2);
    expect(arrowTarget('End', 0, 3)).toBe(2);
    expect(arrowTarget('Enter', 0, 3)).toBeNull();
  });

  it('read previews and build their URLs', () => {
    const circle = { input: 'plane', task: 'binary', classes: 2, extent: [-1, 1, -1, 1], x: [[0, 0]], y: [1] };
    expect(parsePreview({ ...circle, features: ['x1', 'x2'] })).toEqual(circle);
    expect(parsePreview({ detail: 'not found' })).toBeNull();
    expect(parsePreview({ input: 'image', x: [], y: [], extent: null })?.extent).toBeNull();
    expect(previewUrl('circle', 0.1 + 0.2, 7)).toBe('/api/datasets/circle/preview?noise=0.3&seed=7');
    expect(previewUrl('upload', 0, 1, 'abc')).toBe('/api/datasets/upload/preview?noise=0&seed=1&upload=abc');
    expect(previewUrl('circle', 0, 1, 'abc')).not.toContain('upload');
  });
});
