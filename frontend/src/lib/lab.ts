// The optimizer lab's data and pure helpers: its REST calls (/api/lab), the plot's coordinate mapping, the banded
// heatmap of a surface's grid, colours, axis ticks and loss scales. The lab's inputs and their defaults are in
// labinputs.ts; drawing is in labplot.ts.

import { authHeaders, errorMessage } from './api';
import type { components } from './api-types';
import { sequential, type RGB } from './colors';

type Schemas = components['schemas'];
export type LabSurfaces = Schemas['LabSurfaces'];
export type Surface = Schemas['SurfaceOut'];
/** A complete lab request: a lesson's arm, the served defaults, what the lab sends. */
export type LabRun = Schemas['LabRun-Output'];
/** What POST /api/lab/run takes (every field may be left out: LabRun's defaults). */
export type LabRequest = Schemas['LabRun-Input'];
export type LabResult = Schemas['LabResult'];
export type LabPath = Schemas['Path'];
export type LabGrid = Schemas['Grid'];

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* a non-JSON body is shown as text */
  }
  if (!res.ok) throw errorMessage(res.status, parsed);
  return parsed as T;
}

export const labApi = {
  surfaces: () => call<LabSurfaces>('GET', '/api/lab/surfaces'),
  run: (body: LabRequest) => call<LabResult>('POST', '/api/lab/run', body),
};

/** Optimizer colours, one per registry optimizer (sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw):
 * dark and saturated, so each stands out by at least 3:1 (WCAG's contrast for graphics) on the loss chart's white and
 * against its white halo; on the contour plot the line is cased (white, then a dark edge: CASING) so it reads on the
 * heatmap's dark and light bands alike; distinct from each other (lab.test.ts measures all of it). */
export const LAB_COLORS = ['#d62728', '#000000', '#4d4d4d', '#a65000', '#c51b7d', '#6a3d9a', '#1f5fd6', '#0b7a3e'];

/** The dark outer edge of a cased line on the contour plot. */
export const CASING = '#1a1a1a';

/** WCAG relative luminance of a `#rrggbb` colour. */
export function luminance(color: string): number {
  const n = parseInt(color.slice(1), 16);
  const lin = (c: number) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin((n >> 16) & 255) + 0.7152 * lin((n >> 8) & 255) + 0.0722 * lin(n & 255);
}

/** WCAG contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The outline drawn under a line of `color` so it stands out on any background (the heatmap's dark purples and
 * light yellows, the loss chart's white): white under a dark colour, black under a light one. */
export function haloFor(color: string): string {
  return luminance(color) > 0.3 ? '#000000' : '#ffffff';
}

/** Stroke the current path: a wider halo (haloFor), then the colour on top; `cased` puts a dark edge (CASING) under
 * the halo too, so the line reads on any background (the contour plot's heatmap). */
export function strokeWithHalo(ctx: CanvasRenderingContext2D, color: string, width: number, cased = false): void {
  if (cased) {
    ctx.strokeStyle = CASING;
    ctx.lineWidth = width + 4;
    ctx.stroke();
  }
  ctx.strokeStyle = haloFor(color);
  ctx.lineWidth = width + 2;
  ctx.stroke();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.stroke();
}

export type Extent = [number, number, number, number];

/** Plot coordinates to canvas pixels and back, for a w x h canvas (y grows upwards on the plot). */
export function mapper(extent: readonly number[], w: number, h: number) {
  const [x0, x1, y0, y1] = extent;
  return {
    px: (x: number) => ((x - x0) / (x1 - x0)) * w,
    py: (y: number) => h - ((y - y0) / (y1 - y0)) * h,
    x: (px: number) => x0 + (px / w) * (x1 - x0),
    y: (py: number) => y0 + ((h - py) / h) * (y1 - y0),
  };
}

export const BANDS = 14;

/** RGBA pixels of a w x h heatmap of `grid.display` (rows from the lowest y), bilinearly interpolated, coloured
 * in BANDS bands of the viridis ramp with a darker line where the band changes (contour lines). */
export function heatmapPixels(grid: LabGrid, w: number, h: number): Uint8ClampedArray {
  const n = grid.size;
  const d = grid.display;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of d) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo || 1;
  const band = new Int16Array(w * h);
  for (let j = 0; j < h; j++) {
    const gy = ((h - 1 - j) / (h - 1)) * (n - 1);
    const r = Math.min(n - 2, Math.floor(gy));
    const fy = gy - r;
    for (let i = 0; i < w; i++) {
      const gx = (i / (w - 1)) * (n - 1);
      const c = Math.min(n - 2, Math.floor(gx));
      const fx = gx - c;
      const a = d[r * n + c] * (1 - fx) + d[r * n + c + 1] * fx;
      const b = d[(r + 1) * n + c] * (1 - fx) + d[(r + 1) * n + c + 1] * fx;
      const t = (a * (1 - fy) + b * fy - lo) / span;
      band[j * w + i] = Math.min(BANDS - 1, Math.max(0, Math.floor(t * BANDS)));
    }
  }
  const colors: RGB[] = Array.from({ length: BANDS }, (_, k) => sequential((k + 0.5) / BANDS));
  const out = new Uint8ClampedArray(w * h * 4);
  for (let p = 0; p < w * h; p++) {
    const k = band[p];
    const edge = (p % w < w - 1 && band[p + 1] !== k) || (p + w < w * h && band[p + w] !== k);
    const [cr, cg, cb] = colors[k];
    const f = edge ? 0.7 : 1;
    out[p * 4] = cr * f;
    out[p * 4 + 1] = cg * f;
    out[p * 4 + 2] = cb * f;
    out[p * 4 + 3] = 255;
  }
  return out;
}

// the lab's inputs (settings, learning rates, the request, the server's defaults) are in labinputs.ts; these stay
// importable from here
export { defaultSettings, optimizerConfig, type Settings } from './labinputs';

/** How long the replay of `total` steps lasts, in ms: 6 ms a step, at least 0.7 s and at most 2.5 s. */
export function playDuration(total: number): number {
  return Math.min(2500, Math.max(700, total * 6));
}

/** An optimizer's colour, by its place in the registry, so a colour means the same optimizer everywhere. */
export function colorOf(choices: readonly { name: string }[], name: string): string {
  return LAB_COLORS[Math.max(0, choices.findIndex((c) => c.name === name)) % LAB_COLORS.length];
}

/** The slider position (log10) of a value on a log-scale slider, and back (rounded to 3 significant digits). */
export const logSlider = {
  position: (v: number) => Math.log10(v),
  value: (position: number) => +(10 ** position).toPrecision(3),
};

/** Nice tick values across [lo, hi] (about `count` of them). */
export function ticks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

export type LossScale = 'log' | 'linear' | 'symlog';

/** The loss chart's y transform: log10 when every loss is positive; a signed log when some are negative and the
 * values span more than 100 (a surface without a bottom, as the saddle: its loss falls to -1e12); else linear. */
export function lossScale(paths: LabPath[]): LossScale {
  if (paths.every((p) => p.loss.every((v) => v > 0))) return 'log';
  const big = paths.some((p) => p.loss.some((v) => Math.abs(v) > 100));
  return big ? 'symlog' : 'linear';
}

/** The y transform of a scale: log10, sign(v) log10(1 + |v|), or none. */
export function lossTransform(scale: LossScale): (v: number) => number {
  if (scale === 'log') return Math.log10;
  if (scale === 'symlog') return (v) => Math.sign(v) * Math.log10(1 + Math.abs(v));
  return (v) => v;
}

/** Tick values of a signed-log axis over transformed [lo, hi]: 0 and powers of ten of either sign, at most `count`
 * of them (every other decade, or fewer, when there are too many). */
export function symlogTicks(lo: number, hi: number, count = 7): number[] {
  const f = lossTransform('symlog');
  const top = Math.ceil(Math.max(Math.abs(lo), Math.abs(hi)));
  const values = [0];
  for (let k = 0; k <= top; k++) values.push(10 ** k, -(10 ** k));
  const inside = values.filter((v) => f(v) >= lo - 1e-9 && f(v) <= hi + 1e-9).sort((a, b) => a - b);
  const every = Math.max(1, Math.ceil(inside.length / count));
  // thin by decade, keeping 0; when thinned, ±1 go too (they would crowd 0)
  return inside.filter((v) => {
    if (v === 0) return true;
    const k = Math.round(Math.log10(Math.abs(v)));
    return k % every === 0 && (every === 1 || k > 0);
  });
}

/** Index into a path at animation step `step` (a stopped path rests at its last point). */
export function at(path: LabPath, step: number): number {
  return Math.max(0, Math.min(path.x.length - 1, Math.floor(step)));
}
