import { describe, expect, it } from 'vitest';
import type { Choice, ExperimentConfig, Options } from './api';
import {
  addSelected,
  changeAt,
  chartLabels,
  configDiff,
  datasetTask,
  forkNeedsSteps,
  mixedTasks,
  parseForkEnd,
  parseForkStep,
  seriesDigest,
  taskKind,
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

describe('the fork step as typed', () => {
  it('is empty (the run’s current step) or a whole step from 0 to the run’s step', () => {
    expect(parseForkStep('', 300)).toEqual({ ok: true, step: null });
    expect(parseForkStep('  ', 300)).toEqual({ ok: true, step: null });
    expect(parseForkStep(null, 300)).toEqual({ ok: true, step: null });
    expect(parseForkStep('0', 300)).toEqual({ ok: true, step: 0 });
    expect(parseForkStep(0, 300)).toEqual({ ok: true, step: 0 }); // a number input's binding gives a number
    expect(parseForkStep('300', 300)).toEqual({ ok: true, step: 300 });
    expect(parseForkStep('abc', 300)).toEqual({ ok: false, error: 'number' });
    expect(parseForkStep('12x', 300)).toEqual({ ok: false, error: 'number' });
    expect(parseForkStep('-1', 300)).toEqual({ ok: false, error: 'negative' });
    expect(parseForkStep('2.5', 300)).toEqual({ ok: false, error: 'integer' });
    expect(parseForkStep('301', 300)).toEqual({ ok: false, error: 'beyond' });
  });

  it('needs more steps at (or past) the end of a run that ends, never for one that trains until stopped', () => {
    expect(forkNeedsSteps(300, 300)).toBe(true);
    expect(forkNeedsSteps(300, 299)).toBe(false);
    expect(forkNeedsSteps(300, 0)).toBe(false);
    expect(forkNeedsSteps(null, 5000)).toBe(false);
    expect(parseForkEnd('1300', 300, 1_000_000)).toEqual({ ok: true, end: 1300 });
    expect(parseForkEnd('300', 300, 1_000_000)).toEqual({ ok: false });
    expect(parseForkEnd('', 300, 1_000_000)).toEqual({ ok: false });
    expect(parseForkEnd('2e6', 300, 1_000_000)).toEqual({ ok: false });
    expect(parseForkEnd('abc', 300, 1_000_000)).toEqual({ ok: false });
  });
});

describe('runs of different tasks', () => {
  const options = {
    datasets: [
      { name: 'circle', tags: { task: 'binary' } },
      { name: 'sine', tags: { task: 'regression' } },
      { name: 'digits', tags: { task: 'multiclass' } },
      { name: 'upload', tags: { task: 'from the file' } },
    ],
  } as unknown as Options;
  const on = (name: string) => ({ ...DEFAULTS, dataset: { ...DEFAULTS.dataset, name } }) as ExperimentConfig;

  it('tells classification from regression', () => {
    expect(taskKind('binary')).toBe('classification');
    expect(taskKind('multiclass')).toBe('classification');
    expect(taskKind('regression')).toBe('regression');
    expect(taskKind('from the file')).toBeNull();
    expect(datasetTask(options, on('sine'))).toBe('regression');
    expect(datasetTask(options, on('upload'))).toBeNull(); // its file decides
    expect(datasetTask(options, null)).toBeNull();
  });

  it('are named when the overlay mixes them, not when it does not', () => {
    expect(mixedTasks(['binary', 'regression'])).toEqual(['classification', 'regression']);
    expect(mixedTasks(['binary', 'multiclass'])).toEqual([]);
    expect(mixedTasks(['regression', 'regression', null])).toEqual([]);
    expect(mixedTasks(['regression', undefined, 'multiclass'])).toEqual(['classification', 'regression']);
    expect(mixedTasks([])).toEqual([]);
  });
});

describe('the selection', () => {
  it('makes room for a new run, keeping the pinned ones', () => {
    expect(addSelected(['a', 'b'], 'c')).toEqual(['a', 'b', 'c']);
    expect(addSelected(['a', 'b'], 'b')).toEqual(['a', 'b']);
    expect(addSelected(['page', 'b', 'c', 'd'], 'e', ['page'])).toEqual(['page', 'c', 'd', 'e']);
    expect(addSelected(['page', 'parent', 'c', 'd'], 'fork', ['page', 'parent'])).toEqual(['page', 'parent', 'd', 'fork']);
    expect(addSelected(['a', 'b', 'c', 'd'], 'e')).toEqual(['b', 'c', 'd', 'e']);
  });

  it('names the charts’ runs by name, told apart where two read the same', () => {
    expect(chartLabels(['baseline', 'lr 0.05'], ['aaaa1111', 'bbbb2222'])).toEqual(['baseline', 'lr 0.05']);
    expect(chartLabels(['x'.repeat(40)], ['aaaa1111'], 10)).toEqual(['xxxxxxxxx…']);
    // the default names fit whole, so runs made a minute apart read apart
    expect(chartLabels(['circle · mlp 8-8 tanh · 14:03 UTC', 'circle · mlp 8-8 tanh · 14:04 UTC'], ['a1', 'b2'])).toEqual([
      'circle · mlp 8-8 tanh · 14:03 UTC',
      'circle · mlp 8-8 tanh · 14:04 UTC',
    ]);
    expect(chartLabels(['circle · mlp 8-8 tanh · 14:03 UTC', 'circle · mlp 8-8 tanh · 14:03 UTC'], ['aaaa1111', 'bbbb2222'], 28)).toEqual([
      'circle · mlp 8-8 tanh… #aaaa',
      'circle · mlp 8-8 tanh… #bbbb',
    ]);
  });

  it('sums up each plotted series: points, first and last point', () => {
    const data = [
      [0, 10, 20, 30],
      [1, null, 0.5, 0.25],
      [null, 0.9, null, null],
      [null, null, null, null],
    ];
    expect(seriesDigest(data)).toEqual([
      { points: 3, first: [0, 1], last: [30, 0.25] },
      { points: 1, first: [10, 0.9], last: [10, 0.9] },
      { points: 0, first: null, last: null },
    ]);
  });
});
