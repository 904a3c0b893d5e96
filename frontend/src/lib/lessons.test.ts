import { describe, expect, it } from 'vitest';
import type { ExperimentConfig, Lesson, LessonArm } from './api';
import { armDifferences, figureLabel, formatFigure, labSummary, loadArm, pickIsRight, say } from './lessons';

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

  it('names figures readably', () => {
    expect(figureLabel('relu_max_grad')).toBe('relu max grad');
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
