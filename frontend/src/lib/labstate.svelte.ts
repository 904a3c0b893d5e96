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

/** The lab's URL parameters (`lab.surface=saddle&lab.start=1.8,0.001&lab.lr=0.05&lab.steps=150&
 * lab.optimizers=sgd,adam&lab.adam.beta1=0.8`), so a lab setup can be shared as a link. An optimizer's setting is
 * written only where it differs from `defaultsOf(name)` (its registry defaults). */
export function labParams(state: typeof labState, defaultsOf: (optimizer: string) => Settings): [string, string][] {
  const out: [string, string][] = [
    ['lab.surface', state.surface],
    ['lab.start', `${state.start[0]},${state.start[1]}`],
    ['lab.lr', String(state.lr)],
    ['lab.steps', String(state.steps)],
    ['lab.k', String(state.k)], // surfaces without a k ignore it
  ];
  const names = Object.keys(state.ticked).filter((n) => state.ticked[n]);
  out.push(['lab.optimizers', names.join(',')]);
  for (const name of names) {
    const defaults = defaultsOf(name);
    for (const [key, value] of Object.entries(state.settings[name] ?? {})) {
      if (defaults[key] !== value) out.push([`lab.${name}.${key}`, String(value)]);
    }
  }
  if (state.view !== 'overlay') out.push(['lab.view', state.view]);
  return out;
}

/** Set the lab from a link's `lab.*` parameters (see labParams); false when the link has none. A value that is not
 * a number is skipped (the lab's own checks, and the server's, handle the rest). */
export function applyLabParams(params: URLSearchParams): boolean {
  const surface = params.get('lab.surface');
  if (!surface) return false;
  const num = (key: string) => {
    const text = params.get(key);
    const v = text === null || text.trim() === '' ? NaN : Number(text);
    return Number.isFinite(v) ? v : null;
  };
  labState.surface = surface;
  const start = (params.get('lab.start') ?? '').split(',').map(Number);
  if (start.length === 2 && start.every(Number.isFinite)) labState.start = [start[0], start[1]];
  labState.lr = num('lab.lr') ?? labState.lr;
  labState.steps = num('lab.steps') ?? labState.steps;
  labState.k = num('lab.k') ?? labState.k;
  const names = (params.get('lab.optimizers') ?? '').split(',').filter(Boolean);
  if (names.length) labState.ticked = Object.fromEntries(names.map((n) => [n, true]));
  const settings: Record<string, Settings> = {};
  for (const [key, text] of params) {
    const parts = key.split('.');
    const v = Number(text);
    if (parts.length === 3 && parts[0] === 'lab' && text.trim() !== '' && Number.isFinite(v)) {
      settings[parts[1]] = { ...(settings[parts[1]] ?? {}), [parts[2]]: v };
    }
  }
  labState.settings = settings;
  labState.view = params.get('lab.view') === 'apart' ? 'apart' : 'overlay';
  labState.ready = true;
  return true;
}
