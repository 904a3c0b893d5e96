// The optimizer lab's inputs, kept across tab switches (part of the app's state, appstate.svelte.ts), set in one go
// by a lesson's "Open in the lab" or by a link's lab setup (urlstate.ts reads and writes the `lab.*` parameters).

import type { LabRun } from './lab';
import { withoutOwnLr } from './labinputs';
import type { Settings } from './labinputs';
import type { LabLink } from './urlstate';

export type { Settings };

export const labState = $state({
  /** false until the lab has a setup (the server's defaults, a link's or a lesson's) */
  ready: false,
  // nothing is set until the lab loads its surfaces: then the server's defaults (GET /api/lab/surfaces `defaults`,
  // LabRun's defaults) fill in whatever a link or a lesson did not set (labinputs.ts completeInputs)
  surface: '',
  k: NaN,
  /** the lab's step size: the learning rate of every optimizer without its own (`settings[name].lr`) */
  lr: NaN,
  steps: NaN,
  start: [NaN, NaN] as [number, number],
  ticked: {} as Record<string, boolean>,
  /** each optimizer's own parameters (its registry defaults until changed), and its own `lr` where it has one */
  settings: {} as Record<string, Settings>,
  /** all paths on one plot, or one plot per optimizer side by side */
  view: 'overlay' as 'overlay' | 'apart',
});

/** Set the lab to a lab request (a lesson arm): its surface, k, start, steps, optimizers and their settings. Each
 * optimizer keeps its own `lr` (the arm's, not the surface's step size for it); the first one's is also the lab's. */
export function openInLab(run: LabRun): void {
  const copy = JSON.parse(JSON.stringify(run)) as LabRun;
  labState.surface = copy.surface;
  if (copy.k !== null && copy.k !== undefined) labState.k = copy.k;
  labState.start = [copy.start[0], copy.start[1]];
  labState.steps = copy.steps ?? labState.steps;
  labState.ticked = Object.fromEntries(copy.optimizers.map((o) => [o.name, true]));
  const first = copy.optimizers[0] as { lr?: number } | undefined;
  if (first?.lr !== undefined) labState.lr = first.lr;
  labState.settings = withoutOwnLr(labState.settings); // an optimizer the arm leaves out runs at its step size
  for (const o of copy.optimizers) {
    const own: Settings = {};
    for (const [key, value] of Object.entries(o)) {
      if (key !== 'name' && typeof value === 'number') own[key] = value;
    }
    labState.settings[o.name] = own; // the arm's settings; the rest at the registry's defaults
  }
  labState.ready = true;
}

/** Set the lab to a link's setup (urlstate.ts decodeLab): what the link leaves out stays as it is, except the
 * optimizers' settings, which go back to their registry defaults where the link gives none. */
export function applyLab(link: LabLink): void {
  labState.surface = link.surface;
  if (link.start) labState.start = [link.start[0], link.start[1]];
  labState.lr = link.lr ?? labState.lr;
  labState.steps = link.steps ?? labState.steps;
  labState.k = link.k ?? labState.k;
  if (link.optimizers.length) labState.ticked = Object.fromEntries(link.optimizers.map((n) => [n, true]));
  labState.settings = JSON.parse(JSON.stringify(link.settings)) as Record<string, Settings>;
  labState.view = link.view;
  labState.ready = true;
}
