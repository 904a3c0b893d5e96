import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from './api';
import { boundsFor, configFromForm, formFromConfig, hiddenLayerBounds, limit } from './config';
import { CONFIG } from './fixtures';

const DEFAULTS: ExperimentConfig = CONFIG;

const LIMITS = { max_hidden_layers: 4, max_width: 256, min_lr: 1e-6, max_lr: 10, max_batch_size: 4096, max_steps: 100000, max_seed: 99 };

describe('form <-> config', () => {
  it('round-trips the defaults', () => {
    const f = formFromConfig(DEFAULTS);
    expect(f).toEqual({ dataset: 'circle', activation: 'tanh', hidden: [8, 8], optimizer: 'adam', lr: 0.01, batch_size: 16, steps: 3000, seed: 0 });
    expect(configFromForm(DEFAULTS, f)).toEqual(DEFAULTS);
  });

  it('does not share the hidden list with the defaults', () => {
    const f = formFromConfig(DEFAULTS);
    f.hidden.push(4);
    expect(DEFAULTS.model.hidden).toEqual([8, 8]);
  });

  it('puts the form values on top of the defaults and keeps the rest', () => {
    const f = { ...formFromConfig(DEFAULTS), dataset: 'xor', activation: 'relu', hidden: [32, 16, 4], optimizer: 'sgd', lr: 0.1, batch_size: 64, steps: 500, seed: 7 } as ReturnType<typeof formFromConfig>;
    const c = configFromForm(DEFAULTS, f);
    expect(c.dataset).toEqual({ name: 'xor', n_samples: 400, noise: 0.1, train_fraction: 0.5 });
    expect(c.model).toEqual({ hidden: [32, 16, 4], activation: 'relu' });
    expect(c.optimizer).toEqual({ name: 'sgd', lr: 0.1 });
    expect([c.batch_size, c.steps, c.seed, c.frame_hz, c.device]).toEqual([64, 500, 7, 20, 'auto']);
  });
});

describe('limits', () => {
  it('reads numeric limits by name and nothing else', () => {
    expect(limit(LIMITS, 'max_width')).toBe(256);
    expect(limit(LIMITS, 'nope')).toBeUndefined();
    expect(limit(undefined, 'max_width')).toBeUndefined();
    expect(limit({ max_width: 'x' } as never, 'max_width')).toBeUndefined();
  });

  it('gives input bounds from the server limits', () => {
    expect(boundsFor(LIMITS, 'lr')).toEqual({ min: 1e-6, max: 10 });
    expect(boundsFor(LIMITS, 'width')).toEqual({ min: 1, max: 256 });
    expect(boundsFor(LIMITS, 'batch_size')).toEqual({ min: 1, max: 4096 });
    expect(boundsFor(LIMITS, 'steps')).toEqual({ min: 1, max: 100000 });
    expect(boundsFor(LIMITS, 'seed')).toEqual({ min: 0, max: 99 });
    expect(boundsFor({}, 'lr')).toEqual({ min: undefined, max: undefined });
    expect(boundsFor({ min_width: 2 }, 'width').min).toBe(2);
  });

  it('bounds the number of hidden layers', () => {
    expect(hiddenLayerBounds(LIMITS)).toEqual({ min: 0, max: 4 });
    expect(hiddenLayerBounds({ min_hidden_layers: 1 })).toEqual({ min: 1, max: undefined });
  });
});
