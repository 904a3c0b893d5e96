import { describe, expect, it } from 'vitest';
import { diverging } from './colors';
import {
  canvasSize,
  colorBarLabels,
  outputPlaceholder,
  stepCaption,
  curvePoints,
  MAX_SIDE,
  outputMode,
  planeAxisNames,
  plotRect,
  PLOT_MARGIN,
  pointColor,
} from './outputview';
import { classColor } from './plane';

describe('what the Output panel shows', () => {
  it('draws the plane or the curve where the data has an extent, a read-out otherwise', () => {
    expect(outputMode(null)).toBe('none');
    expect(outputMode({ input: 'plane', extent: [-1, 1, -1, 1] })).toBe('plane');
    expect(outputMode({ input: 'curve', extent: [-1, 1, -2, 2] })).toBe('curve');
    expect(outputMode({ input: 'plane', extent: null })).toBe('other');
    expect(outputMode({ input: 'image', extent: null })).toBe('other');
  });
});

describe('plot geometry', () => {
  it('is a square of at most MAX_SIDE for the plane, a wide box for a curve, never under 140 px', () => {
    expect(plotRect('plane', 1000)).toEqual({ x: PLOT_MARGIN.left, y: PLOT_MARGIN.top, w: MAX_SIDE, h: MAX_SIDE });
    expect(plotRect('plane', 300)).toMatchObject({ w: 300 - 38 - 84, h: 300 - 38 - 84 });
    expect(plotRect('plane', 0)).toMatchObject({ w: 140, h: 140 });
    expect(plotRect('curve', 1000)).toMatchObject({ w: 420, h: 250 });
    expect(plotRect('curve', 322)).toMatchObject({ w: 200, h: 124 });
  });

  it('puts the legend right of the plot and two rows of text under it', () => {
    expect(canvasSize({ x: 38, y: 8, w: 250, h: 250 })).toEqual({ width: 38 + 250 + 84, height: 8 + 250 + 50 });
  });

  it('samples the fit evenly from the left edge of the plot to the right, y upwards', () => {
    const pts = curvePoints([0, 1, -1], [-1, 1, -1, 1], { x: 10, y: 0, w: 100, h: 50 });
    expect(pts).toEqual([
      [10, 25],
      [60, 0],
      [110, 50],
    ]);
    expect(curvePoints([2], [0, 1, 0, 4], { x: 0, y: 0, w: 10, h: 40 })).toEqual([[0, 20]]);
  });
});

describe('labels and colours', () => {
  it("write x1 and x2 with subscripts, keep an upload's own column names", () => {
    expect(planeAxisNames(['x1', 'x2'])).toEqual(['x₁', 'x₂']);
    expect(planeAxisNames(['height', 'weight'])).toEqual(['height', 'weight']);
    expect(planeAxisNames(null)).toEqual(['x₁', 'x₂']);
    expect(planeAxisNames(['x1'])).toEqual(['x₁', 'x₂']);
  });

  it('colour points by label: binary orange/blue, classes on the palette, regression by the scale', () => {
    expect(pointColor('binary', 1)(1)).toEqual(diverging(1));
    expect(pointColor('binary', 1)(0)).toEqual(diverging(-1));
    expect(pointColor('multiclass', 1)(3)).toEqual(classColor(3));
    expect(pointColor('regression', 4)(-2)).toEqual(diverging(-0.5));
  });

  it('label the colour bar with P(class 1) or the regression scale, top to bottom', () => {
    expect(colorBarLabels('binary', 7)).toEqual(['1', '0.5', '0']);
    expect(colorBarLabels('regression', 1.234)).toEqual(['1.23', '0', '-1.23']);
  });
});

describe('the words over the plot', () => {
  const s = {
    atStep: 'step {step}',
    untrained: 'step 0 — untrained',
    computing: 'computing',
    noPreview: 'no preview: {message}',
    waiting: 'waiting',
    nothing: 'nothing',
  };
  it('calls step 0 the untrained network, any later step by its number', () => {
    expect(stepCaption(0, s)).toBe('step 0 — untrained');
    expect(stepCaption(1, s)).toBe('step 1');
  });
  it('says, with no run, why the settings have no preview or that it is on its way', () => {
    expect(outputPlaceholder({ status: 'idle', active: false, previewError: null }, s)).toBe('computing');
    expect(outputPlaceholder({ status: 'idle', active: false, previewError: 'model: over the limit' }, s)).toBe(
      'no preview: model: over the limit',
    );
    expect(outputPlaceholder({ status: 'running', active: true, previewError: 'x' }, s)).toBe('waiting');
    expect(outputPlaceholder({ status: 'finished', active: false, previewError: null }, s)).toBe('nothing');
  });
});
