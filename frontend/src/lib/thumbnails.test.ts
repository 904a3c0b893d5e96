import { describe, expect, it } from 'vitest';
import { callsOf, recordingContext } from './canvasrecorder';
import { css, diverging, sequential } from './colors';
import { classColor, type Preview } from './plane';
import {
  THUMB_BACKGROUND,
  digitCells,
  paintThumbnail,
  pointColor,
  scatterDots,
  sequenceCells,
  targetText,
} from './thumbnails';

function preview(over: Partial<Preview>): Preview {
  return { input: 'plane', task: 'binary', classes: 2, extent: [-1, 1, -1, 1], x: [], y: [], ...over };
}

describe('point thumbnails', () => {
  it('place a plane\'s points in its extent, 3 px inside the edges, x1 rightwards and x2 upwards', () => {
    const dots = scatterDots(preview({ x: [[-1, -1], [1, 1], [0, 0]], y: [0, 1, 1] }), 50);
    expect(dots.map((d) => [d.x, d.y])).toEqual([
      [3, 47],
      [47, 3],
      [25, 25],
    ]);
    // binary labels: class 0 orange, class 1 blue
    expect(dots[0].color).toBe(css(diverging(-1)));
    expect(dots[1].color).toBe(css(diverging(1)));
  });

  it('colour classes on the palette and regression targets by their size', () => {
    expect(pointColor('multiclass', 2, 1)).toBe(css(classColor(2)));
    expect(pointColor('regression', -2, 4)).toBe(css(diverging(-0.5)));
    const dots = scatterDots(preview({ task: 'regression', x: [[0, 0], [1, 1]], y: [-3, 1.5] }), 50);
    expect(dots[0].color).toBe(css(diverging(-1))); // the largest |target| sets the scale
  });

  it('plot a curve as (x, target) in one colour, in the points\' own extent when the preview has none', () => {
    const dots = scatterDots(preview({ input: 'curve', task: 'regression', extent: null, x: [[0], [1]], y: [5, 10] }), 50);
    expect(dots[0].x).toBeLessThan(dots[1].x);
    expect(dots[0].y).toBeGreaterThan(dots[1].y); // the larger target is higher up
    expect(new Set(dots.map((d) => d.color)).size).toBe(1);
    for (const d of dots) {
      expect(d.x).toBeGreaterThanOrEqual(3);
      expect(d.x).toBeLessThanOrEqual(47);
    }
  });
});

describe('digit and sequence thumbnails', () => {
  const image = (v: number) => Array.from({ length: 8 }, () => Array<number>(8).fill(v));

  it('draw at most nine digits, 3 x 3, white for 0 and near black for 1', () => {
    const cells = digitCells([image(0), image(1), ...Array.from({ length: 10 }, () => image(0.5))], 48);
    expect(cells).toHaveLength(9 * 64);
    expect(cells[0].color).toBe('rgb(255, 255, 255)');
    expect(cells[64].color).toBe('rgb(30, 30, 30)');
    // the second digit starts one cell (48 / 3 = 16 px) to the right of the first, the fourth one row down
    expect(cells[64].x - cells[0].x).toBe(16);
    expect([cells[3 * 64].x, cells[3 * 64].y - cells[0].y]).toEqual([cells[0].x, 16]);
  });

  it("draw a sequence's features over time on its own range, at most 8 rows", () => {
    const seq = [
      [0, 10],
      [5, 10],
      [10, 10],
    ];
    const cells = sequenceCells(seq, 50);
    expect(cells).toHaveLength(3 * 2);
    expect(cells[0].color).toBe(css(sequential(0))); // the lowest value
    expect(cells[4].color).toBe(css(sequential(1))); // the highest
    expect(cells[2].x).toBeGreaterThan(cells[0].x); // time runs to the right
    expect(sequenceCells([Array(12).fill(1)], 50)).toHaveLength(8);
    expect(sequenceCells([], 50)).toEqual([]);
    expect(targetText(1.23456)).toBe('→ 1.23');
  });
});

describe('painting a thumbnail', () => {
  it('writes CSV on the upload with nothing uploaded, and leaves another blank while its preview loads', () => {
    const upload = recordingContext();
    paintThumbnail(upload.ctx, null, 'upload', 50);
    expect(callsOf(upload.calls, 'fillRect')[0].style.fillStyle).toBe(THUMB_BACKGROUND);
    expect(callsOf(upload.calls, 'fillText').map((c) => c.args)).toEqual([['CSV', 25, 25]]);
    const loading = recordingContext();
    paintThumbnail(loading.ctx, undefined, 'circle', 50);
    expect(callsOf(loading.calls, 'fillText')).toHaveLength(0);
    expect(callsOf(loading.calls, 'fillRect')).toHaveLength(1);
  });

  it('draws a dot per point, a cell per pixel, and a sequence with its target', () => {
    const points = recordingContext();
    paintThumbnail(points.ctx, preview({ x: [[0, 0], [0.5, 0.5]], y: [0, 1] }), 'circle', 50);
    expect(callsOf(points.calls, 'arc')).toHaveLength(2);
    expect(callsOf(points.calls, 'fill').map((c) => c.style.fillStyle)).toEqual([css(diverging(-1)), css(diverging(1))]);

    const digits = recordingContext();
    paintThumbnail(digits.ctx, preview({ input: 'image', task: 'multiclass', x: [[[0, 1], [1, 0]]], y: [3] }), 'digits', 50);
    expect(callsOf(digits.calls, 'fillRect')).toHaveLength(1 + 4); // the background, then 2 x 2 pixels

    const seq = recordingContext();
    paintThumbnail(seq.ctx, preview({ input: 'sequence', task: 'regression', x: [[0], [1]], y: [0.5] }), 'adding', 50);
    expect(callsOf(seq.calls, 'fillText').map((c) => c.args[0])).toEqual(['→ 0.5']);
  });
});
