// What a sweep of the New sweep form may vary: numeric settings of the config (their ranges are the server's schema's,
// schema.ts), each typed as a comma list with a default that spans the sensible values. Depth and width both vary
// `model.hidden` (a depth of 3 at the form's width is [w, w, w]), so only one of them can be an axis at a time.

import type { Choice, ExperimentConfig, Options } from './api';
import { fieldInfo, getPath } from './schema';
import { parseNumbers, seedRange } from './sweepmath';
import { rangeProblem, type Problem } from './validation';

export interface AxisDef {
  id: string;
  /** the config path the grid varies */
  path: string;
  integer: boolean;
  /** the values the form starts with */
  defaults: string;
  /** the grid's value for a typed number (default: the number) */
  value?: (n: number, config: ExperimentConfig) => unknown;
  /** the range a typed number must be in (default: the schema's for `path`) */
  range?: (limits: { max_hidden_layers: number; max_width: number }) => { kind: string; min: number; max: number };
  /** whether varying it changes anything for these settings (default: an `optimizer.*` parameter the chosen
   * optimizer takes, per the registry's choices in /api/options; anything else always) */
  applies?: (config: ExperimentConfig) => boolean;
}

const isMlp = (config: ExperimentConfig) => config.model.kind === 'mlp';

const hidden = (config: ExperimentConfig) => (config.model.hidden.length ? config.model.hidden : [8]);

export const AXES: AxisDef[] = [
  { id: 'lr', path: 'optimizer.lr', integer: false, defaults: '0.3, 0.1, 0.03, 0.01, 0.003' },
  { id: 'batch', path: 'batch_size', integer: true, defaults: '8, 16, 32, 64' },
  {
    id: 'depth',
    path: 'model.hidden',
    integer: true,
    defaults: '1, 2, 4, 8',
    value: (d, config) => Array(d).fill(hidden(config)[0]),
    range: (l) => ({ kind: 'integer', min: 1, max: l.max_hidden_layers }),
    applies: isMlp,
  },
  {
    id: 'width',
    path: 'model.hidden',
    integer: true,
    defaults: '2, 4, 8, 16',
    value: (w, config) => Array(hidden(config).length).fill(w),
    range: (l) => ({ kind: 'integer', min: 1, max: l.max_width }),
    applies: isMlp,
  },
  { id: 'weight_decay', path: 'optimizer.weight_decay', integer: false, defaults: '0, 0.0001, 0.001, 0.01' },
  { id: 'momentum', path: 'optimizer.momentum', integer: false, defaults: '0, 0.5, 0.9, 0.99' },
  { id: 'beta1', path: 'optimizer.beta1', integer: false, defaults: '0.5, 0.8, 0.9, 0.99' },
  { id: 'beta2', path: 'optimizer.beta2', integer: false, defaults: '0.9, 0.99, 0.999' },
  { id: 'dropout', path: 'model.dropout', integer: false, defaults: '0, 0.1, 0.3, 0.5' },
  { id: 'l1', path: 'regularization.l1', integer: false, defaults: '0, 0.0001, 0.001' },
  { id: 'noise', path: 'dataset.noise', integer: false, defaults: '0, 0.1, 0.2, 0.4' },
];

/** The axes this server's config has (a path its schema lacks is left out). */
export function availableAxes(): AxisDef[] {
  return AXES.filter((a) => fieldInfo(a.path) !== null);
}

export const axisById = (id: string) => AXES.find((a) => a.id === id) ?? null;

/** Whether varying `axis` changes anything for `config`: an optimizer's parameter only where the chosen optimizer
 * takes it (momentum: Momentum, Nesterov, RMSprop; beta1/beta2: Adam, AdamW), the hidden layers only for an MLP. */
export function axisApplies(axis: AxisDef, config: ExperimentConfig, options: Pick<Options, 'optimizers'>): boolean {
  if (axis.applies) return axis.applies(config);
  if (!axis.path.startsWith('optimizer.') || axis.path === 'optimizer.lr') return true;
  const param = axis.path.slice('optimizer.'.length);
  const choice = (options.optimizers as Choice[]).find((c) => c.name === config.optimizer.name);
  return !choice || choice.params.some((p) => p.name === param);
}

/** The axes the New sweep form offers for these settings: on this server's config, and changing something. */
export function axesFor(config: ExperimentConfig, options: Pick<Options, 'optimizers'>): AxisDef[] {
  return availableAxes().filter((a) => axisApplies(a, config, options));
}

/** The first value typed twice in a list ("0.1, 0.10": 0.1), else null: a grid runs each value once. */
export function duplicateValue(values: readonly number[]): number | null {
  const seen = new Set<number>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return null;
}

/** An axis's typed values as the grid's, or why they cannot be sent (`index`: the value at fault, from 0). */
export function axisValues(
  axis: AxisDef,
  text: string,
  config: ExperimentConfig,
  limits: { max_hidden_layers: number; max_width: number },
): { values: unknown[] } | { problem: Problem } {
  const parsed = parseNumbers(text, axis.integer);
  if ('bad' in parsed) return { problem: { kind: axis.integer && Number.isFinite(Number(parsed.bad)) ? 'notInteger' : 'notNumber', text: parsed.bad } };
  if (!parsed.values.length) return { problem: { kind: 'empty' } };
  const range = axis.range?.(limits) ?? fieldInfo(axis.path);
  for (const [index, n] of parsed.values.entries()) {
    const problem = range && (range.kind === 'number' || range.kind === 'integer') ? rangeProblem(n, range) : null;
    if (problem) return { problem: { kind: 'item', index, problem } };
  }
  return { values: parsed.values.map((n) => (axis.value ? axis.value(n, config) : n)) };
}

/** The grid of a sweep: the chosen axes' values, then the seeds (when more than one) from the config's seed on. */
export function buildGrid(axes: [string, unknown[]][], seeds: number, config: ExperimentConfig): Record<string, unknown[]> {
  const grid: Record<string, unknown[]> = Object.fromEntries(axes);
  if (seeds > 1) grid.seed = seedRange(Number(getPath(config, 'seed') ?? 0), seeds);
  return grid;
}

/** Where a 422's field names a value of the grid (`grid.optimizer.lr.3`): the axis path; `grid` alone: ''. */
export function gridFieldAxis(field: string, paths: readonly string[]): string | null {
  if (field === 'grid') return '';
  if (!field.startsWith('grid.')) return null;
  const rest = field.slice(5);
  return [...paths].sort((a, b) => b.length - a.length).find((p) => rest === p || rest.startsWith(`${p}.`)) ?? null;
}

/** An axis's name in the reader's language: the form's words for its settings, else the field's label, else the
 * path. */
export function axisName(path: string, words: Record<string, string>, fieldLabels: Record<string, string>): string {
  if (path === 'seed') return words.ax_seed;
  if (path === 'model.hidden') return fieldLabels[path] ?? path;
  const axis = AXES.find((a) => a.path === path);
  return (axis && words[`ax_${axis.id}`]) || fieldLabels[path] || path;
}

/** An axis value as the views print it: 0.03, 16; hidden layers of one width as `layersOf` says ("3 layers of 8":
 * {n} layers, {w} units each; default "3×8"), others as 8-4. */
export function axisValueText(v: unknown, layersOf = '{n}×{w}'): string {
  if (Array.isArray(v)) {
    if (!v.length) return '–';
    if (v.every((x) => x === v[0])) return layersOf.replace('{n}', String(v.length)).replace('{w}', String(v[0]));
    return v.join('-');
  }
  if (typeof v === 'number') return String(Number(v.toPrecision(6)));
  return typeof v === 'string' ? v : JSON.stringify(v);
}
