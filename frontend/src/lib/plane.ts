// Pure logic of the input-plane plots (decision boundary, 1-D fit) and of the dataset thumbnails:
// data -> screen transforms, tick choice, the output grid as image pixels, dataset groups, previews.

import { diverging, PALETTE, type RGB } from './colors';
import type { DataKind } from './layout';

/** [x1min, x1max, x2min, x2max] (plane) or [xmin, xmax, ymin, ymax] (curve). */
export type Extent = [number, number, number, number];

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The map from [d0, d1] onto [r0, r1]; a degenerate domain maps to the middle of the range. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** Screen coordinates of the plane inside `rect`: x1 grows to the right, x2 upwards. */
export function planeTransform(extent: Extent, rect: Rect): { sx: (v: number) => number; sy: (v: number) => number } {
  return {
    sx: linear(extent[0], extent[1], rect.x, rect.x + rect.w),
    sy: linear(extent[2], extent[3], rect.y + rect.h, rect.y),
  };
}

/** About `count` round ticks (steps of 1, 2 or 5 times a power of ten) inside [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo || count < 1) return [];
  // as d3's tickIncrement: the 1-2-5 step nearest (geometrically) to span / count
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const error = raw / power;
  const step = power * (error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1);
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    out.push(Number((k * step).toPrecision(12)));
  }
  return out;
}

/** A tick's label: as short as the value allows ("0.5", "-1", "2.5e-3"). */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(1).replace('.0e', 'e');
  return String(Number(v.toPrecision(6)));
}

/**
 * The n x n output grid as RGBA pixels of an n x n image. Grid rows run from the lowest x2 upwards;
 * screen rows run downwards, so image row r shows grid row n - 1 - r.
 */
export function gridPixels(
  grid: ArrayLike<number>,
  n: number,
  color: (v: number) => RGB,
  out: Uint8ClampedArray = new Uint8ClampedArray(n * n * 4),
): Uint8ClampedArray {
  for (let r = 0; r < n; r++) {
    const src = (n - 1 - r) * n;
    for (let c = 0; c < n; c++) {
      const [red, green, blue] = color(grid[src + c]);
      const o = (r * n + c) * 4;
      out[o] = red;
      out[o + 1] = green;
      out[o + 2] = blue;
      out[o + 3] = 255;
    }
  }
  return out;
}

/**
 * Where to draw the n x n image so that each pixel's centre lands on its sample point: the grid samples
 * the plane from edge to edge (linspace), so the image reaches half a cell beyond the plot on each side.
 */
export function gridDestRect(rect: Rect, n: number): Rect {
  if (n < 2) return { ...rect };
  const cw = rect.w / (n - 1);
  const ch = rect.h / (n - 1);
  return { x: rect.x - cw / 2, y: rect.y - ch / 2, w: rect.w + cw, h: rect.h + ch };
}

export function hexRgb(hex: string): RGB {
  const v = parseInt(hex.replace('#', ''), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** A light tint of `c` (t = 0: white, 1: the colour), for class regions behind the points. */
export function tint(c: RGB, t: number): RGB {
  return [255 + (c[0] - 255) * t, 255 + (c[1] - 255) * t, 255 + (c[2] - 255) * t];
}

export function classColor(k: number): RGB {
  return hexRgb(PALETTE[((Math.round(k) % PALETTE.length) + PALETTE.length) % PALETTE.length]);
}

/**
 * The colour of a model output or a label: binary P(class 1) (or a label 0/1) through 2P - 1 on the
 * orange-blue scale; regression values through v / scale; multiclass class ids on the palette.
 */
export function outputColor(task: string, scale = 1): (v: number) => RGB {
  if (task === 'binary') return (p) => diverging(2 * p - 1);
  if (task === 'multiclass') return (k) => (Number.isFinite(k) ? classColor(k) : [255, 255, 255]);
  const s = scale > 0 ? scale : 1;
  return (v) => diverging(v / s);
}

/** The half-width of the regression colour scale: the largest |value|, 1 when there is none. */
export function symmetricScale(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) m = Math.max(m, Math.abs(values[i]));
  return m > 0 ? m : 1;
}

/** [min, max] of the points' columns `i` and `j`, widened by a margin; for previews without an extent. */
export function pointsExtent(x: readonly number[][], i = 0, j = 1): Extent {
  const span = (k: number): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const row of x) {
      const v = row[k];
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (lo > hi) return [-1, 1];
    const pad = hi > lo ? 0.05 * (hi - lo) : 0.5;
    return [lo - pad, hi + pad];
  };
  return [...span(i), ...span(j)];
}

// ------------------------------------------------------------------------------------------------
// Datasets

export const GROUPS = ['classification', 'regression', 'sequences', 'images', 'upload'] as const;
export type DatasetGroup = (typeof GROUPS)[number];

/** The picker's group of a dataset, from its /api/options tags (input, task). */
export function datasetGroup(tags: Record<string, unknown> | undefined): DatasetGroup {
  const input = String(tags?.input ?? '');
  if (input === 'image') return 'images';
  if (input === 'sequence') return 'sequences';
  if (input !== 'plane' && input !== 'curve') return 'upload';
  return tags?.task === 'regression' ? 'regression' : 'classification';
}

/** The datasets by group, in GROUPS order, keeping the server's order inside a group; empty groups left out. */
export function groupDatasets<T extends { tags?: Record<string, unknown> }>(
  datasets: readonly T[],
): { group: DatasetGroup; items: T[] }[] {
  return GROUPS.map((group) => ({ group, items: datasets.filter((d) => datasetGroup(d.tags) === group) })).filter(
    (g) => g.items.length > 0,
  );
}

/** The index a radio group's arrow key moves to (wrapping), or null for other keys. */
export function arrowTarget(key: string, index: number, count: number): number | null {
  if (count === 0) return null;
  if (key === 'ArrowRight' || key === 'ArrowDown') return (index + 1) % count;
  if (key === 'ArrowLeft' || key === 'ArrowUp') return (index - 1 + count) % count;
  if (key === 'Home') return 0;
  if (key === 'End') return count - 1;
  return null;
}

/** GET /api/datasets/{name}/preview: raw points (plane, curve, table), an image per class, or one sequence. */
export interface Preview {
  input: string;
  task: string;
  classes: number;
  extent: Extent | null;
  /** plane/curve/table: points; image: 8 x 8 images; sequence: one sequence (T x features). */
  x: number[][] | number[][][];
  y: number[];
}

/** A preview response, checked; null when it is not one. */
export function parsePreview(v: unknown): Preview | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.input !== 'string' || !Array.isArray(o.x) || !Array.isArray(o.y)) return null;
  const ok = Array.isArray(o.extent) && o.extent.length === 4 && o.extent.every(Number.isFinite);
  const extent = ok ? (o.extent as Extent) : null;
  return {
    input: o.input,
    task: typeof o.task === 'string' ? o.task : '',
    classes: typeof o.classes === 'number' ? o.classes : 0,
    extent,
    x: o.x as Preview['x'],
    y: o.y as number[],
  };
}

/** The preview's URL; noise is rounded so that float noise in a slider does not defeat the cache. */
export function previewUrl(name: string, noise: number, seed: number, upload?: string | null): string {
  const q = new URLSearchParams({ noise: String(Number(noise.toPrecision(6))), seed: String(seed) });
  if (name === 'upload' && upload) q.set('upload', upload);
  return `/api/datasets/${encodeURIComponent(name)}/preview?${q}`;
}
