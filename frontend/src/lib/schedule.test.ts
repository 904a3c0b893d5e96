import { describe, expect, it } from 'vitest';
import { createCoalescer } from './schedule';

function fakeRaf() {
  const queue = new Map<number, (t: number) => void>();
  let next = 1;
  return {
    request: (cb: (t: number) => void) => {
      queue.set(next, cb);
      return next++;
    },
    cancel: (h: number) => void queue.delete(h),
    tick() {
      const cbs = [...queue.values()];
      queue.clear();
      cbs.forEach((cb) => cb(0));
    },
    get size() {
      return queue.size;
    },
  };
}

describe('createCoalescer', () => {
  it('runs the callback once per animation frame however often it is scheduled', () => {
    const raf = fakeRaf();
    let runs = 0;
    const c = createCoalescer(() => runs++, raf.request, raf.cancel);
    for (let i = 0; i < 100; i++) c.schedule();
    expect(raf.size).toBe(1);
    expect(c.pending).toBe(true);
    expect(runs).toBe(0);
    raf.tick();
    expect(runs).toBe(1);
    expect(c.pending).toBe(false);
    raf.tick();
    expect(runs).toBe(1);
    c.schedule();
    raf.tick();
    expect(runs).toBe(2);
  });

  it('can be cancelled', () => {
    const raf = fakeRaf();
    let runs = 0;
    const c = createCoalescer(() => runs++, raf.request, raf.cancel);
    c.schedule();
    c.cancel();
    raf.tick();
    expect(runs).toBe(0);
    expect(c.pending).toBe(false);
  });
});
