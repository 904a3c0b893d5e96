// The optimizer lab's two canvases, drawn from plain data: the contour plot (the banded heatmap of the surface, its
// axes, the minimum, each path up to the current step with its momentum arrow and second-moment ring, the start)
// and the loss-per-step chart; their geometry (margins, glyph sizes, axis ticks) and the contour plot's hit test.

import { formatSig } from './format';
import {
  at,
  heatmapPixels,
  lossScale,
  lossTransform,
  mapper,
  strokeWithHalo,
  symlogTicks,
  ticks,
  type LabGrid,
  type LabPath,
  type LossScale,
} from './lab';

// ---- contour plot -------------------------------------------------------------------------------

/** The contour plot's margins around the plot area (axes and their labels). */
export const CONTOUR_MARGIN = { left: 34, bottom: 30, top: 6, right: 6 } as const;

/** The plot area of a canvas: where the heatmap goes, in canvas pixels. */
export interface PlotBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function contourBox(width: number, height: number): PlotBox {
  const M = CONTOUR_MARGIN;
  return { left: M.left, top: M.top, width: width - M.left - M.right, height: height - M.top - M.bottom };
}

/** Fill `heat` (an offscreen canvas of the plot area's size) with the surface's banded heatmap. */
export function paintHeat(heat: HTMLCanvasElement, grid: LabGrid, width: number, height: number): void {
  heat.width = width;
  heat.height = height;
  const ctx = heat.getContext('2d')!;
  const image = ctx.createImageData(width, height);
  image.data.set(heatmapPixels(grid, width, height));
  ctx.putImageData(image, 0, 0);
}

/** The plot point (x, y), rounded to 3 decimals, under a click at (clientX, clientY) on a canvas `size` pixels big
 * shown in the on-screen rectangle `shown` (it may be scaled by CSS); null outside the plot area. */
export function pickPoint(
  box: PlotBox,
  extent: readonly number[],
  size: { width: number; height: number },
  shown: { left: number; top: number; width: number; height: number },
  clientX: number,
  clientY: number,
): [number, number] | null {
  const px = ((clientX - shown.left) * size.width) / shown.width - box.left;
  const py = ((clientY - shown.top) * size.height) / shown.height - box.top;
  if (px < 0 || py < 0 || px > box.width || py > box.height) return null;
  const m = mapper(extent, box.width, box.height);
  return [+m.x(px).toFixed(3), +m.y(py).toFixed(3)];
}

/** The radius in pixels of the second-moment ring for a scale `s` (log-like, 3 to 40 px). */
export function ringRadius(s: number): number {
  return Math.min(40, 3 + 6 * Math.log10(1 + 10 * Math.abs(s)));
}

/** The update the momentum makes, -lr * m in plot units, in pixels of a plot area (y flips). */
export function momentumPixels(
  lr: number,
  momentum: readonly number[],
  extent: readonly number[],
  box: { width: number; height: number },
): [number, number] {
  return [
    -lr * momentum[0] * (box.width / (extent[1] - extent[0])),
    lr * momentum[1] * (box.height / (extent[3] - extent[2])),
  ];
}

/** An arrow from (x, y) along (dx, dy): its tip and the two back corners of its head; null for a zero vector. The
 * length saturates (8 to 70 px) so tiny and huge momenta both stay readable; the direction is exact. */
export function arrowGeometry(
  x: number,
  y: number,
  dx: number,
  dy: number,
): { tip: [number, number]; head: [[number, number], [number, number]] } | null {
  const len = Math.hypot(dx, dy);
  if (!(len > 0)) return null;
  const L = 8 + 62 * (1 - Math.exp(-len / 20));
  const ux = dx / len;
  const uy = dy / len;
  const ex = x + ux * L;
  const ey = y + uy * L;
  return {
    tip: [ex, ey],
    head: [
      [ex - ux * 7 - uy * 4, ey - uy * 7 + ux * 4],
      [ex - ux * 7 + uy * 4, ey - uy * 7 - ux * 4],
    ],
  };
}

function drawArrow(ctx: CanvasRenderingContext2D, x: number, y: number, dx: number, dy: number, color: string): void {
  const a = arrowGeometry(x, y, dx, dy);
  if (!a) return;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(a.tip[0], a.tip[1]);
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(a.tip[0], a.tip[1]);
  ctx.lineTo(a.head[0][0], a.head[0][1]);
  ctx.lineTo(a.head[1][0], a.head[1][1]);
  ctx.fill();
}

export interface ContourSpec {
  width: number;
  height: number;
  extent: readonly number[];
  minimum: readonly number[] | null;
  minimumLabel: string;
  start: readonly number[];
  paths: readonly LabPath[];
  colors: readonly string[];
  /** the animation step: each path is drawn up to it */
  step: number;
}

/** The axes: ticks and their labels along x (below) and y (left), and the axis names. */
function drawAxes(ctx: CanvasRenderingContext2D, spec: ContourSpec, box: PlotBox): void {
  const m = mapper(spec.extent, box.width, box.height);
  ctx.fillStyle = '#444';
  ctx.strokeStyle = '#888';
  ctx.font = '10px sans-serif';
  ctx.lineWidth = 1;
  ctx.textAlign = 'center';
  const bottom = box.top + box.height;
  for (const v of ticks(spec.extent[0], spec.extent[1], 6)) {
    const x = box.left + m.px(v);
    ctx.beginPath();
    ctx.moveTo(x, bottom);
    ctx.lineTo(x, bottom + 4);
    ctx.stroke();
    ctx.fillText(String(+v.toFixed(2)), x, bottom + 14);
  }
  ctx.fillText('x', box.left + box.width / 2, spec.height - 3); // below the ticks, centred: clear of the last label
  ctx.textAlign = 'right';
  for (const v of ticks(spec.extent[2], spec.extent[3], 6)) {
    const y = box.top + m.py(v);
    ctx.beginPath();
    ctx.moveTo(box.left - 4, y);
    ctx.lineTo(box.left, y);
    ctx.stroke();
    ctx.fillText(String(+v.toFixed(2)), box.left - 6, y + 3);
  }
  ctx.fillText('y', 10, box.top + 10);
}

/** How far beyond the plot area (in pixels) a path's line is still drawn, under the clip: enough for the halo and the
 * line's end, and small, so a path that ran off to 1e6 never hands the canvas huge coordinates. */
export const PATH_PAD = 8;

/** The part of the segment (x0, y0)-(x1, y1) inside the rectangle [lo, hx] x [lo, hy] (Liang-Barsky), or null when
 * none of it is; the part's direction is the segment's own. */
export function clipSegment(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  lo: number,
  hx: number,
  hy: number,
): [number, number, number, number] | null {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return null;
  const dx = x1 - x0;
  const dy = y1 - y0;
  let t0 = 0;
  let t1 = 1;
  for (const [p, q] of [
    [-dx, x0 - lo],
    [dx, hx - x0],
    [-dy, y0 - lo],
    [dy, hy - y0],
  ]) {
    if (p === 0) {
      if (q < 0) return null;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return null;
  }
  return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}

/** Where the dot of a point at (x, y) goes: the point itself inside the plot area, else the nearest place on its
 * edge (`off` then: the path has left the plot, and the dot says where it went). */
export function dotPlace(x: number, y: number, box: { width: number; height: number }): { x: number; y: number; off: boolean } {
  const inside = x >= 0 && x <= box.width && y >= 0 && y <= box.height;
  const cx = Number.isFinite(x) ? Math.max(4, Math.min(box.width - 4, x)) : box.width / 2;
  const cy = Number.isFinite(y) ? Math.max(4, Math.min(box.height - 4, y)) : box.height / 2;
  return inside ? { x, y, off: false } : { x: cx, y: cy, off: true };
}

/** One path up to the current step, and at its current point the ring, the momentum arrow and a dot; the line only
 * within the plot area (and PATH_PAD around it), a point that has left the plot marked by a hollow dot on its edge. */
function drawPath(ctx: CanvasRenderingContext2D, spec: ContourSpec, box: PlotBox, path: LabPath, color: string): void {
  const m = mapper(spec.extent, box.width, box.height);
  const last = at(path, spec.step);
  ctx.beginPath();
  let pen: [number, number] | null = null; // where the line drawn so far ends
  for (let i = 1; i <= last; i++) {
    const part = clipSegment(
      m.px(path.x[i - 1]),
      m.py(path.y[i - 1]),
      m.px(path.x[i]),
      m.py(path.y[i]),
      -PATH_PAD,
      box.width + PATH_PAD,
      box.height + PATH_PAD,
    );
    if (!part) {
      pen = null;
      continue;
    }
    if (!pen || pen[0] !== part[0] || pen[1] !== part[1]) ctx.moveTo(part[0], part[1]);
    ctx.lineTo(part[2], part[3]);
    pen = [part[2], part[3]];
  }
  strokeWithHalo(ctx, color, 1.6, true);
  const dot = dotPlace(m.px(path.x[last]), m.py(path.y[last]), box);
  const scale = path.scale[last];
  if (scale && !dot.off) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.2;
    ctx.setLineDash([3, 2]);
    ctx.beginPath();
    ctx.ellipse(dot.x, dot.y, ringRadius(scale[0]), ringRadius(scale[1]), 0, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  const momentum = path.momentum[last];
  // each optimizer's own learning rate scales its own momentum into the update it makes
  if (momentum && !dot.off) {
    drawArrow(ctx, dot.x, dot.y, ...momentumPixels(path.optimizer.lr ?? 0, momentum, spec.extent, box), color);
  }
  ctx.fillStyle = dot.off ? '#fff' : color;
  ctx.strokeStyle = dot.off ? color : '#000';
  ctx.lineWidth = dot.off ? 2 : 1;
  ctx.beginPath();
  ctx.arc(dot.x, dot.y, 4, 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
}

/** The whole contour plot onto `ctx`; `heat` holds the heatmap of the plot area (paintHeat). */
export function drawContour(ctx: CanvasRenderingContext2D, heat: CanvasImageSource, spec: ContourSpec): void {
  const box = contourBox(spec.width, spec.height);
  const m = mapper(spec.extent, box.width, box.height);
  ctx.clearRect(0, 0, spec.width, spec.height);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, spec.width, spec.height);
  ctx.drawImage(heat, box.left, box.top);
  drawAxes(ctx, spec, box);
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.left, box.top, box.width, box.height);
  ctx.clip();
  ctx.translate(box.left, box.top);
  if (spec.minimum) {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2;
    const [mx, my] = [m.px(spec.minimum[0]), m.py(spec.minimum[1])];
    ctx.beginPath();
    ctx.moveTo(mx - 6, my - 6);
    ctx.lineTo(mx + 6, my + 6);
    ctx.moveTo(mx + 6, my - 6);
    ctx.lineTo(mx - 6, my + 6);
    ctx.stroke();
    ctx.fillStyle = '#fff';
    ctx.textAlign = 'left';
    ctx.fillText(spec.minimumLabel, mx + 8, my - 4);
  }
  spec.paths.forEach((path, p) => drawPath(ctx, spec, box, path, spec.colors[p % spec.colors.length]));
  // the start point
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.arc(m.px(spec.start[0]), m.py(spec.start[1]), 6, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.restore();
}

// ---- loss per step ------------------------------------------------------------------------------

export const LOSS_SIZE = { width: 440, height: 240 } as const;
export const LOSS_MARGIN = { left: 56, right: 8, top: 8, bottom: 30 } as const;

/** [lo, hi] of every path's transformed finite losses, widened when flat; [0, 1] when there is none. */
export function lossRange(paths: readonly LabPath[], f: (v: number) => number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of paths)
    for (const v of p.loss) {
      const t = f(v);
      if (Number.isFinite(t)) {
        lo = Math.min(lo, t);
        hi = Math.max(hi, t);
      }
    }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi - lo < 1e-9) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

/** The y ticks (in transformed units) of a loss axis over [lo, hi]: on a log axis powers of ten (`decades`), or
 * nice values between them when the range spans less than two decades; 0 and powers of ten of either sign on a
 * signed log axis; nice values on a linear one. */
export function lossTicks(scale: LossScale, lo: number, hi: number): { ticks: number[]; decades: boolean } {
  const decades = scale === 'log' && Math.floor(hi) - Math.ceil(lo) >= 1;
  const f = lossTransform(scale);
  const out =
    scale === 'linear' ? ticks(lo, hi, 4)
    : scale === 'symlog' ? symlogTicks(lo, hi).map(f)
    : decades ? ticks(Math.floor(lo), Math.ceil(hi), 4).filter((v) => Number.isInteger(v))
    : ticks(10 ** lo, 10 ** hi, 6)
        .filter((v) => v > 0)
        .map(Math.log10);
  return { ticks: out.filter((t) => t >= lo - 1e-9 && t <= hi + 1e-9), decades };
}

/** A y tick's text: a power of ten as 1e3 / −1e3 on log axes, else the value. */
export function lossTickLabel(t: number, scale: LossScale, decades: boolean): string {
  if (scale === 'symlog') {
    const v = Math.sign(t) * (10 ** Math.abs(t) - 1);
    const k = Math.round(Math.log10(Math.abs(v)));
    return v === 0 || Math.abs(v) < 1e-9 ? '0' : Math.abs(v) < 10 ? formatSig(v, 2) : `${v < 0 ? '−' : ''}1e${k}`;
  }
  if (scale === 'log') return decades ? `1e${t}` : formatSig(10 ** t, 3);
  return formatSig(t, 3);
}

export interface LossSpec {
  paths: readonly LabPath[];
  colors: readonly string[];
  step: number;
  total: number;
  yLabel: Record<LossScale, string>;
  xLabel: string;
}

/** The loss-per-step chart onto `ctx` (LOSS_SIZE); returns the y scale it used. */
export function drawLossChart(ctx: CanvasRenderingContext2D, spec: LossSpec): LossScale {
  const { width: W, height: H } = LOSS_SIZE;
  const M = LOSS_MARGIN;
  const scale = lossScale([...spec.paths]);
  const f = lossTransform(scale);
  const [lo, hi] = lossRange(spec.paths, f);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (i: number) => M.left + (i / Math.max(1, spec.total)) * pw;
  const sy = (t: number) => M.top + ph - ((t - lo) / (hi - lo)) * ph;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(M.left, M.top, pw, ph);
  ctx.fillStyle = '#444';
  ctx.font = '10px sans-serif';
  ctx.textAlign = 'right';
  const y = lossTicks(scale, lo, hi);
  for (const t of y.ticks) ctx.fillText(lossTickLabel(t, scale, y.decades), M.left - 4, sy(t) + 3);
  ctx.textAlign = 'center';
  for (const t of ticks(0, spec.total, 4)) ctx.fillText(String(t), sx(t), M.top + ph + 12);
  ctx.fillText(spec.xLabel, M.left + pw / 2, H - 4);
  ctx.save();
  ctx.translate(10, M.top + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(spec.yLabel[scale], 0, 0);
  ctx.restore();
  ctx.save();
  ctx.beginPath();
  ctx.rect(M.left, M.top, pw, ph);
  ctx.clip();
  spec.paths.forEach((p, k) => {
    ctx.beginPath();
    const last = at(p, spec.step);
    for (let i = 0; i <= last; i++) {
      const t = f(p.loss[i]);
      if (i === 0) ctx.moveTo(sx(i), sy(t));
      else ctx.lineTo(sx(i), sy(t));
    }
    strokeWithHalo(ctx, spec.colors[k % spec.colors.length], 1.5);
  });
  ctx.restore();
  return scale;
}
