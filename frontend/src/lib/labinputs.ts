// The optimizer lab's inputs (labstate.svelte.ts holds them): each optimizer's settings and learning rate, the lab's
// step size, picking a surface, the defaults the server serves (GET /api/lab/surfaces `defaults`, LabRun's defaults)
// filling in what is not set, the request made of the inputs, and the small rules of the controls.

import type { Choice, OptimizerConfig } from './api';
import type { LabRun, LabSurfaces, Surface } from './lab';

export type Settings = Record<string, number>;

/** An optimizer's registry parameters at their defaults, its learning rate left out: in the lab an optimizer's lr is
 * the lab's step size (the surface's, from the server) unless the optimizer has its own (`settings.lr`). */
export function defaultSettings(choice: Choice): Settings {
  const out: Settings = {};
  for (const p of choice.params) if (p.name !== 'lr' && typeof p.default === 'number') out[p.name] = p.default;
  return out;
}

/** The learning rate an optimizer runs at: its own when it has one, else the surface's step size for it (`surface.lrs`,
 * one per optimizer, from the server), else the lab's step size `lr`. */
export function lrOf(settings: Settings | undefined, lr: number, surfaceLr?: number): number {
  return settings?.lr ?? surfaceLr ?? lr;
}

/** The surface's step size for optimizer `name` (GET /api/lab/surfaces `lrs`), if it has one. */
export function surfaceLr(surface: Surface | null, name: string): number | undefined {
  return (surface?.lrs as Record<string, number> | undefined)?.[name];
}

/** The request's optimizer entry: the choice's own parameters, and its own lr, else the surface's for it, else the
 * lab's step size. */
export function optimizerConfig(choice: Choice, settings: Settings, lr: number, fromSurface?: number): OptimizerConfig {
  const config: Record<string, unknown> = { name: choice.name };
  for (const p of choice.params) if (p.name in settings) config[p.name] = settings[p.name];
  config.lr = lrOf(settings, lr, fromSurface);
  return config as unknown as OptimizerConfig;
}

/** What the lab's request is made of (labState has these fields). */
export interface LabInputs {
  surface: string;
  k: number;
  lr: number;
  steps: number;
  start: [number, number];
  ticked: Record<string, boolean>;
  settings: Record<string, Settings>;
}

/** The request for the lab's inputs: the ticked optimizers in the registry's order, each with its settings; null
 * when there is nothing to run (an unknown surface, or no optimizer ticked). */
export function labRequest(inputs: LabInputs, surface: Surface | null, choices: readonly Choice[]): LabRun | null {
  const ticked = choices.filter((c) => inputs.ticked[c.name]);
  if (!surface || surface.name !== inputs.surface || ticked.length === 0) return null;
  return {
    surface: inputs.surface as LabRun['surface'],
    k: kParam(surface) ? inputs.k : null,
    start: [inputs.start[0], inputs.start[1]],
    steps: inputs.steps,
    optimizers: ticked.map((c) =>
      optimizerConfig(c, inputs.settings[c.name] ?? defaultSettings(c), inputs.lr, surfaceLr(surface, c.name)),
    ),
  };
}

/** What picking `surface` sets: its start, its learning rate (for every optimizer) and its k's default. */
export function surfaceInputs(surface: Surface): { start: [number, number]; lr: number; k?: number } {
  const k = surface.params.find((p) => p.name === 'k');
  return { start: [surface.start[0], surface.start[1]], lr: surface.lr, ...(k ? { k: k.default } : {}) };
}

/** Pick `surface`: its start, its k's default, and each optimizer at the surface's step size for it (own rates are
 * dropped). */
export function pickSurface(inputs: LabInputs, surface: Surface): void {
  inputs.surface = surface.name;
  const picked = surfaceInputs(surface);
  inputs.start = picked.start;
  inputs.lr = picked.lr;
  if (picked.k !== undefined) inputs.k = picked.k;
  inputs.settings = withoutOwnLr(inputs.settings);
}

/** Set the lab's step size (the fallback for an optimizer the surface has no step size for); own rates are dropped, so
 * every optimizer goes back to the surface's step size for it. */
export function setCommonLr(inputs: LabInputs, lr: number): void {
  inputs.lr = lr;
  inputs.settings = withoutOwnLr(inputs.settings);
}

/** Set one of `choice`'s settings (`lr`: its own learning rate); the others stay, at the registry's defaults until
 * changed. */
export function setSetting(inputs: LabInputs, choice: Choice, key: string, value: number): void {
  inputs.settings[choice.name] = { ...(inputs.settings[choice.name] ?? defaultSettings(choice)), [key]: value };
}

/** The k slider's value where nothing set it: the surface's own k default, or for a surface without a k the first
 * k default any surface has (so the k is kept for when the user picks that surface); NaN when no surface has one. */
export function defaultK(surfaces: readonly Surface[], surface: Surface): number {
  const own = surface.params.find((p) => p.name === 'k');
  const any = surfaces.flatMap((sf) => sf.params).find((p) => p.name === 'k');
  return (own ?? any)?.default ?? NaN;
}

/** An optimizer entry of a request as the lab's settings: the registry parameters (`defaults`) where it departs from
 * them, and its lr where it departs from the lab's step size `lr`. */
export function ownSettings(config: Record<string, unknown>, lr: number, defaults: Settings): Settings {
  const own: Settings = {};
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'number') continue;
    if (key === 'lr' ? value !== lr : key in defaults && defaults[key] !== value) own[key] = value;
  }
  return own;
}

/** The lab's inputs start unset (NaN, '', {}): the server's defaults fill them in (completeInputs). */
export function isSet(v: number): boolean {
  return Number.isFinite(v);
}

/** Fill in what is not set in `inputs` from the server (GET /api/lab/surfaces): nothing set yet is the server's
 * default request (`defaults`, LabRun's defaults); a link that set only some fields gets the rest from the surface it
 * names (start, learning rate, k) and from the default request (steps, optimizers). A surface the server does not
 * know is replaced by the default one, with that surface's start, learning rate and k. */
export function completeInputs(inputs: LabInputs, lab: LabSurfaces, defaultsOf: (optimizer: string) => Settings): void {
  const d = lab.defaults;
  let surface = lab.surfaces.find((sf) => sf.name === inputs.surface);
  if (!surface) {
    const unknown = inputs.surface !== '';
    surface = lab.surfaces.find((sf) => sf.name === d.surface) ?? lab.surfaces[0];
    inputs.surface = surface.name;
    if (unknown) [inputs.start, inputs.lr, inputs.k] = [[NaN, NaN], NaN, NaN];
  }
  const asDefault = surface.name === d.surface; // the default request's start and rates are for its own surface
  if (!isSet(inputs.start[0]) || !isSet(inputs.start[1])) {
    const start = asDefault ? d.start : surface.start;
    inputs.start = [start[0], start[1]];
  }
  if (!isSet(inputs.lr)) inputs.lr = (asDefault ? d.optimizers[0]?.lr : undefined) ?? surface.lr;
  if (!isSet(inputs.k)) inputs.k = asDefault && d.k !== null ? d.k : defaultK(lab.surfaces, surface);
  if (!isSet(inputs.steps)) inputs.steps = d.steps;
  if (Object.keys(inputs.ticked).length === 0) {
    inputs.ticked = Object.fromEntries(d.optimizers.map((o) => [o.name, true]));
    for (const o of d.optimizers) {
      const own = ownSettings(o as Record<string, unknown>, inputs.lr, defaultsOf(o.name));
      if (!asDefault) delete own.lr; // the default request's rates suit its own surface only
      inputs.settings[o.name] = { ...own, ...(inputs.settings[o.name] ?? {}) };
    }
  }
}

/** `settings` without any optimizer's own learning rate: every optimizer back at the lab's step size. */
export function withoutOwnLr(settings: Record<string, Settings>): Record<string, Settings> {
  return Object.fromEntries(
    Object.entries(settings).map(([name, own]) => [name, Object.fromEntries(Object.entries(own).filter(([key]) => key !== 'lr'))]),
  );
}

/** The start after typing `text` for one axis, kept within ±limit; null for an empty or non-numeric entry (the
 * old start stays). */
export function typedStart(start: readonly number[], axis: 0 | 1, text: string, limit: number): [number, number] | null {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) return null;
  const next: [number, number] = [start[0], start[1]];
  next[axis] = Math.max(-limit, Math.min(limit, v));
  return next;
}

/** Whether the start lies outside the plotted extent (its path then shows only where it enters the plot). */
export function startOutside(start: readonly number[], extent: readonly number[]): boolean {
  return start[0] < extent[0] || start[0] > extent[1] || start[1] < extent[2] || start[1] > extent[3];
}

/** The registry's learning-rate parameter (its range and scale), which every optimizer has; null if none does. */
export function lrParam(choices: readonly Choice[]): Choice['params'][number] | null {
  for (const c of choices) for (const p of c.params) if (p.name === 'lr') return p;
  return null;
}

/** The surface's condition number parameter k (the quadratic's), or null for a surface without one. */
export function kParam(surface: Surface | null): Surface['params'][number] | null {
  return surface?.params.find((p) => p.name === 'k') ?? null;
}
