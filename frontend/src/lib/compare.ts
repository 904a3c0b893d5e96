// Pure helpers of the Compare tab: what differs between two runs' configs, which settings a fork may
// change, and the union of several runs' step axes so their series can share one uPlot x axis.

import type { Choice, ExperimentConfig, Options } from './api';
import { formatSig } from './format';
import { choicesFor, fieldInfo, getPath, paramPaths } from './schema';

/** Most runs the Compare tab overlays at once. */
export const MAX_COMPARED = 4;

export interface ConfigChange {
  path: string;
  from: unknown;
  to: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every leaf (dotted path) where `other` differs from `base`, in `base`'s key order. */
export function configDiff(base: unknown, other: unknown, path = ''): ConfigChange[] {
  if (isObject(base) && isObject(other)) {
    const keys = [...Object.keys(base), ...Object.keys(other).filter((k) => !(k in base))];
    return keys.flatMap((k) => configDiff(base[k], other[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(base) === JSON.stringify(other) ? [] : [{ path, from: base, to: other }];
}

/** A config value for a legend: numbers to 4 significant digits, lists comma-joined. */
export function formatValue(v: unknown): string {
  if (typeof v === 'number') return formatSig(v, 4);
  if (Array.isArray(v)) return v.map(formatValue).join(',');
  if (v === null || v === undefined) return '–';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** "optimizer.lr: 0.01 → 0.001" */
export function describeChange(c: ConfigChange): string {
  return `${c.path}: ${formatValue(c.from)} → ${formatValue(c.to)}`;
}

/** The first `max` changes, then "+n"; empty when nothing differs. */
export function summarizeDiff(changes: readonly ConfigChange[], max = 2): string {
  const shown = changes.slice(0, max).map(describeChange).join('; ');
  return changes.length > max ? `${shown}; +${changes.length - max}` : shown;
}

/** Layer widths: "8-8", or "32×10" for many equal ones. */
function widths(w: readonly number[]): string {
  if (w.length > 3 && w.every((x) => x === w[0])) return `${w[0]}×${w.length}`;
  return w.join('-') || '0';
}

/** "mlp 8-8 tanh", "mlp 32×10 relu", "cnn 8-16 relu", "lstm 32×1": enough to tell runs apart in a list. */
export function modelSummary(config: ExperimentConfig | null | undefined): string {
  const m = config?.model;
  if (!m) return '–';
  if (m.kind === 'cnn') return `cnn ${widths(m.channels ?? [])} ${m.activation}`;
  if (m.kind === 'rnn') return `${m.cell} ${m.rnn_hidden}×${m.rnn_layers}`;
  return `mlp ${widths(m.hidden)} ${m.activation}`;
}

/** The choice picked at `namePath` (`optimizer.name`) of `config`, from its /api/options list. */
export function currentChoice(options: Options, config: ExperimentConfig, namePath: string): Choice | undefined {
  const list = choicesFor(options, fieldInfo(namePath));
  return list?.find((c) => c.name === getPath(config, namePath));
}

/**
 * The settings a fork of a run with `config` may change, as config paths: per section its choice
 * (`optimizer.name`) and the parameters that choice reads, or all of its fields; then the scalars.
 */
export function forkPaths(options: Options, config: ExperimentConfig): string[] {
  const paths: string[] = [];
  // the config sections a fork may change come from the server (data, model and seed are fixed)
  for (const key of options.forkable) {
    const value = (config as unknown as Record<string, unknown>)[key];
    if (!isObject(value)) {
      if (fieldInfo(key)) paths.push(key);
    } else if ('name' in value) {
      const namePath = `${key}.name`;
      paths.push(namePath, ...paramPaths(namePath, currentChoice(options, config, namePath)));
    } else {
      paths.push(...Object.keys(value).map((k) => `${key}.${k}`).filter((p) => fieldInfo(p) !== null));
    }
  }
  return paths;
}

/** `optimizer.lr`, 0.001 -> {optimizer: {lr: 0.001}}: the `changes` of a ForkRequest. */
export function changeAt(path: string, value: unknown): Record<string, unknown> {
  return path
    .split('.')
    .reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: 'number' | 'integer' | 'range' };

/** The text of a fork's value input as that field's value, checked against the schema's range. */
export function parseFieldValue(path: string, text: string): Parsed {
  const info = fieldInfo(path);
  if (!info || info.kind === 'enum' || info.kind === 'string') return { ok: true, value: text };
  if (info.kind === 'boolean') return { ok: true, value: text === 'true' };
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) return { ok: false, error: 'number' };
  if (info.kind === 'integer' && !Number.isInteger(n)) return { ok: false, error: 'integer' };
  const low = info.min !== undefined && (info.minExclusive ? n <= info.min : n < info.min);
  if (low || (info.max !== undefined && n > info.max)) return { ok: false, error: 'range' };
  return { ok: true, value: n };
}

export interface StepUnion {
  /** Every step of any run, ascending, once. */
  x: number[];
  /** pos[run][i]: index in `x` of that run's point i. */
  pos: number[][];
}

/** Merge the runs' ascending step arrays into one axis (linear time: a k-way merge). */
export function unionSteps(steps: readonly (readonly number[])[]): StepUnion {
  const x: number[] = [];
  const pos = steps.map(() => [] as number[]);
  const at = steps.map(() => 0);
  for (;;) {
    let next = Infinity;
    for (let r = 0; r < steps.length; r++) if (at[r] < steps[r].length && steps[r][at[r]] < next) next = steps[r][at[r]];
    if (next === Infinity) break;
    x.push(next);
    for (let r = 0; r < steps.length; r++) {
      // equal steps in one run (a paused run's single steps) land on the same x: the last one wins
      while (at[r] < steps[r].length && steps[r][at[r]] === next) {
        pos[r].push(x.length - 1);
        at[r]++;
      }
    }
  }
  return { x, pos };
}

/** One run's values on the union axis: null where it has no point. */
export function onUnion(union: StepUnion, run: number, values: readonly (number | null)[] | undefined): (number | null)[] {
  const out: (number | null)[] = new Array(union.x.length).fill(null);
  if (!values) return out;
  const pos = union.pos[run];
  for (let i = 0; i < pos.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) out[pos[i]] = v;
  }
  return out;
}

/**
 * The value a run's series has at point `idx` of the union axis, or, where it has no point there
 * (another run's step), at its nearest point; null outside the run's own range of steps.
 */
export function valueNear(x: ArrayLike<number>, ys: ArrayLike<number | null | undefined>, idx: number): number | null {
  const v = ys[idx];
  if (v !== null && v !== undefined) return v;
  let lo = idx - 1;
  while (lo >= 0 && (ys[lo] === null || ys[lo] === undefined)) lo--;
  let hi = idx + 1;
  while (hi < ys.length && (ys[hi] === null || ys[hi] === undefined)) hi++;
  if (lo < 0 || hi >= ys.length) return null;
  return (x[idx] - x[lo] <= x[hi] - x[idx] ? ys[lo] : ys[hi]) ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// the fork form: what was typed, and whether the fork has anything to train

/** A run the fork form may fork: its id and name and, as its stream reports them, its step, status and config. */
export interface ForkParent {
  id: string;
  name: string;
  step: number;
  status: string;
  config: ExperimentConfig | null;
}

/** A typed fork step: `null` is the run's current step (the field left empty). */
export type ForkStep = { ok: true; step: number | null } | { ok: false; error: 'number' | 'integer' | 'negative' | 'beyond' };

/** The fork step as typed (a text field, so letters arrive here, not as a script error), checked against the steps
 * the run has trained (0..`max`). */
export function parseForkStep(text: unknown, max: number): ForkStep {
  const t = text === null || text === undefined ? '' : String(text).trim();
  if (t === '') return { ok: true, step: null };
  const n = Number(t);
  if (!Number.isFinite(n)) return { ok: false, error: 'number' };
  if (n < 0) return { ok: false, error: 'negative' };
  if (!Number.isInteger(n)) return { ok: false, error: 'integer' };
  if (n > max) return { ok: false, error: 'beyond' };
  return { ok: true, step: n };
}

/** Steps a fork that would have nothing to train is given by default. */
export const MORE_STEPS = 1000;

/** Whether a fork from step `at` of a run that ends at step `total` (null: it trains until stopped) would have
 * nothing to train, and so needs a later end (the server refuses it otherwise). */
export function forkNeedsSteps(total: number | null | undefined, at: number): boolean {
  return total !== null && total !== undefined && total <= at;
}

/** The end step typed for such a fork, checked: a whole number past the fork step, at most `max`. */
export function parseForkEnd(text: unknown, at: number, max: number): { ok: true; end: number } | { ok: false } {
  const t = text === null || text === undefined ? '' : String(text).trim();
  const n = Number(t);
  if (t === '' || !Number.isInteger(n) || n <= at || n > max) return { ok: false };
  return { ok: true, end: n };
}

// ---------------------------------------------------------------------------------------------------------------
// what the overlaid runs learn

export type TaskKind = 'classification' | 'regression';

/** A task as the server names it (binary, multiclass, regression) as the kind whose figures compare. */
export function taskKind(task: string | null | undefined): TaskKind | null {
  if (task === 'regression') return 'regression';
  if (task === 'binary' || task === 'multiclass') return 'classification';
  return null;
}

/** The task of a config's dataset from its /api/options tags (null for an upload: its file decides). */
export function datasetTask(options: Options, config: ExperimentConfig | null | undefined): string | null {
  const name = config?.dataset?.name;
  const choice = (options.datasets as Choice[]).find((c) => c.name === name);
  const task = (choice?.tags as Record<string, unknown> | undefined)?.task;
  return typeof task === 'string' && taskKind(task) !== null ? task : null;
}

/** The kinds of task among the overlaid runs, when there are more than one (their losses do not compare); else
 * nothing. Runs whose task is not known yet are left out. */
export function mixedTasks(tasks: readonly (string | null | undefined)[]): TaskKind[] {
  const kinds = new Set(tasks.map(taskKind).filter((k): k is TaskKind => k !== null));
  return kinds.size > 1 ? [...kinds].sort() : [];
}

// ---------------------------------------------------------------------------------------------------------------
// the selection and the charts' names

/** `selected` with `id` added, making room when it holds MAX_COMPARED: the oldest run not `pinned` (the page's run,
 * a fork's parent) leaves. */
export function addSelected(selected: readonly string[], id: string, pinned: readonly (string | null)[] = []): string[] {
  if (selected.includes(id)) return [...selected];
  let next = [...selected];
  if (next.length >= MAX_COMPARED) {
    const drop = next.find((x) => !pinned.includes(x)) ?? next[0];
    next = next.filter((x) => x !== drop);
  }
  return [...next, id];
}

/** Short chart legend labels from the runs' names: cut to `max` characters (at a word), and told apart by their ids' first
 * characters where two would read the same. */
export function chartLabels(names: readonly string[], ids: readonly string[], max = 36): string[] {
  const cut = names.map((n) => {
    if (n.length <= max) return n;
    const head = n.slice(0, max - 1);
    const space = head.lastIndexOf(' ');
    // at a word's end where there is one, without a dangling separator
    return `${(space > max / 2 ? head.slice(0, space) : head).replace(/[\s·,;:-]+$/, '')}…`;
  });
  return cut.map((label, i) => (cut.filter((x) => x === label).length > 1 ? `${label} #${ids[i].slice(0, 4)}` : label));
}

export interface SeriesDigest {
  /** Points the run has on the chart. */
  points: number;
  /** [step, value] of its first and last point, or null. */
  first: [number, number] | null;
  last: [number, number] | null;
}

/** Each run's series of an overlay ([union x, run 0, run 1, ...]) in brief: what a test or a reader of the page can
 * check without the canvas. */
export function seriesDigest(data: readonly (ArrayLike<number | null | undefined>)[]): SeriesDigest[] {
  const x = data[0] ?? [];
  return data.slice(1).map((ys) => {
    let points = 0;
    let first: [number, number] | null = null;
    let last: [number, number] | null = null;
    for (let i = 0; i < ys.length; i++) {
      const v = ys[i];
      if (v === null || v === undefined) continue;
      points++;
      const p: [number, number] = [x[i] as number, v];
      first ??= p;
      last = p;
    }
    return { points, first, last };
  });
}
