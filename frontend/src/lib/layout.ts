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
}

export type Section = 'data' | 'model' | 'training';

const isMlp = (c: ExperimentConfig) => c.model.kind === 'mlp';

export const FORM: Record<Section, FieldSpec[]> = {
  data: [
    { path: 'dataset.noise', when: (_, d) => d.input !== 'image' && d.input !== 'from the file' },
    { path: 'dataset.train_fraction' },
    { path: 'dataset.n_samples', when: (_, d) => d.input !== 'image' && d.input !== 'from the file' },
    { path: 'dataset.features', when: (_, d) => d.input === 'plane' },
    { path: 'dataset.seq_len', when: (_, d) => d.input === 'sequence' },
    { path: 'dataset.preprocessing' },
    { path: 'batch_size' },
  ],
  model: [
    { path: 'model.kind' },
    { path: 'model.activation' },
    { path: 'model.init.name' },
    { path: 'model.init.bias' },
    { path: 'model.init.bias_value', when: (c) => c.model.init?.bias === 'constant' },
    { path: 'model.norm' },
    { path: 'model.norm_position', when: (c) => c.model.norm !== 'none' },
    { path: 'model.residual' },
    { path: 'model.dropout' },
    { path: 'model.channels', when: (c) => c.model.kind === 'cnn' },
    { path: 'model.kernel_size', when: (c) => c.model.kind === 'cnn' },
    { path: 'model.pooling', when: (c) => c.model.kind === 'cnn' },
    { path: 'model.cell', when: (c) => c.model.kind === 'rnn' },
    { path: 'model.rnn_hidden', when: (c) => c.model.kind === 'rnn' },
    { path: 'model.rnn_layers', when: (c) => c.model.kind === 'rnn' },
    { path: 'model.recurrent_init.name', when: (c) => c.model.kind === 'rnn' },
  ],
  training: [
    { path: 'optimizer.name' },
    { path: 'schedule.name' },
    { path: 'clipping.name' },
    { path: 'regularization.l1' },
    { path: 'regularization.early_stopping' },
    { path: 'regularization.label_smoothing', when: (_, d) => d.task !== 'regression' },
    { path: 'regularization.input_noise' },
    { path: 'loss' },
    { path: 'steps' },
    { path: 'eval_every' },
    { path: 'seed' },
    { path: 'frame_hz' },
    { path: 'device' },
  ],
};

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
