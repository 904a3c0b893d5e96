import { describe, expect, it } from 'vitest';
import { labState, openInLab } from './labstate.svelte';

describe('open a lab setup', () => {
  it('sets the surface, k, start, steps, the shared step size and exactly the given optimizers', () => {
    labState.ticked = { sgd: true, adam: true, rmsprop: true };
    labState.settings = { momentum: { momentum: 0.5, dampening: 0.1 } };
    openInLab({
      surface: 'quadratic',
      k: 100,
      start: [-1.8, 0.6],
      steps: 400,
      optimizers: [
        { name: 'sgd', lr: 0.0198 },
        { name: 'momentum', lr: 0.0198, momentum: 0.9 },
      ],
    } as never);
    expect(labState.surface).toBe('quadratic');
    expect(labState.k).toBe(100);
    expect(labState.start).toEqual([-1.8, 0.6]);
    expect(labState.steps).toBe(400);
    expect(labState.lr).toBe(0.0198);
    expect(labState.ticked).toEqual({ sgd: true, momentum: true });
    // the arm's own settings, not what was there before (the rest falls back to the registry's defaults)
    expect(labState.settings.momentum).toEqual({ momentum: 0.9 });
    expect(labState.ready).toBe(true);
  });

  it('keeps k when the setup has none (a surface without one)', () => {
    labState.k = 42;
    openInLab({ surface: 'saddle', k: null, start: [1.8, 0.001], steps: 150, optimizers: [{ name: 'adam', lr: 0.05 }] } as never);
    expect(labState.k).toBe(42);
    expect(labState.surface).toBe('saddle');
    expect(labState.start).toEqual([1.8, 0.001]);
  });
});
