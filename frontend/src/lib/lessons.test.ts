import { describe, expect, it } from 'vitest';
import type { ExperimentConfig, Lesson, LessonArm, LessonCheck } from './api';
import {
  alignCurves,
  armDifferences,
  CURVE_COLORS,
  LOG_FLOOR,
  figureName,
  formatFigure,
  labSummary,
  lessonBands,
  lessonCurves,
  loadArm,
  pickIsRight,
  say,
  shownSeed,
  wantsLog,
} from './lessons';

const lesson = {
  id: 'dead-relu',
  answer: 1,
  predictions: [
    { en: 'a', zh: '甲' },
    { en: 'b', zh: '乙' },
  ],
} as unknown as Lesson;

describe('pick', () => {
  it('is null before a pick, then right or wrong', () => {
    expect(pickIsRight(lesson, null)).toBeNull();
    expect(pickIsRight(lesson, 1)).toBe(true);
    expect(pickIsRight(lesson, 0)).toBe(false);
  });

  it('says a text in the language', () => {
    expect(say(lesson.predictions[1], 'en')).toBe('b');
    expect(say(lesson.predictions[1], 'zh')).toBe('乙');
  });
});

describe('figures', () => {
  it('formats numbers for the table', () => {
    expect(formatFigure(null)).toBe('–');
    expect(formatFigure(undefined)).toBe('–');
    expect(formatFigure(0)).toBe('0');
    expect(formatFigure(42)).toBe('42');
    expect(formatFigure(0.123456)).toBe('0.123');
    expect(formatFigure(0.5)).toBe('0.5');
    expect(formatFigure(2.5e-7)).toBe('2.5e-7');
    expect(formatFigure(1234.5678)).toBe('1.23e+3');
    expect(formatFigure(-3.14159)).toBe('-3.14');
  });

  it('names figures in words, in the language, never by their key', () => {
    const check = {
      verdict: {
        figures: { relu_max_grad: 0, other_key: 1 },
        labels: { relu_max_grad: { en: 'ReLU: largest layer gradient at the end', zh: 'ReLU：训练结束时最大的层梯度' } },
      },
    } as unknown as LessonCheck;
    expect(figureName(check, 'relu_max_grad', 'en')).toBe('ReLU: largest layer gradient at the end');
    expect(figureName(check, 'relu_max_grad', 'zh')).toBe('ReLU：训练结束时最大的层梯度');
    // a figure without a name (an older server) is numbered, not shown by its key
    expect(figureName(check, 'other_key', 'en')).toBe('figure 2');
    expect(figureName(check, 'other_key', 'zh', '指标 {n}')).toBe('指标 2');
  });
});

describe('config', () => {
  it('loads an arm into the draft in place, as a copy', () => {
    const draft = { seed: 1, model: { activation: 'tanh' } } as unknown as ExperimentConfig;
    const arm = { name: 'relu', config: { seed: 0, model: { activation: 'relu' } } } as unknown as LessonArm;
    loadArm(draft, arm);
    expect(draft).toEqual(arm.config);
    expect(draft.model).not.toBe(arm.config?.model);
  });
});

describe('arm differences', () => {
  it('lists the settings in which the arms differ', () => {
    const arms = [
      { name: 'a', config: { seed: 0, model: { activation: 'relu', hidden: [4, 4] } } },
      { name: 'b', config: { seed: 0, model: { activation: 'tanh', hidden: [4, 4] } } },
    ] as unknown as LessonArm[];
    expect(armDifferences(arms)).toEqual([['model.activation=relu'], ['model.activation=tanh']]);
  });

  it('shows a setting most arms share only where an arm departs from it; the baseline lists nothing', () => {
    const arm = (name: string, wd: number, dropout: number) => ({
      name,
      config: { seed: 0, optimizer: { weight_decay: wd }, model: { dropout } },
    });
    const arms = [arm('none', 0, 0), arm('l2', 0.003, 0), arm('dropout', 0, 0.5), arm('both', 0.003, 0.5)];
    // weight decay: two arms each way, no majority: shown for every arm; dropout likewise
    expect(armDifferences(arms as unknown as LessonArm[])[0]).toEqual(['optimizer.weight_decay=0', 'model.dropout=0']);
    const three = [arm('none', 0, 0), arm('l2', 0.003, 0), arm('dropout', 0, 0.5)] as unknown as LessonArm[];
    expect(armDifferences(three)).toEqual([[], ['optimizer.weight_decay=0.003'], ['model.dropout=0.5']]);
    // a later arm that matches every majority is not called the baseline: it lists what it has
    const later = [arm('l2', 0.003, 0), arm('none', 0, 0), arm('dropout', 0, 0.5)] as unknown as LessonArm[];
    expect(armDifferences(later)[1]).toEqual(['optimizer.weight_decay=0', 'model.dropout=0']);
  });

  it('sums up a lab arm in one line, and a lab arm leaves the draft alone', () => {
    const lab = {
      surface: 'quadratic',
      k: 100,
      start: [-1.8, 0.6],
      steps: 400,
      optimizers: [
        { name: 'sgd', lr: 0.0198 },
        { name: 'momentum', lr: 0.0198, momentum: 0.9 },
      ],
    };
    const arms = [{ name: 'bowl', config: null, lab }] as unknown as LessonArm[];
    expect(armDifferences(arms)).toEqual([['quadratic k=100 · start (-1.8, 0.6) · 400 steps · step 0.0198 · sgd, momentum']]);
    const saddle = { ...lab, surface: 'saddle', k: null };
    expect(labSummary(saddle as never)).toBe('saddle · start (-1.8, 0.6) · 400 steps · step 0.0198 · sgd, momentum');
    const draft = { seed: 1 } as unknown as ExperimentConfig;
    loadArm(draft, arms[0]);
    expect(draft).toEqual({ seed: 1 });
  });
});

describe('loss curves', () => {
  const arm = (name: string, en: string) => ({ name, label: { en, zh: `${en}（中）` } });
  const network = { kind: 'network', arms: [arm('relu', 'ReLU'), arm('tanh', 'Tanh'), arm('plain', 'Plain')] } as unknown as Lesson;

  it('puts curves on one step axis, null where a curve has no point', () => {
    const a = { step: [1, 25, 50], loss: [0.7, 0.5, 0.3] };
    const b = { step: [1, 4], loss: [11, null] }; // diverged at step 4
    expect(alignCurves([a, b])).toEqual([
      [1, 4, 25, 50],
      [0.7, null, 0.5, 0.3],
      [11, null, null, null],
    ]);
  });

  it('takes a log scale only for positive losses spanning more than a factor 30', () => {
    expect(wantsLog([{ step: [1, 2], loss: [1, 0.01] }])).toBe(true);
    expect(wantsLog([{ step: [1, 2], loss: [0.7, 0.1] }])).toBe(false);
    expect(wantsLog([{ step: [1, 2], loss: [1, -3] }])).toBe(false); // a saddle's loss goes below 0
    expect(wantsLog([{ step: [1], loss: [null] }])).toBe(false);
  });

  it('overlays a network lesson’s arms on one chart, a line per arm named by its label', () => {
    const check = {
      runs: [
        { arm: 'relu', curve: { step: [1, 25], loss: [0.7, 0.1] } },
        { arm: 'tanh', curve: { step: [1, 25], loss: [0.7, 0.4] } },
        { arm: 'plain', curve: { step: [1, 3], loss: [9, null] } },
      ],
    } as unknown as LessonCheck;
    const charts = lessonCurves(network, check, 'zh', 'title');
    expect(charts).toHaveLength(1);
    expect(charts[0].lines.map((l) => l.label)).toEqual(['ReLU（中）', 'Tanh（中）', 'Plain（中）']);
    expect(new Set(charts[0].lines.map((l) => l.color)).size).toBe(3);
    expect(charts[0].data[0]).toEqual([1, 3, 25]);
    expect(charts[0].points).toBe(5); // the non-finite point is not counted
    expect(charts[0].log).toBe(true); // 9 .. 0.1
  });

  it('draws a lab lesson’s setups one chart each, a line per optimizer', () => {
    const lab = { kind: 'lab', arms: [arm('saddle', 'Saddle'), arm('bowl', 'Bowl')] } as unknown as Lesson;
    const path = (optimizer: string) => ({ optimizer, curve: { step: [0, 1], loss: [1, 0.5] } });
    const check = {
      runs: [
        { arm: 'saddle', paths: [path('sgd'), path('adam')] },
        { arm: 'bowl', paths: [path('sgd')] },
      ],
    } as unknown as LessonCheck;
    const charts = lessonCurves(lab, check, 'en', 'title', (name) => name.toUpperCase());
    expect(charts.map((c) => c.title)).toEqual(['Saddle', 'Bowl']);
    expect(charts[0].lines.map((l) => l.label)).toEqual(['SGD', 'ADAM']);
    expect(charts[1].lines).toHaveLength(1);
  });

  it('ends a line on a log scale where its loss falls below the floor', () => {
    const lab = { kind: 'lab', arms: [arm('bowl', 'Bowl')] } as unknown as Lesson;
    const check = {
      runs: [{ arm: 'bowl', paths: [{ optimizer: 'sgd', curve: { step: [0, 1, 2], loss: [1, 1e-6, 1e-70] } }] }],
    } as unknown as LessonCheck;
    const [c] = lessonCurves(lab, check, 'en', 'title');
    expect(c.log).toBe(true);
    expect(c.data[1]).toEqual([1, 1e-6, null]);
    expect(1e-70).toBeLessThan(LOG_FLOOR);
    expect(c.points).toBe(2);
  });

  it('draws a network arm over its seeds as the median, min and max of their curves', () => {
    const seeds = (arm: string, losses: (number | null)[][]) => ({
      arm,
      curve: { step: [1, 25, 50], loss: losses[0] },
      curves: losses.map((loss, seed) => ({ seed, step: [1, 25, 50], loss })),
    });
    const check = {
      runs: [
        seeds('relu', [[0.7, 0.5, 0.3], [0.7, 0.6, 0.5], [0.7, 0.4, 0.1]]),
        seeds('tanh', [[0.7, 0.69, 0.69], [0.7, 0.7, null], [0.7, 0.68, 0.6]]), // seed 1's last loss not finite
        { arm: 'plain', curve: { step: [1, 25], loss: [0.7, 0.7] }, curves: [{ seed: 0, step: [1, 25], loss: [0.7, 0.7] }] },
      ],
    } as unknown as LessonCheck;
    const drawn = lessonBands(network, check, 'en')!;
    expect(drawn.seeds).toBe(3);
    expect(drawn.log).toBe(false);
    expect(drawn.arms.map((a) => [a.name, a.label])).toEqual([
      ['relu', 'ReLU'],
      ['tanh', 'Tanh'],
      ['plain', 'Plain'],
    ]);
    expect(drawn.arms.map((a) => a.color)).toEqual(CURVE_COLORS.slice(0, 3));
    const [relu, tanh, plain] = drawn.arms.map((a) => a.band);
    // every arm on the same grid: every step any seed measured
    expect(relu.step).toEqual([1, 25, 50]);
    expect(plain.step).toEqual([1, 25, 50]);
    expect(relu.median).toEqual([0.7, 0.5, 0.3]);
    expect(relu.min).toEqual([0.7, 0.4, 0.1]);
    expect(relu.max).toEqual([0.7, 0.6, 0.5]);
    expect(relu.count).toEqual([3, 3, 3]);
    // a seed without a finite loss at a step is left out there (the median of the other two)
    expect(tanh.count).toEqual([3, 3, 2]);
    expect(tanh.median[2]).toBeCloseTo(0.645);
    expect(plain.count).toEqual([1, 1, 0]);
    expect(plain.median[2]).toBeNull();
  });

  it('takes the seed bands on a log scale as the single curves are, leaving out what falls below the floor', () => {
    const check = {
      runs: [
        {
          arm: 'relu',
          curves: [
            { seed: 0, step: [1, 25], loss: [10, 1e-13] },
            { seed: 1, step: [1, 25], loss: [10, 0.1] },
          ],
        },
      ],
    } as unknown as LessonCheck;
    const drawn = lessonBands(network, check, 'zh')!;
    expect(drawn.log).toBe(true);
    expect(drawn.arms[0].label).toBe('ReLU（中）');
    expect(drawn.arms[0].band.min).toEqual([10, 0.1]);
    expect(drawn.arms[0].band.count).toEqual([2, 1]);
  });

  it('has no seed bands for a lab lesson or a check without per-seed curves', () => {
    const lab = { kind: 'lab', arms: [arm('bowl', 'Bowl')] } as unknown as Lesson;
    const labCheck = { runs: [{ arm: 'bowl', paths: [], curves: null }] } as unknown as LessonCheck;
    expect(lessonBands(lab, labCheck, 'en')).toBeNull();
    const older = { runs: [{ arm: 'relu', curve: { step: [1], loss: [0.7] } }] } as unknown as LessonCheck;
    expect(lessonBands(network, older, 'en')).toBeNull();
  });

  it('shows the figures of the seed the arms carry, else of the first judged', () => {
    const withSeed = (seed: number) => ({ arms: [{ name: 'relu', config: { seed } }] }) as unknown as Lesson;
    const check = { verdict: { seeds: [{ seed: 0 }, { seed: 1 }, { seed: 2 }] } } as unknown as LessonCheck;
    expect(shownSeed(withSeed(2), check)).toBe(2);
    expect(shownSeed(withSeed(7), check)).toBe(0);
    expect(shownSeed(withSeed(2), { verdict: { seeds: null } } as unknown as LessonCheck)).toBeNull();
  });

  it('has no pale yellow among the line colours', () => {
    expect(CURVE_COLORS).not.toContain('#edc948');
    expect(CURVE_COLORS.length).toBeGreaterThanOrEqual(9); // the optimizers lesson compares 9 arms
  });
});
