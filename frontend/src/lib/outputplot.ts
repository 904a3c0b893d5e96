// The Output panel's plot painted into a 2-D canvas context: the network's output over the input plane
// (or the 1-D fit) with the data points, the axes, the legend right of the plot and the row under it
// that tells training points from test points. The geometry and colours are in outputview.ts.

import { css, diverging } from './colors';
import { fmt } from './i18n.svelte';
import { gridDestRect, gridPixels, niceTicks, outputColor, planeTransform, tickLabel, tint, classColor } from './plane';
import type { Extent, Rect } from './plane';
import type { Dense } from './dense';
import { canvasSize, colorBarLabels, curvePoints, planeAxisNames, pointColor } from './outputview';
import type { ScratchCanvases } from './scratch';
import type strings from '../i18n/output';

export const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const INK = '#4a5160';
const CURVE_DOTS = 'rgba(78, 121, 167, 0.75)';
const TRAIN_RIM = '#fff';
const TEST_RIM = '#1d2330';

/** The Output panel's strings in one language. */
export type OutputStrings = Record<keyof (typeof strings)['en'], string>;

type Points = { x: number[][]; y: number[] } | null;

export interface OutputPlot {
  mode: 'plane' | 'curve';
  task: string;
  /** Half-width of the regression colour scale (symmetricScale of the targets). */
  scale: number;
  /** The plot area (outputview.plotRect). */
  plot: Rect;
  data: { extent: Extent | null; train: Points; test: Points; features: string[] | null; classes: number };
  /** The newest detail frame: its output grid (plane) or curve, and its step. */
  detail: { step: number; dense?: { grid?: Dense; curve?: Dense } } | null;
  showTest: boolean;
  s: OutputStrings;
}

/** Paint the whole plot into `ctx` (in CSS pixels); returns the step shown (-1: no output yet) and the points drawn. */
export function drawOutputPlot(
  ctx: CanvasRenderingContext2D,
  p: OutputPlot,
  scratch: ScratchCanvases,
): { step: number; points: number } {
  const { plot, detail } = p;
  const size = canvasSize(plot);
  const extent = p.data.extent as Extent;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size.width, size.height);
  ctx.font = FONT;
  let step = -1;
  let points: number;
  if (p.mode === 'plane') {
    if (drawGrid(ctx, p, scratch)) step = detail!.step;
    const color = pointColor(p.task, p.scale);
    points = drawPoints(ctx, p, (row) => [row[0], row[1]], (y) => css(color(y)));
    planeLegend(ctx, p);
    markers(ctx, p, css(p.task === 'multiclass' ? classColor(0) : diverging(0.7)));
  } else {
    const curve = detail?.dense?.curve;
    ctx.fillStyle = '#f6f7f9';
    ctx.fillRect(plot.x, plot.y, plot.w, plot.h);
    points = drawPoints(ctx, p, (row, y) => [row[0], y], () => CURVE_DOTS);
    if (curve) {
      drawCurve(ctx, curve.data, extent, plot);
      step = detail!.step;
    }
    curveLegend(ctx, p);
    markers(ctx, p, CURVE_DOTS);
  }
  axes(ctx, extent, plot, p.mode === 'plane' ? planeAxisNames(p.data.features) : ['x', 'y']);
  return { step, points };
}

/** The output grid, smoothed as TensorFlow Playground does; a grey plot when there is none (false). */
function drawGrid(ctx: CanvasRenderingContext2D, p: OutputPlot, scratch: ScratchCanvases): boolean {
  const { plot } = p;
  const grid = p.detail?.dense?.grid;
  if (!grid || grid.shape.length !== 2 || grid.shape[0] !== grid.shape[1]) {
    ctx.fillStyle = '#f3f4f6';
    ctx.fillRect(plot.x, plot.y, plot.w, plot.h);
    return false;
  }
  const n = grid.shape[0];
  const base = outputColor(p.task, p.scale);
  const color = p.task === 'multiclass' ? (v: number) => tint(base(v), 0.45) : base;
  const image = scratch.paint(n, (px) => gridPixels(grid.data, n, color, px));
  const dest = gridDestRect(plot, n);
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.x, plot.y, plot.w, plot.h);
  ctx.clip();
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, dest.x, dest.y, dest.w, dest.h);
  ctx.restore();
  return true;
}

/** The training points (white rim) and, when shown, the test points (dark rim), clipped near the plot. */
function drawPoints(
  ctx: CanvasRenderingContext2D,
  p: OutputPlot,
  coords: (row: number[], y: number) => [number, number],
  fill: (y: number) => string,
): number {
  const { plot } = p;
  const { sx, sy } = planeTransform(p.data.extent as Extent, plot);
  const at = (row: number[], y: number): [number, number] => {
    const [x1, x2] = coords(row, y);
    return [sx(x1), sy(x2)];
  };
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.x - 4, plot.y - 4, plot.w + 8, plot.h + 8);
  ctx.clip();
  let n = dots(ctx, p.data.train, at, fill, TRAIN_RIM);
  if (p.showTest) n += dots(ctx, p.data.test, at, fill, TEST_RIM);
  ctx.restore();
  return n;
}

function dots(
  ctx: CanvasRenderingContext2D,
  set: Points,
  at: (row: number[], y: number) => [number, number],
  fill: (y: number) => string,
  rim: string,
): number {
  if (!set) return 0;
  ctx.lineWidth = 1;
  ctx.strokeStyle = rim;
  let n = 0;
  for (let i = 0; i < set.x.length; i++) {
    const [px, py] = at(set.x[i], set.y[i]);
    if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
    ctx.beginPath();
    ctx.arc(px, py, 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = fill(set.y[i]);
    ctx.fill();
    ctx.stroke();
    n++;
  }
  return n;
}

function drawCurve(ctx: CanvasRenderingContext2D, values: ArrayLike<number>, extent: Extent, plot: Rect) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.x - 4, plot.y - 4, plot.w + 8, plot.h + 8);
  ctx.clip();
  ctx.beginPath();
  curvePoints(values, extent, plot).forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
  ctx.strokeStyle = css(diverging(-1));
  ctx.lineWidth = 2.5;
  ctx.stroke();
  ctx.restore();
}

function axes(ctx: CanvasRenderingContext2D, extent: Extent, plot: Rect, names: [string, string]) {
  const { sx, sy } = planeTransform(extent, plot);
  const bottom = plot.y + plot.h;
  ctx.strokeStyle = '#9aa3af';
  ctx.lineWidth = 1;
  ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);
  ctx.fillStyle = INK;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.beginPath();
  for (const t of niceTicks(extent[0], extent[1], Math.max(3, Math.round(plot.w / 60)))) {
    const x = Math.round(sx(t)) + 0.5;
    ctx.moveTo(x, bottom);
    ctx.lineTo(x, bottom + 4);
    ctx.fillText(tickLabel(t), x, bottom + 5);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of niceTicks(extent[2], extent[3], Math.max(3, Math.round(plot.h / 50)))) {
    const y = Math.round(sy(t)) + 0.5;
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x - 4, y);
    ctx.fillText(tickLabel(t), plot.x - 6, y);
  }
  ctx.stroke();
  ctx.font = `600 ${FONT}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.fillText(names[0], plot.x + plot.w / 2, bottom + 18);
  ctx.save();
  ctx.translate(9, plot.y + plot.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(names[1], 0, 0);
  ctx.restore();
  ctx.font = FONT;
}

/** The legend right of the plot: a vertical colour bar (binary, regression) or class swatches. */
function planeLegend(ctx: CanvasRenderingContext2D, p: OutputPlot) {
  const { plot, s } = p;
  const x = plot.x + plot.w + 14;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  if (p.task === 'multiclass') {
    const n = Math.min(Math.max(2, p.data.classes ?? 2), Math.floor(plot.h / 16));
    for (let k = 0; k < n; k++) {
      const y = plot.y + 6 + k * 16;
      ctx.fillStyle = css(classColor(k));
      ctx.fillRect(x, y - 5, 10, 10);
      ctx.fillStyle = INK;
      ctx.fillText(fmt(s.classK, { k }), x + 14, y);
    }
    return;
  }
  const binary = p.task === 'binary';
  const bar = ctx.createLinearGradient(0, plot.y + plot.h, 0, plot.y);
  for (let i = 0; i <= 8; i++) bar.addColorStop(i / 8, css(diverging(i / 4 - 1)));
  ctx.fillStyle = bar;
  ctx.fillRect(x, plot.y, 10, plot.h);
  ctx.strokeStyle = '#c5cad3';
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, plot.y + 0.5, 9, plot.h - 1);
  const labels = colorBarLabels(p.task, p.scale);
  ctx.fillStyle = INK;
  ctx.textBaseline = 'top';
  ctx.fillText(labels[0], x + 14, plot.y);
  ctx.textBaseline = 'middle';
  ctx.fillText(labels[1], x + 14, plot.y + plot.h / 2);
  ctx.textBaseline = 'bottom';
  ctx.fillText(labels[2], x + 14, plot.y + plot.h);
  if (binary) {
    ctx.fillStyle = css(diverging(1));
    ctx.textBaseline = 'top';
    ctx.fillText(s.class1, x + 14, plot.y + 14);
    ctx.fillStyle = css(diverging(-1));
    ctx.textBaseline = 'bottom';
    ctx.fillText(s.class0, x + 14, plot.y + plot.h - 14);
  }
  ctx.save();
  ctx.translate(canvasSize(plot).width - 8, plot.y + plot.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = INK;
  ctx.font = `600 ${FONT}`;
  ctx.fillText(binary ? s.probability : s.outputValue, 0, 0);
  ctx.restore();
}

function curveLegend(ctx: CanvasRenderingContext2D, p: OutputPlot) {
  const x = p.plot.x + p.plot.w + 14;
  const y = p.plot.y + 8;
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + 14, y);
  ctx.strokeStyle = css(diverging(-1));
  ctx.lineWidth = 2.5;
  ctx.stroke();
  ctx.fillStyle = INK;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(p.s.network, x + 18, y);
}

/** The row under the x axis name that tells training dots (white rim) from test dots (dark rim). */
function markers(ctx: CanvasRenderingContext2D, p: OutputPlot, fill: string) {
  const y = p.plot.y + p.plot.h + 40;
  let x = p.plot.x;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.lineWidth = 1;
  const entries: [string, string][] = [[p.s.training, TRAIN_RIM]];
  if (p.showTest) entries.push([p.s.test, TEST_RIM]);
  for (const [text, rim] of entries) {
    ctx.beginPath();
    ctx.arc(x + 4, y, 3.6, 0, 2 * Math.PI);
    ctx.fillStyle = fill;
    ctx.fill();
    ctx.strokeStyle = rim === TRAIN_RIM ? '#c5cad3' : rim;
    ctx.stroke();
    ctx.fillStyle = INK;
    ctx.fillText(text, x + 12, y);
    x += 28 + ctx.measureText(text).width;
  }
}
