import { describe, expect, it } from 'vitest';
import { css, diverging } from './colors';
import { decodeDense, encodeDense } from './dense';
import { fakeScratch, recordingContext } from './fakecanvas';
import { drawOutputPlot, FONT, type OutputPlot } from './outputplot';
import { gridDestRect, type Extent } from './plane';
import { ScratchCanvases } from './scratch';
import strings from '../i18n/output';

const PLOT = { x: 38, y: 8, w: 200, h: 200 };
const EXTENT: Extent = [-1, 1, -1, 1];

function plot(over: Partial<OutputPlot> = {}): OutputPlot {
  return {
    mode: 'plane',
    task: 'binary',
    scale: 1,
    plot: PLOT,
    data: {
      extent: EXTENT,
      // the third training point is outside the plane but inside the clip; a NaN one is skipped
      train: { x: [[0, 0], [0.5, -0.5], [1, 1], [NaN, 0]], y: [1, 0, 1, 0] },
      test: { x: [[-0.5, 0.5]], y: [0] },
      features: ['x1', 'x2'],
      classes: 2,
    },
    detail: null,
    showTest: true,
    s: strings.en,
    ...over,
  };
}

function draw(p: OutputPlot) {
  const rec = recordingContext();
  const scratch = new ScratchCanvases(fakeScratch);
  const drawn = drawOutputPlot(rec.ctx, p, scratch);
  return { rec, scratch, drawn };
}

const arcs = (rec: ReturnType<typeof recordingContext>) => rec.of('arc').filter((c) => c.args[2] === 3.2);

describe('the plane', () => {
  it('draws a grey plot and the points until a detail frame brings the output grid', () => {
    const { rec, drawn } = draw(plot());
    expect(drawn).toEqual({ step: -1, points: 4 });
    expect(rec.of('fillRect')[1]).toMatchObject({ args: [38, 8, 200, 200], fillStyle: '#f3f4f6' });
    expect(rec.of('drawImage')).toHaveLength(0);
    // training points have a white rim, test points a dark one; colours by label
    const dots = arcs(rec);
    expect(dots.map((d) => d.args.slice(0, 2))).toEqual([
      [138, 108],
      [188, 158],
      [238, 8],
      [88, 58],
    ]);
    expect(dots.map((d) => d.strokeStyle)).toEqual(['#fff', '#fff', '#fff', '#1d2330']);
    expect(rec.of('fill').map((c) => c.fillStyle)[0]).toBe(css(diverging(1)));
  });

  it('leaves the test points out when they are hidden', () => {
    const { rec, drawn } = draw(plot({ showTest: false }));
    expect(drawn.points).toBe(3);
    expect(rec.texts()).not.toContain(strings.en.test);
    expect(rec.texts()).toContain(strings.en.training);
  });

  it("paints the output grid's image half a cell beyond the plot, smoothed, and reports its step", () => {
    const grid = decodeDense(encodeDense([3, 3], [0, 0, 0, 0.5, 0.5, 0.5, 1, 1, 1]));
    const { rec, scratch, drawn } = draw(plot({ detail: { step: 120, dense: { grid } } }));
    expect(drawn.step).toBe(120);
    const [image] = rec.of('drawImage');
    const dest = gridDestRect(PLOT, 3);
    expect(image.args).toEqual([scratch.get(3).canvas, dest.x, dest.y, dest.w, dest.h]);
    expect(image.imageSmoothingEnabled).toBe(true);
    // top image row: the highest x2, where P(class 1) = 1: blue
    const px = scratch.get(3).img.data;
    expect([...px.slice(0, 3)]).toEqual([...Uint8ClampedArray.from(diverging(1))]);
  });

  it('labels the axes x₁ and x₂ with round ticks, and the colour bar with P(class 1)', () => {
    const { rec } = draw(plot());
    const texts = rec.texts();
    const expected = ['x₁', 'x₂', '-1', '0', '1', '0.5', 'P(class 1)', 'class 1', 'class 0'];
    for (const t of expected) expect(texts).toContain(t);
    expect(rec.of('createLinearGradient')).toHaveLength(1);
    const title = rec.of('fillText').find((c) => c.args[0] === 'P(class 1)')!;
    expect(title.font).toBe(`600 ${FONT}`);
    // the legend's title stands at the canvas's right edge, 8 px in
    expect(rec.of('translate').map((c) => c.args)).toContainEqual([38 + 200 + 84 - 8, 108]);
  });

  it('shows class swatches for a multiclass task, as many as fit', () => {
    const data = { ...plot().data, classes: 20 };
    const { rec } = draw(plot({ task: 'multiclass', data, plot: { ...PLOT, h: 64 } }));
    expect(rec.texts().filter((t) => t.startsWith('class '))).toEqual(['class 0', 'class 1', 'class 2', 'class 3']);
    expect(rec.of('createLinearGradient')).toHaveLength(0);
  });

  it('labels the regression colour bar with its scale', () => {
    const { rec } = draw(plot({ task: 'regression', scale: 2.5 }));
    expect(rec.texts()).toEqual(expect.arrayContaining(['2.5', '-2.5', 'output']));
    expect(rec.texts()).not.toContain('P(class 1)');
  });
});

describe('the curve', () => {
  const curve = { shape: [3], lo: -1, hi: 1, data: Float32Array.from([-1, 0, 1]) };

  it('draws the points by (x, y) and the fit as one line across the plot', () => {
    const p = plot({
      mode: 'curve',
      task: 'regression',
      data: { ...plot().data, train: { x: [[0], [1]], y: [0, -1] }, test: null, features: ['x'] },
      detail: { step: 40, dense: { curve } },
    });
    const { rec, drawn } = draw(p);
    expect(drawn).toEqual({ step: 40, points: 2 });
    expect(arcs(rec).map((d) => d.args.slice(0, 2))).toEqual([
      [138, 108],
      [238, 208],
    ]);
    expect(rec.of('moveTo')[0].args).toEqual([38, 208]);
    const line = rec.of('lineTo').slice(0, 2).map((c) => c.args);
    expect(line).toEqual([
      [138, 108],
      [238, 8],
    ]);
    expect(rec.texts()).toEqual(expect.arrayContaining(['x', 'y', strings.en.network]));
  });

  it('reports no step until the fit arrives', () => {
    const { drawn } = draw(plot({ mode: 'curve', task: 'regression' }));
    expect(drawn.step).toBe(-1);
  });
});
