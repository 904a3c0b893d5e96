// Pure logic of the Output panel's plot (outputplot.ts paints it): what the data lets it show, the plot's
// rectangle in the canvas, axis names, the colours of the points and the legend's labels.

import type { RGB } from './colors';
import { diverging } from './colors';
import { formatSig } from './format';
import { fmt } from './i18n.svelte';
import { classColor, planeTransform, type Extent, type Rect } from './plane';

/** plane: the output over the input plane; curve: the 1-D fit; other: a read-out; none: no data yet. */
export type OutputMode = 'none' | 'plane' | 'curve' | 'other';

export function outputMode(data: { input: string; extent: unknown } | null | undefined): OutputMode {
  if (!data) return 'none';
  if (data.extent && data.input === 'plane') return 'plane';
  if (data.extent && data.input === 'curve') return 'curve';
  return 'other';
}

/** Room around the plot: tick labels and axis names left and below, the legend right, the markers below. */
export const PLOT_MARGIN = { left: 38, right: 84, top: 8, bottom: 50 } as const;
/** The plane's plot is a square of at most this side (the curve's plot at most this high). */
export const MAX_SIDE = 250;

/** The plot area in CSS pixels for a panel `width` wide: a square for the plane, a wide box for a curve. */
export function plotRect(mode: OutputMode, width: number): Rect {
  const avail = Math.max(140, width - PLOT_MARGIN.left - PLOT_MARGIN.right);
  const w = mode === 'plane' ? Math.min(avail, MAX_SIDE) : Math.min(avail, 420);
  const h = mode === 'plane' ? w : Math.min(MAX_SIDE, Math.round(w * 0.62));
  return { x: PLOT_MARGIN.left, y: PLOT_MARGIN.top, w, h };
}

/** The canvas around `plot`, in CSS pixels. */
export function canvasSize(plot: Rect): { width: number; height: number } {
  return { width: plot.x + plot.w + PLOT_MARGIN.right, height: plot.y + plot.h + PLOT_MARGIN.bottom };
}

/** The plane's axis names: the data's own (an upload's columns), x1 and x2 written as x₁ and x₂. */
export function planeAxisNames(features: readonly string[] | null | undefined): [string, string] {
  const sub = (f: string) => f.replace(/^x([12])$/, (_, k: string) => (k === '1' ? 'x₁' : 'x₂'));
  return features?.length === 2 ? [sub(features[0]), sub(features[1])] : ['x₁', 'x₂'];
}

/** A data point's colour by its label: binary 0/1 orange/blue, classes on the palette, regression by `scale`. */
export function pointColor(task: string, scale: number): (y: number) => RGB {
  if (task === 'binary') return (y) => diverging(y >= 0.5 ? 1 : -1);
  if (task === 'multiclass') return (y) => classColor(y);
  return (y) => diverging(y / scale);
}

/** The colour bar's labels, top to bottom: P(class 1) for a binary task, else the regression scale. */
export function colorBarLabels(task: string, scale: number): [string, string, string] {
  return task === 'binary' ? ['1', '0.5', '0'] : [formatSig(scale, 3), '0', formatSig(-scale, 3)];
}

/** Screen points of the 1-D fit: `values` sampled evenly over [xmin, xmax] of `extent`, inside `plot`. */
export function curvePoints(values: ArrayLike<number>, extent: Extent, plot: Rect): [number, number][] {
  const { sx, sy } = planeTransform(extent, plot);
  const n = values.length;
  return Array.from({ length: n }, (_, i): [number, number] => [
    sx(extent[0] + ((extent[1] - extent[0]) * i) / Math.max(1, n - 1)),
    sy(values[i]),
  ]);
}

/** The words for the step drawn: step 0 is the untrained network (a run's frames start at step 1). */
export function stepCaption(step: number, s: { atStep: string; untrained: string }): string {
  return step === 0 ? s.untrained : fmt(s.atStep, { step });
}

/** What the panel says when it has nothing to draw: why the settings have no preview, that it is on its way, or what
 * a run is doing. */
export function outputPlaceholder(
  session: { status: string; active: boolean; previewError: string | null },
  s: { computing: string; noPreview: string; waiting: string; nothing: string },
): string {
  if (session.status !== 'idle') return session.active ? s.waiting : s.nothing;
  return session.previewError ? fmt(s.noPreview, { message: session.previewError }) : s.computing;
}
