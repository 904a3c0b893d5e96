import { describe, expect, it } from 'vitest';
import type { Dense } from './dense';
import {
  confusionOf,
  decades,
  earlyLateRatio,
  grey,
  logPosition,
  logRange,
  mapGeometry,
  mapOffset,
  rangeOf,
  scaleFor,
  scalePosition,
  seqLenBounds,
  timeTicks,
} from './heatmap';

function dense(shape: number[], values: number[]): Dense {
  return { shape, lo: Math.min(...values), hi: Math.max(...values), data: Float32Array.from(values) };
}

describe('feature-map index math', () => {
  it('reads (images, channels, H, W) and a single image (channels, H, W)', () => {
    expect(mapGeometry([10, 8, 4, 4])).toEqual({ images: 10, channels: 8, h: 4, w: 4 });
    expect(mapGeometry([8, 4, 4])).toEqual({ images: 1, channels: 8, h: 4, w: 4 });
    expect(mapGeometry([4, 4])).toBeNull();
  });

  it('finds channel c of image i; a single image serves every digit', () => {
    const g4 = mapGeometry([10, 3, 2, 5])!;
    expect(mapOffset(g4, 0, 0)).toBe(0);
    expect(mapOffset(g4, 0, 2)).toBe(20);
    expect(mapOffset(g4, 7, 1)).toBe((7 * 3 + 1) * 10);
    expect(mapOffset(g4, 12, 0)).toBe(9 * 30); // clamped to the last image
    const g3 = mapGeometry([3, 2, 5])!;
    expect(mapOffset(g3, 7, 1)).toBe(10);
  });

  it('picks a grey scale for non-negative maps and a symmetric diverging one otherwise', () => {
    const data = [0, 2, -1, 4, 0.5];
    expect(rangeOf(data)).toEqual({ lo: -1, hi: 4 });
    expect(rangeOf(data, 3, 5)).toEqual({ lo: 0.5, hi: 4 });
    expect(rangeOf([])).toEqual({ lo: 0, hi: 0 });
    expect(scaleFor({ lo: 0, hi: 3 })).toBe('grey');
    expect(scaleFor({ lo: -1, hi: 4 })).toBe('diverging');
    expect(scalePosition(1.5, 'grey', { lo: 0, hi: 3 })).toBe(0.5);
    expect(scalePosition(-1, 'diverging', { lo: -1, hi: 4 })).toBe(-0.25);
    expect(scalePosition(4, 'diverging', { lo: -1, hi: 4 })).toBe(1);
    expect(scalePosition(5, 'grey', { lo: 0, hi: 0 })).toBe(0);
    expect(grey(0)).toEqual([255, 255, 255]);
    expect(grey(1)).toEqual([20, 20, 20]);
    expect(grey(9)).toEqual(grey(1));
  });
});

describe('confusion matrix', () => {
  it('rounds the quantized counts, normalises each row and counts the diagonal', () => {
    // rows = true label, columns = prediction
    const c = confusionOf(dense([3, 3], [8.02, 1.98, 0, 0, 5, 0, 3, 0.99, 0]))!;
    expect(c.counts).toEqual([
      [8, 2, 0],
      [0, 5, 0],
      [3, 1, 0],
    ]);
    expect(c.shares[0]).toEqual([0.8, 0.2, 0]);
    expect(c.shares[1]).toEqual([0, 1, 0]);
    expect(c.shares[2]).toEqual([0.75, 0.25, 0]);
    expect(c.total).toBe(19);
    expect(c.correct).toBe(13);
    expect(c.accuracy).toBeCloseTo(13 / 19);
  });

  it('gives empty rows a zero share and refuses a non-square array', () => {
    const c = confusionOf(dense([2, 2], [0, 0, 0, 0]))!;
    expect(c.shares).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(c.accuracy).toBeNull();
    expect(confusionOf(dense([2, 3], [1, 2, 3, 4, 5, 6]))).toBeNull();
  });
});

describe('log colour scale of ||dL/dh_t||', () => {
  const rows = [
    [1e-6, 1e-3, null, 1],
    [0, 1e-2, 10, NaN],
  ];

  it('spans the positive finite values in decades', () => {
    expect(logRange(rows)).toEqual({ lo: -6, hi: 1 });
    expect(logRange([[null, 0]])).toBeNull();
    expect(decades({ lo: -6, hi: 1 })).toEqual([-6, -5, -4, -3, -2, -1, 0, 1]);
    expect(decades({ lo: -2.5, hi: -0.5 })).toEqual([-2, -1]);
  });

  it('maps values to [0, 1] by their logarithm and missing ones to NaN', () => {
    const r = { lo: -6, hi: 1 };
    expect(logPosition(1e-6, r)).toBe(0);
    expect(logPosition(10, r)).toBe(1);
    expect(logPosition(1e-3, r)).toBeCloseTo(3 / 7);
    expect(logPosition(1e-9, r)).toBe(0);
    expect(logPosition(null, r)).toBeNaN();
    expect(logPosition(0, r)).toBeNaN();
    expect(logPosition(5, { lo: 0, hi: 0 })).toBe(1);
  });

  it('compares the gradient at the first step with the last', () => {
    expect(earlyLateRatio([1e-4, 0.5, 1])).toBeCloseTo(1e-4);
    expect(earlyLateRatio([2, 1])).toBe(2);
    expect(earlyLateRatio([1])).toBeNull();
    expect(earlyLateRatio([null, 1])).toBeNull();
    expect(earlyLateRatio([1, 0])).toBeNull();
    expect(earlyLateRatio(undefined)).toBeNull();
  });
});

describe('time-step ticks', () => {
  it('start at 1, end at T and step on a 1-2-5 ladder without crowding the ends', () => {
    expect(timeTicks(10)).toEqual([1, 2, 4, 6, 8, 10]);
    expect(timeTicks(11)).toEqual([1, 2, 4, 6, 8, 11]);
    expect(timeTicks(20)).toEqual([1, 5, 10, 15, 20]);
    expect(timeTicks(200)).toEqual([1, 50, 100, 150, 200]);
    expect(timeTicks(2)).toEqual([1, 2]);
    expect(timeTicks(1)).toEqual([1]);
    expect(timeTicks(0)).toEqual([]);
  });
});

describe('sequence length bounds', () => {
  it('come from the schema, with the documented fallback', () => {
    const info = { path: 'dataset.seq_len', kind: 'integer' as const, title: 'T', description: '', min: 2, max: 200 };
    expect(seqLenBounds(info)).toEqual({ min: 2, max: 200 });
    expect(seqLenBounds({ ...info, min: 1, minExclusive: true })).toEqual({ min: 2, max: 200 });
    expect(seqLenBounds(null)).toEqual({ min: 2, max: 200 });
  });
});
