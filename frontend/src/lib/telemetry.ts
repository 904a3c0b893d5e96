// Pure logic of the telemetry panels (loss chart markers, gradient flow, activation bands, pathology
// meters, insights): what to draw from the series and the events, and how to colour it.

import type { Lang } from './i18n.svelte';
import type { components } from './api-types';
import type { Frame, InsightEvent, Metric } from './protocol';
import type { Series } from './series';

// ---------------------------------------------------------------------------------------------
// Activation distribution bands (TensorBoard's "distributions")

/** Indices of `count` symmetric percentiles (the registry's, e.g. 0 7 16 31 50 69 84 93 100) bounding the
 * nested bands, outermost first: 0-100, 7-93, 16-84, 31-69. */
export function bandPairs(count: number): [lo: number, hi: number][] {
  return Array.from({ length: Math.floor(count / 2) }, (_, k) => [k, count - 1 - k]);
}
/** Index of the median among `count` symmetric percentiles. */
export function median(count: number): number {
  return Math.floor(count / 2);
}

export type BandData = [number[], ...(number | null)[][]];

/** uPlot data for one layer's bands: [detail steps, p0, p7, ..., p100]. The arrays are shared, not copied. */
export function bandData(series: Series, layer: number): BandData {
  return [series.detailStep, ...(series.percentiles[layer] ?? [])];
}

/** uPlot bands over bandData's series (series 0 is x, so percentile k is series k + 1). */
export function bandSpecs(fill: string, count: number): { series: [number, number]; fill: string }[] {
  return bandPairs(count).map(([lo, hi]) => ({ series: [hi + 1, lo + 1], fill }));
}

/** The layers shown by default among `n`: first, middle and last (distinct, ascending). */
export function defaultBandLayers(n: number): number[] {
  if (n <= 0) return [];
  return [...new Set([0, Math.floor((n - 1) / 2), n - 1])];
}

/** Add or remove `layer` from a shown set (kept ascending, at most `max`: the oldest choice goes first). */
export function toggleLayer(shown: readonly number[], layer: number, max: number): number[] {
  if (shown.includes(layer)) return shown.filter((l) => l !== layer);
  const next = [...shown, layer];
  if (next.length > max) next.splice(0, next.length - max);
  return next.sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// Pathology meters: the server judges every layer (backend/glassnet/train/judgement.py; docs/protocol.md, "Layer
// health"), and a detail frame's `health` says each meter's level. Nothing here re-judges a figure: the table,
// the network graph and the insights show one judgement.

export type LayerHealth = components['schemas']['LayerHealth'];
/** ok: healthy; warn: worth a look; bad: a problem; low: too small to matter (update ratio); na: not applicable. */
export type Level = LayerHealth['level'];
export type Meter = 'dead' | 'saturation' | 'diversity' | 'update' | 'gradient';

/** Each level's colour (the table's meters, the graph's layer marks). */
export const LEVEL_COLORS: Record<Level, string> = {
  ok: '#2f9e44',
  warn: '#e6a700',
  bad: '#d6336c',
  low: '#98a1ad',
  na: '#98a1ad',
};

/** Diversity at which the meter is full (random init gives about 1.4). */
export const DIVERSITY_FULL = 1.5;
/** The update ratio's axis (log10 |dW|/|W|) and the healthy reference the metric registry names. */
export const UPDATE_AXIS: readonly [number, number] = [-6, 0];
export const UPDATE_REF = -3;
/** The gradient ratio's axis (log10 of a layer's gradient over the last hidden layer's); 1 is the reference. */
export const GRADIENT_AXIS: readonly [number, number] = [-9, 3];

function known(v: Metric | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Where `v` sits on [lo, hi], as a fraction clamped to [0, 1]. */
export function axisPos(v: number, lo: number, hi: number): number {
  if (!(hi > lo) || Number.isNaN(v)) return 0;
  return Math.max(0, Math.min(1, (v - lo) / (hi - lo)));
}

export interface PathologyRow {
  layer: number;
  name: string;
  dead: number | null;
  saturation: number | null;
  diversity: number | null;
  update: number | null;
  /** The layer's gradient over the last hidden layer's, as the server judged it; null where it does not apply. */
  gradient: number | null;
  /** The server's verdict on this layer (absent from frames of runs recorded before verdicts existed). */
  health: LayerHealth | null;
}

/**
 * One row per layer from a frame (detail figures are repeated in the frames between detail frames).
 * A layer with weights but no update ratio did not move at all (log10 0): its update is -Infinity.
 */
export function pathologyRows(names: readonly string[], frame: Frame | null): PathologyRow[] {
  const pick = (list: Metric[] | undefined, i: number) => (known(list?.[i]) ? (list![i] as number) : null);
  return names.map((name, i) => {
    const health = frame?.health?.[i] ?? null;
    return {
      layer: i,
      name,
      dead: pick(frame?.dead_fraction, i),
      saturation: pick(frame?.saturation, i),
      diversity: pick(frame?.unit_diversity, i),
      update: pick(frame?.update_ratio, i) ?? (pick(frame?.weight_norm, i) === null ? null : -Infinity),
      gradient: health?.grad_ratio ?? null,
      health,
    };
  });
}

/** A meter's level as the server judged it ('na' without a verdict). */
export function meterLevel(row: Pick<PathologyRow, 'health'>, meter: Meter): Level {
  return row.health?.[meter] ?? 'na';
}

/** The layer's own level: the worst of its meters, as the server judged it. */
export function layerLevel(health: LayerHealth | null | undefined): Level {
  return health?.level ?? 'na';
}

/** The frame the health table reads: the newest detail frame (its figures and its verdicts were measured together),
 * else the newest frame. */
export function healthFrame(latest: Frame | null, detail: Frame | null): Frame | null {
  return detail?.health ? detail : latest;
}

// ---------------------------------------------------------------------------------------------
// Gradient profile across layers (log scale)

/** Per layer: the value if positive and finite, else null (a log axis cannot show it). */
export function profileValues(values: readonly Metric[] | undefined, n: number): (number | null)[] {
  return Array.from({ length: n }, (_, i) => {
    const v = values?.[i];
    return known(v) && v > 0 ? v : null;
  });
}

/** Whole decades [lo, hi] (exponents of 10) covering the values, at least `span` decades wide. */
export function logDecades(values: readonly (number | null)[], span = 2): [number, number] {
  const logs = values.filter((v): v is number => v !== null && v > 0).map(Math.log10);
  if (logs.length === 0) return [-span, 0];
  let lo = Math.floor(Math.min(...logs));
  let hi = Math.ceil(Math.max(...logs)) || 0; // no -0
  if (hi === lo) hi += 1;
  while (hi - lo < span) lo -= 1;
  return [lo, hi];
}

/** A positive value's position on the decades [lo, hi], as a fraction in [0, 1]. */
export function logPos(v: number, lo: number, hi: number): number {
  return axisPos(Math.log10(v), lo, hi);
}

/** Ratio of the smallest to the largest positive value (1 = flat profile, 1e-3 = vanishing), or null. */
export function spread(values: readonly (number | null)[]): number | null {
  const vs = values.filter((v): v is number => v !== null && v > 0);
  return vs.length < 2 ? null : Math.min(...vs) / Math.max(...vs);
}

// ---------------------------------------------------------------------------------------------
// Insight events

/** Every kind the detectors report, most severe first, with its colour and a glyph. */
export const EVENT_KINDS: Record<string, { color: string; icon: string; rank: number }> = {
  diverged: { color: '#8b1a1a', icon: '✕', rank: 0 },
  exploding_gradients: { color: '#d62728', icon: '▲', rank: 1 },
  lr_too_high: { color: '#e8590c', icon: '↯', rank: 2 },
  dead_units: { color: '#6b4c3b', icon: '○', rank: 3 },
  vanishing_gradients: { color: '#1f77b4', icon: '▼', rank: 4 },
  no_symmetry_breaking: { color: '#0f8b8d', icon: '≡', rank: 5 },
  saturation: { color: '#9467bd', icon: '◐', rank: 6 },
  weight_collapse: { color: '#5c7cfa', icon: '↓', rank: 7 },
  overfitting: { color: '#d4a017', icon: '↗', rank: 8 },
  // a run paused, resumed or stopped for want of a viewer (its lease)
  idle_paused: { color: '#5d6675', icon: '‖', rank: 20 },
  idle_resumed: { color: '#17602f', icon: '▶', rank: 21 },
  idle_stopped: { color: '#4d3f6b', icon: '■', rank: 22 },
  // a live change of the learning rate: the loss chart draws it as a labelled line, not as a marker
  lr_changed: { color: '#2f5f8a', icon: '⇄', rank: 23 },
};
/** Kinds the loss chart shows otherwise than as event markers. */
const NOT_MARKERS = new Set(['lr_changed']);
const UNKNOWN_KIND = { color: '#5d6675', icon: '•', rank: 99 };

export function eventKind(kind: string): { color: string; icon: string; rank: number } {
  return EVENT_KINDS[kind] ?? UNKNOWN_KIND;
}

/** The event kind's name in `table` (keys k_<kind>), else the kind itself in words. */
export function kindLabel(table: Record<string, string>, kind: string): string {
  return table[`k_${kind}`] ?? kind.replaceAll('_', ' ');
}

type Worded = Pick<InsightEvent, 'message' | 'explanation' | 'message_zh' | 'explanation_zh'>;

/** The event's message in `lang` (the server sends both languages), else the English one. */
export function eventMessage(e: Worded, lang: Lang): string {
  return lang === 'zh' ? e.message_zh : e.message;
}

/** The event's explanation in `lang`. */
export function eventExplanation(e: Worded, lang: Lang): string {
  return lang === 'zh' ? e.explanation_zh : e.explanation;
}

/** A stable id of an event (a detector reports a (kind, layer) once per step at most). */
export function eventKey(e: Pick<InsightEvent, 'kind' | 'step' | 'layer_index' | 'layer'>): string {
  return `${e.kind}@${e.step}/${e.layer_index ?? e.layer ?? ''}`;
}

export function newestFirst(events: readonly InsightEvent[]): InsightEvent[] {
  return events.map((e, i) => ({ e, i })).sort((a, b) => b.e.step - a.e.step || b.i - a.i).map(({ e }) => e);
}

/** The layers an event is about: every layer its condition held for (older events name one layer). */
export function eventLayers(e: Pick<InsightEvent, 'layer_index' | 'layer_indices'>): number[] {
  if (e.layer_indices && e.layer_indices.length > 0) return e.layer_indices;
  return e.layer_index === null || e.layer_index === undefined ? [] : [e.layer_index];
}

/** One entry of the Insights list: a condition, however often and in however many layers it was reported. */
export interface InsightGroup {
  kind: string;
  /** Its reports, newest first. */
  events: InsightEvent[];
  /** Every layer it was reported for, ascending. */
  layers: number[];
}

/** The events grouped by condition, the group reported most recently first (the more severe first at one step). */
export function insightGroups(events: readonly InsightEvent[]): InsightGroup[] {
  const byKind = new Map<string, InsightEvent[]>();
  for (const e of newestFirst(events)) {
    const list = byKind.get(e.kind);
    if (list) list.push(e);
    else byKind.set(e.kind, [e]);
  }
  return [...byKind.entries()]
    .map(([kind, list]) => ({
      kind,
      events: list,
      layers: [...new Set(list.flatMap(eventLayers))].sort((a, b) => a - b),
    }))
    .sort((a, b) => b.events[0].step - a.events[0].step || eventKind(a.kind).rank - eventKind(b.kind).rank);
}

/** The events at one step: one marker on the loss chart, coloured by its most severe kind. */
export interface MarkerGroup {
  step: number;
  kind: string;
  events: InsightEvent[];
}

export function markerGroups(events: readonly InsightEvent[]): MarkerGroup[] {
  const byStep = new Map<number, InsightEvent[]>();
  for (const e of events) {
    if (NOT_MARKERS.has(e.kind)) continue;
    const list = byStep.get(e.step);
    if (list) list.push(e);
    else byStep.set(e.step, [e]);
  }
  return [...byStep.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, list]) => {
      const worst = list.reduce((a, b) => (eventKind(b.kind).rank < eventKind(a.kind).rank ? b : a));
      return { step, kind: worst.kind, events: list };
    });
}

/** The marker's x in CSS pixels from the plot's left edge, or null when the step is outside [min, max]. */
export function markerX(step: number, min: number | null | undefined, max: number | null | undefined, width: number) {
  if (min == null || max == null || !Number.isFinite(min) || !Number.isFinite(max)) return null;
  if (step < min || step > max) return null;
  return max === min ? width / 2 : ((step - min) / (max - min)) * width;
}

/** Whether the run reports accuracies (classification): from its task, else from what the frames carry. */
export function hasAccuracy(task: string | null | undefined, latest: Frame | null): boolean {
  if (task) return task !== 'regression';
  return latest !== null && (latest.train_acc != null || latest.test_acc != null);
}

/** 10 to the power k with superscript digits: 10⁻³ (axis labels of log scales). */
export function pow10Label(k: number): string {
  const sup = (c: string) => (c === '-' ? '⁻' : '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(c)]);
  return k === 0 ? '1' : k === 1 ? '10' : `10${[...String(k)].map(sup).join('')}`;
}

/** A short label for a layer on a crowded axis: "hidden 3" -> "h3", "conv 1" -> "c1", "output" -> "out". */
export function shortName(name: string): string {
  const m = /^([a-z])[a-z]*\s*(\d+)$/i.exec(name);
  if (m) return `${m[1]}${m[2]}`;
  return name === 'output' ? 'out' : name.slice(0, 3);
}

/** 'rgb(r, g, b)' or '#rrggbb' with an alpha: 'rgba(r, g, b, a)'. */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (hex) return `rgba(${hex.slice(1).map((h) => parseInt(h, 16)).join(', ')}, ${alpha})`;
  const rgb = /^rgb\(([^)]*)\)$/.exec(color);
  return rgb ? `rgba(${rgb[1]}, ${alpha})` : color;
}
