import { describe, expect, it } from 'vitest';
import { callsOf, recordingContext } from './canvasrecorder';
import type { LabPath } from './lab';
import {
  CONTOUR_MARGIN,
  PATH_PAD,
  arrowGeometry,
  clipSegment,
  contourBox,
  dotPlace,
  drawContour,
  drawLossChart,
  lossRange,
  lossTickLabel,
  lossTicks,
  momentumPixels,
  pickPoint,
  ringRadius,
  type ContourSpec,
} from './labplot';

function path(over: Partial<LabPath> = {}): LabPath {
  return {
    optimizer: { name: 'sgd', lr: 0.1 } as LabPath['optimizer'],
    steps: 2,
    stopped: null,
    stop_reason: null,
    stopped_at: null,
    x: [-1, 0, 1],
    y: [0, 1, 2],
    loss: [4, 2, 1],
    gx: [0, 0, 0],
    gy: [0, 0, 0],
    momentum: [null, null, null],
    scale: [null, null, null],
    final_loss: 1,
    min_loss: 1,
    y_sign_changes: 0,
    ...over,
  } as LabPath;
}

const extent = [-2, 2, -1, 3];

describe('contour plot geometry', () => {
  it('puts the plot area inside the margins', () => {
    const M = CONTOUR_MARGIN;
    expect(contourBox(470, 440)).toEqual({ left: M.left, top: M.top, width: 470 - M.left - M.right, height: 440 - M.top - M.bottom });
  });

  it('turns a click into the plot point under it, on a canvas scaled by CSS, and ignores the margins', () => {
    const box = contourBox(470, 440);
    const size = { width: 470, height: 440 };
    const shown = { left: 100, top: 50, width: 235, height: 220 }; // drawn at half size
    // a quarter across and a quarter down the plot area: x = -1, y = 2 on [-2, 2] x [-1, 3]
    const cx = 100 + (box.left + box.width * 0.25) / 2;
    const cy = 50 + (box.top + box.height * 0.25) / 2;
    expect(pickPoint(box, extent, size, shown, cx, cy)).toEqual([-1, 2]);
    expect(pickPoint(box, extent, size, shown, 100 + box.left / 2 - 3, cy)).toBeNull(); // on the y axis' labels
    expect(pickPoint(box, extent, size, shown, cx, 50 + 219)).toBeNull(); // below the plot, on the x axis
    const [x] = pickPoint(box, extent, size, shown, cx + 0.123, cy)!;
    expect(String(x).split('.')[1]?.length ?? 0).toBeLessThanOrEqual(3); // rounded to 3 decimals
  });

  it('sizes the second-moment ring like a log, from 3 to at most 40 pixels, the same for either sign', () => {
    expect(ringRadius(0)).toBe(3);
    expect(ringRadius(1)).toBeGreaterThan(ringRadius(0.1));
    expect(ringRadius(-1)).toBe(ringRadius(1));
    expect(ringRadius(1e12)).toBe(40);
  });

  it('draws the update the momentum makes (-lr m), y flipped to screen pixels', () => {
    // 4 plot units over 400 px across, 4 over 400 px up
    expect(momentumPixels(0.1, [1, 2], extent, { width: 400, height: 400 })).toEqual([-10, 20]);
    expect(momentumPixels(0.2, [1, 2], extent, { width: 400, height: 400 })).toEqual([-20, 40]);
  });

  it('points the arrow exactly along the vector, with a length that saturates between 8 and 70 px', () => {
    expect(arrowGeometry(0, 0, 0, 0)).toBeNull();
    const short = arrowGeometry(10, 10, 3, 4)!;
    const long = arrowGeometry(10, 10, 3000, 4000)!;
    for (const a of [short, long]) {
      const [dx, dy] = [a.tip[0] - 10, a.tip[1] - 10];
      expect(dy / dx).toBeCloseTo(4 / 3, 9); // the direction is exact
      expect(Math.hypot(dx, dy)).toBeGreaterThanOrEqual(8);
      expect(Math.hypot(dx, dy)).toBeLessThanOrEqual(70);
    }
    expect(Math.hypot(long.tip[0] - 10, long.tip[1] - 10)).toBeCloseTo(70, 3);
    // the head's corners sit behind the tip, one on each side of the shaft
    const [l, r] = short.head;
    const side = (p: [number, number]) => Math.sign(3 * (p[1] - 10) - 4 * (p[0] - 10));
    expect(side(l)).toBe(-side(r));
  });
});

describe('drawing the contour plot', () => {
  const spec = (over: Partial<ContourSpec> = {}): ContourSpec => ({
    width: 440, // a 400 x 400 plot area: 100 px per plot unit
    height: 436,
    extent,
    minimum: [1, 1],
    minimumLabel: 'minimum',
    start: [-1, 0],
    paths: [path()],
    colors: ['#ff0000'],
    step: 1,
    ...over,
  });

  it('draws each path only up to the current step, with a dot in its colour where it is', () => {
    const { ctx, calls } = recordingContext();
    drawContour(ctx, {} as CanvasImageSource, spec({ step: 1 }));
    const box = contourBox(440, 436);
    // the path: moveTo its start, one lineTo for step 1 (to (0, 1))
    const lines = callsOf(calls, 'lineTo').map((c) => c.args);
    expect(lines).toContainEqual([200, 200]);
    expect(lines).not.toContainEqual([300, 100]); // step 2 is not drawn yet
    const dots = callsOf(calls, 'arc').filter((c) => c.args[2] === 4);
    expect(dots.map((c) => [c.args[0], c.args[1], c.style.fillStyle])).toEqual([[200, 200, '#ff0000']]);
    // the heatmap at the plot area, clipped to it, then the start point ring (radius 6) at (-1, 0)
    expect(callsOf(calls, 'drawImage')[0].args.slice(1)).toEqual([box.left, box.top]);
    expect(callsOf(calls, 'rect')[0].args).toEqual([box.left, box.top, box.width, box.height]);
    expect(callsOf(calls, 'arc').find((c) => c.args[2] === 6)?.args.slice(0, 2)).toEqual([100, 300]);
    expect(callsOf(calls, 'fillText').map((c) => c.args[0])).toContain('minimum');
  });

  it('draws nothing of a path outside the plot area: a path that runs off is cut at the edge, its dot on the edge', () => {
    const { ctx, calls } = recordingContext();
    // from (0, 1) inside to (1e6, 1e6) far outside, then (-5, 1) outside on the left, then inside again at (0, 0)
    const away = path({ x: [0, 1e6, -5, 0], y: [1, 1e6, 1, 0], loss: [1, 1, 1, 1], steps: 3 });
    const runaway = path({ x: [0, 1, 50], y: [1, 1, 1], loss: [1, 1, 1] });
    drawContour(ctx, {} as CanvasImageSource, spec({ paths: [away, runaway], colors: ['#d62728', '#1f5fd6'], step: 3 }));
    const box = contourBox(440, 436);
    const clip = calls.findIndex((c) => c.op === 'clip');
    const restore = calls.map((c) => c.op).lastIndexOf('restore');
    expect(callsOf(calls, 'rect')[0].args).toEqual([box.left, box.top, box.width, box.height]); // the clip's area
    const isLine = (c: { op: string }) => c.op === 'moveTo' || c.op === 'lineTo';
    expect(calls.slice(restore).filter(isLine)).toEqual([]); // nothing after the clip is lifted
    const lines = calls.slice(clip, restore).filter(isLine); // (before the clip: the axes' ticks)
    expect(lines.length).toBeGreaterThan(4);
    for (const c of lines) {
      const [x, y] = c.args as number[];
      expect(x).toBeGreaterThanOrEqual(-PATH_PAD);
      expect(x).toBeLessThanOrEqual(box.width + PATH_PAD);
      expect(y).toBeGreaterThanOrEqual(-PATH_PAD);
      expect(y).toBeLessThanOrEqual(box.height + PATH_PAD);
    }
    // every dot (radius 4) is inside the plot area; the runaway's, at x = 50, sits on the right edge, hollow
    const dots = callsOf(calls, 'arc').filter((c) => c.args[2] === 4);
    for (const d of dots) {
      expect(d.args[0]).toBeGreaterThanOrEqual(0);
      expect(d.args[0]).toBeLessThanOrEqual(box.width);
    }
    const edge = dots.find((d) => d.style.strokeStyle === '#1f5fd6');
    expect(edge?.args.slice(0, 2)).toEqual([box.width - 4, 200]);
    expect(edge?.style.fillStyle).toBe('#fff');
  });

  it('clips a segment to a rectangle along its own direction', () => {
    expect(clipSegment(50, 50, 150, 50, 0, 100, 100)).toEqual([50, 50, 100, 50]);
    expect(clipSegment(-50, 50, 50, 150, 0, 100, 100)).toEqual([0, 100, 0, 100]);
    expect(clipSegment(200, 0, 300, 100, 0, 100, 100)).toBeNull();
    expect(clipSegment(0, 0, NaN, 1, 0, 100, 100)).toBeNull();
    const [x0, y0, x1, y1] = clipSegment(10, 10, 1e9, 2e9, 0, 100, 100)!;
    expect([x0, y0]).toEqual([10, 10]);
    expect(y1).toBe(100);
    expect((y1 - y0) / (x1 - x0)).toBeCloseTo((2e9 - 10) / (1e9 - 10), 6);
    expect(dotPlace(50, 50, { width: 100, height: 100 })).toEqual({ x: 50, y: 50, off: false });
    expect(dotPlace(-1e6, 50, { width: 100, height: 100 })).toEqual({ x: 4, y: 50, off: true });
  });

  it('draws the ring and the arrow only where the optimizer keeps them, the arrow scaled by its own lr', () => {
    const plain = recordingContext();
    drawContour(plain.ctx, {} as CanvasImageSource, spec({ minimum: null }));
    expect(callsOf(plain.calls, 'ellipse')).toHaveLength(0);
    expect(callsOf(plain.calls, 'fill')).toHaveLength(1); // the dot only: no arrow head
    expect(callsOf(plain.calls, 'fillText').map((c) => c.args[0])).not.toContain('minimum');

    const tips = [0.01, 0.1].map((lr) => {
      const rec = recordingContext();
      const adam = path({ optimizer: { name: 'adam', lr } as LabPath['optimizer'], momentum: [null, [1, 0], null], scale: [null, [0.5, 2], null] });
      drawContour(rec.ctx, {} as CanvasImageSource, spec({ paths: [adam], minimum: null }));
      const [ring] = callsOf(rec.calls, 'ellipse');
      expect(ring.args.slice(2, 4)).toEqual([ringRadius(0.5), ringRadius(2)]);
      expect(callsOf(rec.calls, 'fill')).toHaveLength(2); // the arrow head and the dot
      // the shaft: from the current point (200, 200) against the momentum's x (the update is -lr m)
      const shaft = callsOf(rec.calls, 'lineTo').find((c) => c.style.lineWidth === 2 && c.args[1] === 200)!;
      expect(shaft.args[0] as number).toBeLessThan(200);
      return shaft.args[0] as number;
    });
    expect(tips[1]).toBeLessThan(tips[0]); // a larger lr, a longer arrow
  });
});

describe('the loss chart', () => {
  it('spans the finite transformed losses, and widens a flat or empty range', () => {
    expect(lossRange([path({ loss: [100, 10, Infinity] })], Math.log10)).toEqual([1, 2]);
    expect(lossRange([path({ loss: [3, 3] })], (v) => v)).toEqual([2.5, 3.5]);
    expect(lossRange([], (v) => v)).toEqual([0, 1]);
  });

  it('ticks a log axis at powers of ten over several decades, and between them over less', () => {
    const wide = lossTicks('log', -3.2, 1.5);
    expect(wide.decades).toBe(true);
    expect(wide.ticks.every(Number.isInteger)).toBe(true);
    expect(wide.ticks.map((t) => lossTickLabel(t, 'log', true))).toContain('1e-2');
    const narrow = lossTicks('log', Math.log10(2), Math.log10(20));
    expect(narrow.decades).toBe(false);
    expect(narrow.ticks.length).toBeGreaterThan(2);
    for (const t of narrow.ticks) expect(t).toBeGreaterThanOrEqual(Math.log10(2) - 1e-9);
    expect(lossTickLabel(Math.log10(5), 'log', false)).toBe('5');
  });

  it('labels a signed log axis with 0 and signed powers of ten', () => {
    const f = (v: number) => Math.sign(v) * Math.log10(1 + Math.abs(v));
    expect(lossTickLabel(0, 'symlog', false)).toBe('0');
    expect(lossTickLabel(f(-1000), 'symlog', false)).toBe('−1e3');
    expect(lossTickLabel(f(1e6), 'symlog', false)).toBe('1e6');
    expect(lossTicks('symlog', f(-1e6), f(10)).ticks).toContain(f(-1e6));
  });

  it('draws every path up to the current step and names the scale it used', () => {
    const { ctx, calls } = recordingContext();
    const yLabel = { log: 'loss (log)', linear: 'loss', symlog: 'loss (signed log)' };
    const scale = drawLossChart(ctx, { paths: [path(), path()], colors: ['#f00', '#00f'], step: 1, total: 2, yLabel, xLabel: 'step' });
    expect(scale).toBe('log');
    expect(callsOf(calls, 'lineTo')).toHaveLength(2); // one segment per path: steps 0 to 1
    expect(callsOf(calls, 'fillText').map((c) => c.args[0])).toEqual(expect.arrayContaining(['step', 'loss (log)']));
    // each line in its colour, over its halo
    expect(callsOf(calls, 'stroke').map((c) => c.style.strokeStyle)).toEqual(expect.arrayContaining(['#f00', '#00f']));
    const negative = recordingContext();
    expect(drawLossChart(negative.ctx, { paths: [path({ loss: [1, -5, -1e9] })], colors: ['#f00'], step: 2, total: 2, yLabel, xLabel: '' })).toBe(
      'symlog',
    );
  });
});
