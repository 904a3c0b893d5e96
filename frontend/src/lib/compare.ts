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
