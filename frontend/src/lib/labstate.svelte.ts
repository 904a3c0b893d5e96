// The optimizer lab's inputs, kept across tab switches, and set in one go by a lesson's "Open in the lab".

import type { LabRun } from './lab';

export type Settings = Record<string, number>;

export const labState = $state({
  /** false until the first surface is picked (then its defaults fill in start, step size and k) */
  ready: false,
  surface: 'rosenbrock',
  k: 10,
  lr: 0.001,
  steps: 300,
  start: [-1.2, 1.0] as [number, number],
  ticked: { sgd: true, adam: true } as Record<string, boolean>,
  /** each optimizer's own parameters (its registry defaults until changed) */
  settings: {} as Record<string, Settings>,
  /** all paths on one plot, or one plot per optimizer side by side */
  view: 'overlay' as 'overlay' | 'apart',
});

/** Set the lab to a lab request (a lesson arm): its surface, k, start, steps, optimizers and their settings. The
 * lab has one step size for all optimizers: the first optimizer's `lr`. */
export function openInLab(run: LabRun): void {
  const copy = JSON.parse(JSON.stringify(run)) as LabRun;
  labState.surface = copy.surface;
  if (copy.k !== null && copy.k !== undefined) labState.k = copy.k;
  labState.start = [copy.start[0], copy.start[1]];
  labState.steps = copy.steps ?? labState.steps;
  labState.ticked = Object.fromEntries(copy.optimizers.map((o) => [o.name, true]));
  const first = copy.optimizers[0] as { lr?: number } | undefined;
  if (first?.lr !== undefined) labState.lr = first.lr;
  for (const o of copy.optimizers) {
    const own: Settings = {};
    for (const [key, value] of Object.entries(o)) if (key !== 'name' && key !== 'lr' && typeof value === 'number') own[key] = value;
    labState.settings[o.name] = own; // the arm's settings; the rest at the registry's defaults
  }
  labState.ready = true;
}
