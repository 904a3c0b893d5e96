import { describe, expect, it } from 'vitest';
import { applyLab, labState, openInLab } from './labstate.svelte';
import { decodeLab, encodeLab } from './urlstate';

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
    // the arm's own settings, its lr included, not what was there before (the rest: the registry's defaults)
    expect(labState.settings.momentum).toEqual({ lr: 0.0198, momentum: 0.9 });
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

describe('a lab link', () => {
  const defaultsOf = (name: string): Record<string, number> => (name === 'momentum' ? { momentum: 0.9, weight_decay: 0 } : {});

  it('round-trips the setup, writing only the settings that differ from the defaults', () => {
    openInLab({
      surface: 'quadratic',
      k: 100,
      start: [-1.8, 0.6],
      steps: 400,
      optimizers: [
        { name: 'sgd', lr: 0.0198 },
        { name: 'momentum', lr: 0.0198, momentum: 0.5, weight_decay: 0 },
      ],
    } as never);
    labState.view = 'apart';
    const params = new URLSearchParams(encodeLab(labState, defaultsOf));
    expect(params.get('lab.surface')).toBe('quadratic');
    expect(params.get('lab.k')).toBe('100');
    expect(params.get('lab.start')).toBe('-1.8,0.6');
    expect(params.get('lab.optimizers')).toBe('sgd,momentum');
    expect(params.get('lab.momentum.momentum')).toBe('0.5');
    expect(params.has('lab.momentum.weight_decay')).toBe(false); // at its default
    expect(params.get('lab.view')).toBe('apart');

    labState.surface = 'rosenbrock';
    labState.ticked = { adam: true };
    labState.settings = {};
    labState.view = 'overlay';
    applyLab(decodeLab(params)!);
    expect(labState.surface).toBe('quadratic');
    expect(labState.k).toBe(100);
    expect(labState.start).toEqual([-1.8, 0.6]);
    expect(labState.lr).toBe(0.0198);
    expect(labState.steps).toBe(400);
    expect(labState.ticked).toEqual({ sgd: true, momentum: true });
    expect(labState.settings).toEqual({ sgd: { lr: 0.0198 }, momentum: { lr: 0.0198, momentum: 0.5 } });
    expect(labState.view).toBe('apart');
  });

  it('ignores a link without a lab setup, and skips values that are not numbers', () => {
    labState.lr = 0.01;
    expect(decodeLab(new URLSearchParams('tab=lab&seed=3'))).toBeNull();
    applyLab(decodeLab(new URLSearchParams('lab.surface=saddle&lab.lr=abc&lab.start=1,x'))!);
    expect(labState.lr).toBe(0.01);
    expect(labState.surface).toBe('saddle');
  });
});

describe('a lab setup with a learning rate per optimizer', () => {
  it("keeps each optimizer the arm's lr, not the surface's step size for it; the first's is the lab's too", () => {
    labState.settings = { rmsprop: { lr: 0.5, rho: 0.8 } };
    openInLab({
      surface: 'saddle',
      k: null,
      start: [1.8, 0.001],
      steps: 150,
      optimizers: [
        { name: 'sgd', lr: 0.05 },
        { name: 'momentum', lr: 0.05, momentum: 0.9 },
        { name: 'adam', lr: 0.2, beta1: 0.8 },
      ],
    } as never);
    expect(labState.lr).toBe(0.05);
    expect(labState.settings.sgd).toEqual({ lr: 0.05 });
    expect(labState.settings.momentum).toEqual({ lr: 0.05, momentum: 0.9 });
    expect(labState.settings.adam).toEqual({ lr: 0.2, beta1: 0.8 });
    // an optimizer the setup leaves out goes back to the surface's step size for it (its other settings stay)
    expect(labState.settings.rmsprop).toEqual({ rho: 0.8 });
  });
});
