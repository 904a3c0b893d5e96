import { describe, expect, it } from 'vitest';
import { History, Track } from './history';

describe('Track', () => {
  it('keeps a bounded number of buckets through any number of halvings, the newest value last', () => {
    const track = new Track(100);
    for (let step = 1; step <= 100_000; step++) track.add(step, 1 / Math.sqrt(step));
    expect(track.length).toBeLessThanOrEqual(100);
    expect(track.first[0]).toBe(1);
    for (let i = 1; i < track.length; i++) expect(track.first[i]).toBe(track.step[i - 1] + 1); // no gap, no overlap
    expect(track.step.at(-1)).toBe(100_000);
    expect(track.last.at(-1)).toBe(1 / Math.sqrt(100_000));
    expect(track.count.reduce((a, b) => a + b, 0)).toBe(100_000);
  });

  it('merges the same way as the server (runs/history.py), so a hello continues seamlessly', () => {
    // the server's Track with capacity 4 after the values 3 1 4 1 5 9 2 6 5 3 at steps 1..10
    const track = new Track(4);
    [3, 1, 4, 1, 5, 9, 2, 6, 5, 3].forEach((v, i) => track.add(i + 1, v));
    expect(track.perBucket).toBe(4);
    expect(track.first).toEqual([1, 5, 9]);
    expect(track.step).toEqual([4, 8, 10]);
    expect(track.count).toEqual([4, 4, 2]);
    expect(track.last).toEqual([1, 6, 3]);
  });

  it('reads a column of a per-layer metric, a null as a gap', () => {
    const track = new Track(1);
    track.add(1, [1, null, 3]);
    track.add(2, [0, 5, null]);
    expect(track.column(1)).toEqual([5]);
    expect(track.column(2)).toEqual([null]); // the last value, not finite: a gap
  });
});

describe('History', () => {
  it('adds each figure at the step it was measured, once, never going back', () => {
    const history = new History();
    history.add(1, { train_loss: 1 });
    history.add(2, { train_loss: 0.5, test_loss: 0.7 });
    history.add(2, { test_loss: 0.1 }); // already measured at this step
    history.add(1, { train_loss: 9 }); // a stale frame
    expect(history.get('train_loss')?.step).toEqual([1, 2]);
    expect(history.get('test_loss')?.step).toEqual([2]);
    expect(history.get('test_loss')?.last).toEqual([0.7]);
    expect(history.version).toBe(4);
  });

  it('is built from a hello and continued by the rules it was made by', () => {
    const history = History.fromWire({
      capacity: 2,
      tracks: { x: { shape: [], per_bucket: 1, first: [1, 2], step: [1, 2], count: [1, 1], last: [5, 6] } },
    });
    history.add(3, { x: 7 });
    const x = history.get('x')!;
    expect(x.perBucket).toBe(2);
    expect(x.step).toEqual([2, 3]);
    expect(x.last).toEqual([6, 7]);
  });
});
