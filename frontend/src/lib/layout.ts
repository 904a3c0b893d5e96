// Where each config field appears in the form and when it applies. This arranges the fields; their
// types, ranges and choices come from the server (schema.ts, /api/options).

import type { ExperimentConfig, Options } from './api';

export interface DataKind {
  /** plane | curve | image | sequence | (an upload's) */
  input: string;
  /** binary | multiclass | regression | ... */
  task: string;
}

export interface FieldSpec {
  path: string;
  when?: (c: ExperimentConfig, d: DataKind) => boolean;
  /** Folded away in the beginner view (the form's "Advanced settings" shows it). */
  advanced?: true;
}

export type Section = 'data' | 'model' | 'training';

/** Which fields of a section to show: the beginner view's, the advanced ones, or all. */
export type Level = 'basic' | 'advanced' | 'all';

const isMlp = (c: ExperimentConfig) => c.model.kind === 'mlp';

// The beginner view shows the essentials (as TensorFlow Playground does): the data's noise and split, the activation,
// the optimizer and its learning rate, the steps; the rest is one click away (`advanced`).
export const FORM: Record<Section, FieldSpec[]> = {
  data: [
    { path: 'dataset.noise', when: (_, d) => d.input !== 'image' && d.input !== 'from the file' },
    { path: 'dataset.train_fraction' },
    { path: 'dataset.n_samples', when: (_, d) => d.input !== 'image' && d.input !== 'from the file', advanced: true },
    { path: 'dataset.features', when: (_, d) => d.input === 'plane' },
    { path: 'dataset.seq_len', when: (_, d) => d.input === 'sequence' },
    { path: 'dataset.preprocessing', advanced: true },
    { path: 'batch_size', advanced: true },
  ],
  model: [
    { path: 'model.kind', advanced: true },
    { path: 'model.activation' },
    { path: 'model.init.name', advanced: true },
    { path: 'model.init.bias', advanced: true },
    { path: 'model.init.bias_value', when: (c) => c.model.init?.bias === 'constant', advanced: true },
    { path: 'model.norm', advanced: true },
    { path: 'model.norm_position', when: (c) => c.model.norm !== 'none', advanced: true },
    { path: 'model.residual', advanced: true },
    { path: 'model.dropout', advanced: true },
    { path: 'model.channels', when: (c) => c.model.kind === 'cnn', advanced: true },
    { path: 'model.kernel_size', when: (c) => c.model.kind === 'cnn', advanced: true },
    { path: 'model.pooling', when: (c) => c.model.kind === 'cnn', advanced: true },
    { path: 'model.cell', when: (c) => c.model.kind === 'rnn', advanced: true },
    { path: 'model.rnn_hidden', when: (c) => c.model.kind === 'rnn', advanced: true },
    { path: 'model.rnn_layers', when: (c) => c.model.kind === 'rnn', advanced: true },
    { path: 'model.recurrent_init.name', when: (c) => c.model.kind === 'rnn', advanced: true },
  ],
  training: [
    // the optimizer's learning rate shows beneath it in both views; its other parameters only in the advanced one
    { path: 'optimizer.name' },
    { path: 'steps' },
    { path: 'schedule.name', advanced: true },
    { path: 'clipping.name', advanced: true },
    { path: 'regularization.l1', advanced: true },
    { path: 'regularization.early_stopping', advanced: true },
    { path: 'regularization.label_smoothing', when: (_, d) => d.task !== 'regression', advanced: true },
    { path: 'regularization.input_noise', advanced: true },
    { path: 'loss', advanced: true },
    { path: 'eval_every', advanced: true },
    { path: 'seed', advanced: true },
    { path: 'frame_hz', advanced: true },
    { path: 'device', advanced: true },
  ],
};

/** The parameters of a basic choice that the beginner view shows beneath it (the rest are advanced). */
export const BASIC_PARAMS: readonly string[] = ['optimizer.lr'];

/** The fields of `section` that apply to config `c` on data `d`, at `level`. */
export function formFields(section: Section, level: Level, c: ExperimentConfig, d: DataKind): FieldSpec[] {
  return FORM[section].filter(
    (f) => (!f.when || f.when(c, d)) && (level === 'all' || (level === 'advanced') === (f.advanced === true)),
  );
}

/** Whether the config leaf `path` (as the URL names it: `schedule.warmup`) is set in the advanced view: an advanced
 * field, or a parameter of any choice (`optimizer.beta1`) but the basic ones (`optimizer.lr`). */
export function isAdvancedLeaf(path: string): boolean {
  if (BASIC_PARAMS.includes(path)) return false;
  const specs = [...FORM.data, ...FORM.model, ...FORM.training];
  const spec = specs.find((f) => f.path === path);
  if (spec) return spec.advanced === true;
  const parent = path.split('.').slice(0, -1).join('.');
  return parent !== '' && specs.some((f) => f.path === `${parent}.name`);
}

/** Fields with no choice parameter behind them: their labels live in src/i18n/fields.ts. */
export function allFieldPaths(): string[] {
  return [...FORM.data, ...FORM.model, ...FORM.training].map((f) => f.path).concat(['dataset.name', 'model.hidden']);
}

/** The input kind and task of a config's dataset, from the dataset's tags in /api/options. */
export function dataKind(options: Options, c: ExperimentConfig): DataKind {
  const tags = options.datasets.find((d) => d.name === c.dataset.name)?.tags ?? {};
  return { input: String(tags.input ?? 'plane'), task: String(tags.task ?? 'binary') };
}

function kindTag(options: Pick<Options, 'model_kinds'>, kind: string, tag: 'reads' | 'made_for'): string[] {
  const value = options.model_kinds.find((k) => k.name === kind)?.tags?.[tag];
  return Array.isArray(value) ? value.map(String) : [];
}

/** Whether the model kind reads the dataset's input (the registry's `reads` tag: the server refuses the rest). */
export function modelFits(options: Pick<Options, 'model_kinds'>, kind: string, d: DataKind): boolean {
  return kindTag(options, kind, 'reads').includes(d.input);
}

/** The model kind to use on data `d`: the current one when it fits, else the one made for that input. */
export function fittingKind<K extends string>(options: Pick<Options, 'model_kinds'>, kind: K, d: DataKind): K {
  if (modelFits(options, kind, d)) return kind;
  const made = options.model_kinds.find((k) => kindTag(options, k.name, 'made_for').includes(d.input));
  return (made?.name ?? kind) as K; // the server's kinds are the names of the config's enum
}

export { isMlp };
