// Heatmaps of the Images and Sequences tabs: pure index and scale math (tested), and the small
// canvas helpers that paint a grid of values with nearest-neighbour scaling.

import type { RGB } from './colors';
import type { Dense } from './dense';
import type { FieldInfo } from './schema';

// ---------------------------------------------------------------------------------------------
// Feature maps: (images, channels, H, W), or (channels, H, W) for a single image

export interface MapGeometry {
  /** Images in the array (1 for a 3-D array). */
  images: number;
  channels: number;
  h: number;
  w: number;
}

/** The geometry of a feature-map array; null when it is neither 3-D nor 4-D. */
export function mapGeometry(shape: readonly number[]): MapGeometry | null {
  if (shape.length === 4) return { images: shape[0], channels: shape[1], h: shape[2], w: shape[3] };
  if (shape.length === 3) return { images: 1, channels: shape[0], h: shape[1], w: shape[2] };
  return null;
}

/** Offset in the row-major data of channel `channel` of image `image` (clamped to the images there are). */
export function mapOffset(g: MapGeometry, image: number, channel: number): number {
  const i = Math.max(0, Math.min(g.images - 1, image));
  return (i * g.channels + channel) * g.h * g.w;
}

export interface Range {
  lo: number;
  hi: number;
}

/** [min, max] of the finite values of data[start, end); {0, 0} when there are none. */
export function rangeOf(data: ArrayLike<number>, start = 0, end = data.length): Range {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < end; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo > hi ? { lo: 0, hi: 0 } : { lo, hi };
}

export type MapScale = 'grey' | 'diverging';

/** Non-negative maps (after a ReLU) on a grey ramp from 0; maps with both signs on a diverging one around 0. */
export function scaleFor(r: Range): MapScale {
  return r.lo >= 0 ? 'grey' : 'diverging';
}

/** Position of `v` on the scale: grey in [0, 1] (0 .. hi), diverging in [-1, 1] (-m .. m, m = max |value|). */
export function scalePosition(v: number, scale: MapScale, r: Range): number {
  if (scale === 'grey') return r.hi > 0 ? v / r.hi : 0;
  const m = Math.max(Math.abs(r.lo), Math.abs(r.hi));
  return m > 0 ? v / m : 0;
}

/** Ink on paper: 0 white, 1 near black (digits and non-negative maps). */
export function grey(t: number): RGB {
  const c = Number.isFinite(t) ? Math.max(0, Math.min(1, t)) : 0;
  const v = 255 - c * 235;
  return [v, v, v];
}

// ---------------------------------------------------------------------------------------------
// Confusion matrix

export interface Confusion {
  classes: number;
  /** counts[true][predicted], rounded to whole numbers (the array travels quantized). */
  counts: number[][];
  /** shares[true][predicted]: counts divided by the row's total (0 for an empty row). */
  shares: number[][];
  total: number;
  correct: number;
  /** correct / total; null when the matrix is empty. */
  accuracy: number | null;
}

/** Counts, row-normalised shares and accuracy of a (classes x classes) confusion array; null if not square. */
export function confusionOf(d: Dense): Confusion | null {
  if (d.shape.length !== 2 || d.shape[0] !== d.shape[1]) return null;
  const n = d.shape[0];
  const counts: number[][] = [];
  const shares: number[][] = [];
  let total = 0;
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const row: number[] = [];
    for (let c = 0; c < n; c++) row.push(Math.max(0, Math.round(d.data[r * n + c])));
    const sum = row.reduce((a, b) => a + b, 0);
    counts.push(row);
    shares.push(row.map((v) => (sum > 0 ? v / sum : 0)));
    total += sum;
    correct += row[r];
  }
  return { classes: n, counts, shares, total, correct, accuracy: total > 0 ? correct / total : null };
}

// ---------------------------------------------------------------------------------------------
// Gradient through time: log colour scale

/** log10 of the smallest and largest positive finite values of the rows; null when there is none. */
export function logRange(rows: readonly (readonly (number | null)[])[]): Range | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of rows) {
    for (const v of row) {
      if (v === null || !(v > 0) || !Number.isFinite(v)) continue;
      const l = Math.log10(v);
      if (l < lo) lo = l;
      if (l > hi) hi = l;
    }
  }
  return lo > hi ? null : { lo, hi };
}

/** Position of `v` in [0, 1] on the log scale `r` (log10 bounds); NaN for a missing or non-positive value. */
export function logPosition(v: number | null, r: Range): number {
  if (v === null || !(v > 0) || !Number.isFinite(v)) return NaN;
  if (r.hi <= r.lo) return 1;
  return Math.max(0, Math.min(1, (Math.log10(v) - r.lo) / (r.hi - r.lo)));
}

/** ||dL/dh_1|| / ||dL/dh_T||: how much of the gradient reaches the first step (null if undefined). */
export function earlyLateRatio(row: readonly (number | null)[] | undefined): number | null {
  if (!row || row.length < 2) return null;
  const first = row[0];
  const last = row[row.length - 1];
  if (first === null || last === null || !(last > 0)) return null;
  return first / last;
}

/** Powers of ten within the log10 bounds `r` (at least the bounds' own decades). */
export function decades(r: Range): number[] {
  const out: number[] = [];
  for (let e = Math.ceil(r.lo - 1e-9); e <= Math.floor(r.hi + 1e-9); e++) out.push(e);
  return out;
}

/** Tick values for time steps 1 .. T: 1, then multiples of a 1-2-5 step, and T (about `n` ticks). */
export function timeTicks(T: number, n = 6): number[] {
  if (T < 1) return [];
  const raw = T / n;
  const step = [1, 2, 5, 10, 20, 25, 50, 100].find((s) => s >= raw) ?? 100;
  const out = [1];
  for (let t = step; t < T; t += step) if (t - out[out.length - 1] >= step / 2 && T - t > step / 2) out.push(t);
  if (T > 1) out.push(T);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sequence length

/** The slider's bounds from the schema's range (the server's limits), with the documented fallback 2 .. 200. */
export function seqLenBounds(info: FieldInfo | null): { min: number; max: number } {
  const min = Math.ceil(info?.min ?? 2) + (info?.minExclusive ? 1 : 0);
  const max = Math.floor(info?.max ?? 200);
  return { min, max: Math.max(min, max) };
}

// ---------------------------------------------------------------------------------------------
// Canvas painting

let scratch: HTMLCanvasElement | null = null;
// One ImageData per grid size, reused from draw to draw.
const images = new Map<string, ImageData>();

/**
 * Paint a w x h grid into `ctx` at (x, y), `width` x `height` pixels, nearest-neighbour scaled:
 * `color(i)` gives the colour of cell i (row-major, row 0 at the top), or null for a grey "no value".
 */
export function paintGrid(
  ctx: CanvasRenderingContext2D,
  w: number,
  h: number,
  color: (i: number) => RGB | null,
  x: number,
  y: number,
  width: number,
  height: number,
): void {
  if (w <= 0 || h <= 0) return;
  scratch ??= document.createElement('canvas');
  if (scratch.width < w) scratch.width = w;
  if (scratch.height < h) scratch.height = h;
  const sctx = scratch.getContext('2d')!;
  const key = `${w}x${h}`;
  let img = images.get(key);
  if (!img) images.set(key, (img = sctx.createImageData(w, h)));
  for (let i = 0; i < w * h; i++) {
    const c = color(i) ?? NO_VALUE;
    img.data[4 * i] = c[0];
    img.data[4 * i + 1] = c[1];
    img.data[4 * i + 2] = c[2];
    img.data[4 * i + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, 0, 0, w, h, x, y, width, height);
}

const NO_VALUE: RGB = [200, 203, 208];

/** Size a canvas for `width` x `height` CSS pixels at the device's pixel ratio; returns its context, scaled. */
export function sizeCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const dpr = globalThis.devicePixelRatio || 1;
  const pw = Math.round(width * dpr);
  const ph = Math.round(height * dpr);
  if (canvas.width !== pw || canvas.height !== ph) {
    canvas.width = pw;
    canvas.height = ph;
  }
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}
