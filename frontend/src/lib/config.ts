// The config form's state and its mapping to/from ExperimentConfig. Choices, defaults and limits
// all come from GET /api/options; nothing here lists them.

import type { ExperimentConfig, Options } from './api';

type DatasetName = ExperimentConfig['dataset']['name'];
type ActivationName = ExperimentConfig['model']['activation'];
type OptimizerName = ExperimentConfig['optimizer']['name'];

/** What the form edits. Everything else in the config is taken from the server's defaults. */
export interface FormState {
  dataset: DatasetName;
  activation: ActivationName;
  hidden: number[];
  optimizer: OptimizerName;
  lr: number;
  batch_size: number;
  steps: number;
  seed: number;
}

export function formFromConfig(c: ExperimentConfig): FormState {
  return {
    dataset: c.dataset.name,
    activation: c.model.activation,
    hidden: [...c.model.hidden],
    optimizer: c.optimizer.name,
    lr: c.optimizer.lr,
    batch_size: c.batch_size,
    steps: c.steps,
    seed: c.seed,
  };
}

/** The POST /api/runs body: the server's defaults with the form's values on top. */
export function configFromForm(defaults: ExperimentConfig, f: FormState): ExperimentConfig {
  return {
    ...defaults,
    dataset: { ...defaults.dataset, name: f.dataset },
    model: { ...defaults.model, hidden: f.hidden.map((w) => Math.round(Number(w))), activation: f.activation },
    optimizer: { ...defaults.optimizer, name: f.optimizer, lr: Number(f.lr) },
    batch_size: Math.round(Number(f.batch_size)),
    steps: Math.round(Number(f.steps)),
    seed: Math.round(Number(f.seed)),
  };
}

export interface Bounds {
  min?: number;
  max?: number;
}

/**
 * `options.limits`. Read by key at run time, so the form keeps working (with open bounds) whatever
 * set of limits the server sends.
 */
export type Limits = Options['limits'] | Readonly<Record<string, number>>;

/** Numeric limit `key` of /api/options (`limits.max_width` ...), if the server sends it. */
export function limit(limits: Limits | undefined, key: string): number | undefined {
  const v = (limits as Readonly<Record<string, unknown>> | undefined)?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Input bounds of a form field from /api/options' limits. A bound the server does not send is left
 * open (the server validates anyway, and its 422 names the field).
 */
export function boundsFor(limits: Limits | undefined, field: 'lr' | 'batch_size' | 'steps' | 'seed' | 'width'): Bounds {
  switch (field) {
    case 'lr':
      return { min: limit(limits, 'min_lr'), max: limit(limits, 'max_lr') };
    case 'batch_size':
      return { min: limit(limits, 'min_batch_size') ?? 1, max: limit(limits, 'max_batch_size') };
    case 'steps':
      return { min: limit(limits, 'min_steps') ?? 1, max: limit(limits, 'max_steps') };
    case 'seed':
      return { min: limit(limits, 'min_seed') ?? 0, max: limit(limits, 'max_seed') };
    case 'width':
      return { min: limit(limits, 'min_width') ?? 1, max: limit(limits, 'max_width') };
  }
}

/** How many hidden layers the form may have: [min_hidden_layers or 0, max_hidden_layers]. */
export function hiddenLayerBounds(limits: Limits | undefined): { min: number; max: number | undefined } {
  return { min: limit(limits, 'min_hidden_layers') ?? 0, max: limit(limits, 'max_hidden_layers') };
}
