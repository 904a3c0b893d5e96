// The one-click demos of the Images and Sequences tabs (served by /api/options from glassnet/demos.py) and the
// judgements the tabs make of what was measured: a run's loss against its dataset's trivial baseline, how much of
// an RNN's gradient reaches the first time step, and whether a demo's run kept its promise.

import type { ExperimentConfig, Options } from './api';
import type { Frame } from './protocol';
import { earlyLateRatio } from './heatmap';

export type Demo = Options['demos'][number];
export type DemoGoal = Demo['goals'][number];

/** Below this share of the baseline a sequence model uses what it saw early: on the adding problem, knowing only
 * the second (nearer) marked number already gives half the baseline (Var U(0,1) / Var of the sum). */
export const BEAT_BASELINE = 0.5;
/** At or above this share of the baseline the loss is "at the baseline"; above ABOVE_BASELINE, above it (worse than
 * the constant answer: an untrained network's outputs are off). */
export const AT_BASELINE = 0.9;
export const ABOVE_BASELINE = 1.25;
/** ‖dL/dh_1‖ / ‖dL/dh_T‖ below this: little gradient reaches the first steps; above the inverse: it grows. */
export const SMALL_CARRY = 0.01;
export const LARGE_CARRY = 100;

/** Settings that say where and how a run is watched, not what it learns: a demo keeps the draft's. */
const WATCHING = ['device', 'frame_hz'] as const;

export function findDemo(options: Options, id: Demo['id']): Demo | undefined {
  return options.demos.find((d) => d.id === id);
}

/** The config a demo loads: its own, every setting of it, except the draft's device and frame rate. */
export function demoConfig(demo: Demo, draft: ExperimentConfig): ExperimentConfig {
  // a JSON copy: the options may be a reactive proxy, which structuredClone refuses
  const config = JSON.parse(JSON.stringify(demo.config)) as ExperimentConfig;
  for (const key of WATCHING) (config as Record<string, unknown>)[key] = draft[key];
  return config;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Whether a run's config is the demo's (any seed, device and frame rate): its promise is about this run. */
export function isDemoRun(demo: Demo, run: ExperimentConfig | null | undefined): boolean {
  if (!run) return false;
  const strip = (c: ExperimentConfig) => {
    const out: Record<string, unknown> = { ...c };
    for (const key of [...WATCHING, 'seed']) delete out[key];
    return out;
  };
  return same(strip(run), strip(demo.config));
}

/** The figure a goal judges, from the newest values of a run (null: not measured yet). */
export function goalValue(goal: DemoGoal, latest: Frame | null | undefined): number | null {
  if (!latest) return null;
  if (goal.metric === 'grad_carry') return earlyLateRatio(latest.grad_time as (number | null)[] | undefined);
  const v = latest[goal.metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The goal's bound in the figure's own units (a multiple of the baseline for a loss goal); null without one. */
export function goalLimit(goal: DemoGoal, baseline: number | null | undefined): number | null {
  if (!goal.of_baseline) return goal.bound;
  return baseline !== null && baseline !== undefined && Number.isFinite(baseline) ? goal.bound * baseline : null;
}

export function goalMet(goal: DemoGoal, value: number | null, baseline: number | null | undefined): boolean {
  const limit = goalLimit(goal, baseline);
  if (value === null || limit === null) return false;
  return goal.above ? value > limit : value < limit;
}

/** Where a run's test loss stands against the trivial baseline:
 * beaten (below half of it), learning (below it), at (about it), above (worse), none (nothing to compare yet). */
export type Standing = 'beaten' | 'learning' | 'at' | 'above' | 'none';

export function standing(testLoss: number | null | undefined, baseline: number | null | undefined): Standing {
  if (testLoss === null || testLoss === undefined || !Number.isFinite(testLoss)) return 'none';
  if (baseline === null || baseline === undefined || !(baseline > 0)) return 'none';
  const r = testLoss / baseline;
  if (r < BEAT_BASELINE) return 'beaten';
  if (r < AT_BASELINE) return 'learning';
  return r < ABOVE_BASELINE ? 'at' : 'above';
}

/** What the gradient-through-time measurement says, given where the loss stands and whether the run has ended:
 * - reaches / grows: the ratio itself;
 * - vanished: little reaches the first steps and the run ended at the baseline (the failure it explains);
 * - fading: little reaches them while the run is still at or near the baseline (it may yet learn to carry it);
 * - settled: little reaches them, but the task is learned (little is left to correct there). */
export type Carry = 'reaches' | 'grows' | 'vanished' | 'fading' | 'settled';

export function carry(ratio: number, where: Standing, ended: boolean): Carry {
  if (ratio > LARGE_CARRY) return 'grows';
  if (ratio >= SMALL_CARRY) return 'reaches';
  if (where === 'beaten') return 'settled';
  return ended && where !== 'learning' ? 'vanished' : 'fading';
}
