import { describe, expect, it } from 'vitest';
import type { Choice, ExperimentConfig, Options } from './api';
import {
  changeAt,
  configDiff,
  describeChange,
  forkPaths,
  modelSummary,
  onUnion,
  parseFieldValue,
  summarizeDiff,
  unionSteps,
  valueNear,
} from './compare';
import { DEFAULTS } from './fixtures';

const clone = (): ExperimentConfig => structuredClone(DEFAULTS);

describe('configDiff', () => {
  it('names every leaf that differs, with both values', () => {
    const other = clone();
    other.optimizer.lr = 0.001;
    other.model.hidden = [8, 4];
    const diff = configDiff(DEFAULTS, other);
    expect(diff).toEqual([
      { path: 'model.hidden', from: [8, 8], to: [8, 4] },
      { path: 'optimizer.lr', from: 0.01, to: 0.001 },
    ]);
    expect(describeChange(diff[1])).toBe('optimizer.lr: 0.01 → 0.001');
    expect(describeChange(diff[0])).toBe('model.hidden: 8,8 → 8,4');
    expect(configDiff(DEFAULTS, clone())).toEqual([]);
  });

  it('summarizes a long diff', () => {
    const changes = ['a', 'b', 'c'].map((p, i) => ({ path: p, from: i, to: i + 1 }));
    expect(summarizeDiff(changes, 2)).toBe('a: 0 → 1; b: 1 → 2; +1');
    expect(summarizeDiff([])).toBe('');
  });
});

describe('forkPaths', () => {
  const choice = (name: string, params: string[]): Choice =>
    ({ name, label: name, description: '', tags: {}, params: params.map((p) => ({ name: p })) }) as unknown as Choice;
  const options = {
    optimizers: ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adadelta', 'adamw'].map((n) => choice(n, ['lr']))
      .concat([choice('adam', ['lr', 'beta1', 'beta2', 'eps', 'weight_decay'])]),
    schedules: ['constant', 'step', 'exponential', 'cosine', 'plateau'].map((n) => choice(n, []))
      .concat([choice('warmup_cosine', ['warmup_steps', 'min_lr_ratio'])]),
    clipping: [choice('none', []), choice('norm', ['max_norm']), choice('value', ['clip_value'])],
    forkable: ['optimizer', 'schedule', 'clipping', 'regularization', 'loss', 'batch_size', 'steps', 'eval_every', 'frame_hz'],
  } as unknown as Options;

  it('offers the chosen optimizer, schedule and clipping with their parameters, never data, model or seed', () => {
    const paths = forkPaths(options, DEFAULTS);
    expect(paths).toEqual(expect.arrayContaining(['optimizer.name', 'optimizer.lr', 'optimizer.beta1', 'schedule.name']));
    expect(paths).toEqual(expect.arrayContaining(['regularization.l1', 'batch_size', 'steps', 'loss', 'clipping.name']));
    expect(paths).not.toContain('optimizer.momentum'); // adam does not read it
    expect(paths).not.toContain('schedule.warmup_steps'); // constant does not
    expect(paths.some((p) => /^(dataset|model|seed|device)/.test(p))).toBe(false);
  });
});

describe('fork values', () => {
  it('nests a path into a ForkRequest change', () => {
    expect(changeAt('optimizer.lr', 0.001)).toEqual({ optimizer: { lr: 0.001 } });
    expect(changeAt('steps', 10)).toEqual({ steps: 10 });
  });

  it('parses and range-checks against the server schema', () => {
    expect(parseFieldValue('optimizer.lr', '0.001')).toEqual({ ok: true, value: 0.001 });
    expect(parseFieldValue('optimizer.lr', '-1')).toEqual({ ok: false, error: 'range' });
    expect(parseFieldValue('optimizer.lr', 'x')).toEqual({ ok: false, error: 'number' });
    expect(parseFieldValue('batch_size', '2.5')).toEqual({ ok: false, error: 'integer' });
    expect(parseFieldValue('frame_hz', '0')).toEqual({ ok: false, error: 'range' }); // exclusive minimum
    expect(parseFieldValue('optimizer.name', 'sgd')).toEqual({ ok: true, value: 'sgd' });
  });
});

describe('unionSteps', () => {
  it('merges ascending step axes and places each run on it', () => {
    const u = unionSteps([
      [0, 10, 20, 30],
      [20, 25, 30, 40],
    ]);
    expect(u.x).toEqual([0, 10, 20, 25, 30, 40]);
    expect(u.pos).toEqual([
      [0, 1, 2, 4],
      [2, 3, 4, 5],
    ]);
    expect(onUnion(u, 1, [1, 2, 3, 4])).toEqual([null, null, 1, 2, 3, 4]);
    expect(onUnion(u, 0, [1, null, 3, 4])).toEqual([1, null, 3, null, 4, null]);
    expect(onUnion(u, 0, undefined)).toEqual([null, null, null, null, null, null]);
  });

  it('keeps one x for repeated steps and copes with empty runs', () => {
    const u = unionSteps([[0, 5, 5, 6], []]);
    expect(u.x).toEqual([0, 5, 6]);
    expect(onUnion(u, 0, [1, 2, 3, 4])).toEqual([1, 3, 4]);
    expect(unionSteps([]).x).toEqual([]);
  });
});

describe('valueNear', () => {
  it('reads the nearest point of the run inside its range, nothing outside it', () => {
    const x = [0, 10, 20, 30, 40, 50];
    const ys = [null, 1, null, null, 4, null];
    expect(valueNear(x, ys, 1)).toBe(1);
    expect(valueNear(x, ys, 2)).toBe(1); // 10 is nearer than 40
    expect(valueNear(x, ys, 3)).toBe(4);
    expect(valueNear(x, ys, 0)).toBeNull(); // before the run's first point
    expect(valueNear(x, ys, 5)).toBeNull(); // after its last
  });
});

describe('modelSummary', () => {
  it('tells models apart', () => {
    expect(modelSummary(DEFAULTS)).toBe('mlp 8-8 tanh');
    expect(modelSummary({ ...DEFAULTS, model: { ...DEFAULTS.model, hidden: Array(10).fill(32) } })).toBe('mlp 32×10 tanh');
    expect(modelSummary({ ...DEFAULTS, model: { ...DEFAULTS.model, kind: 'rnn' } })).toBe('lstm 32×1');
    expect(modelSummary(null)).toBe('–');
  });
});
