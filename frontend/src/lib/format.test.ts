import { describe, expect, it } from 'vitest';
import { formatAccuracy, formatLimit, formatLoss, formatSig, formatStep, logStep, seriesColors } from './format';

describe('formatLoss', () => {
  it('keeps 4 significant digits', () => {
    expect(formatLoss(0.693147)).toBe('0.6931');
    expect(formatLoss(1.23456)).toBe('1.235');
    expect(formatLoss(12.3456)).toBe('12.35');
    expect(formatLoss(1234.56)).toBe('1235');
    expect(formatLoss(0.0123456)).toBe('0.01235');
  });
  it('drops meaningless trailing zeros', () => {
    expect(formatLoss(0.5)).toBe('0.5');
    expect(formatLoss(2)).toBe('2');
    expect(formatLoss(0)).toBe('0');
  });
  it('uses exponents for very small or large values', () => {
    expect(formatLoss(0.000012346)).toBe('1.235e-5');
    expect(formatLoss(0.0001)).toBe('1e-4');
    expect(formatLoss(12345678)).toBe('1.235e+7');
  });
  it('shows a dash for missing values and symbols for infinities', () => {
    expect(formatLoss(null)).toBe('–');
    expect(formatLoss(undefined)).toBe('–');
    expect(formatLoss(NaN)).toBe('–');
    expect(formatLoss(Infinity)).toBe('∞');
    expect(formatLoss(-Infinity)).toBe('−∞');
  });
  it('handles negatives', () => {
    expect(formatSig(-0.123456)).toBe('-0.1235');
    expect(formatSig(0.123456, 2)).toBe('0.12');
  });
});

describe('formatAccuracy', () => {
  it('is a percentage with one decimal', () => {
    expect(formatAccuracy(0.9734)).toBe('97.3%');
    expect(formatAccuracy(1)).toBe('100.0%');
    expect(formatAccuracy(0)).toBe('0.0%');
    expect(formatAccuracy(null)).toBe('–');
  });
});

describe('formatStep', () => {
  it('shows step and total', () => {
    expect(formatStep(1234, 3000)).toBe('step 1234 / 3000');
    expect(formatStep(0, 3000)).toBe('step 0 / 3000');
  });
  it('works without a total or a step', () => {
    expect(formatStep(12, null)).toBe('step 12');
    expect(formatStep(null, 100)).toBe('step 0 / 100');
  });
});

describe('logStep', () => {
  it('walks the 1-2-5 ladder up and down', () => {
    expect(logStep(0.01, 1, 0.01)).toBe(0.02);
    expect(logStep(0.02, 1, 0.01)).toBe(0.05);
    expect(logStep(0.05, 1, 0.01)).toBe(0.1);
    expect(logStep(0.1, -1, 0.01)).toBe(0.05);
    expect(logStep(0.05, -1, 0.01)).toBe(0.02);
    expect(logStep(0.02, -1, 0.01)).toBe(0.01);
    expect(logStep(1, -1, 0.01)).toBe(0.5);
    expect(logStep(1e-6, 1, 0.01)).toBe(2e-6);
  });
  it('snaps values between rungs to the next rung', () => {
    expect(logStep(0.03, 1, 0.01)).toBe(0.05);
    expect(logStep(0.03, -1, 0.01)).toBe(0.02);
    expect(logStep(0.003, 1, 0.01)).toBe(0.005);
  });
  it('falls back for values that are not positive numbers', () => {
    expect(logStep(0, 1, 0.01)).toBe(0.01);
    expect(logStep(NaN, -1, 0.3)).toBe(0.3);
  });
});

describe('formatLimit', () => {
  it('writes a bound exactly, as a person reads it', () => {
    expect(formatLimit(1e-6)).toBe('1e-6');
    expect(formatLimit(2.5e-4)).toBe('2.5e-4');
    expect(formatLimit(0.5)).toBe('0.5');
    expect(formatLimit(10)).toBe('10');
    expect(formatLimit(1024)).toBe('1,024');
    expect(formatLimit(2 ** 31 - 1)).toBe('2,147,483,647');
    expect(formatLimit(-3)).toBe('-3');
    expect(formatLimit(Infinity)).toBe('∞');
  });
});

describe('seriesColors', () => {
  it('gives n distinct colours', () => {
    for (const n of [0, 1, 3, 10, 11, 17]) {
      const c = seriesColors(n);
      expect(c).toHaveLength(n);
      expect(new Set(c).size).toBe(n);
    }
  });
});

describe('formatStep in another language', () => {
  it('fills the given wording', () => {
    expect(formatStep(12, 300, { of: '第 {step} 步 / 共 {total} 步', one: '第 {step} 步' })).toBe('第 12 步 / 共 300 步');
    expect(formatStep(12, null, { of: '', one: '第 {step} 步' })).toBe('第 12 步');
  });
});
