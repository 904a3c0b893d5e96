// The page's URL: the one codec of the app's state, so a shared link reproduces what its sender saw.
//
//   lang=zh                      the language (English is left out)
//   tab=lessons                  the tab (the playground is left out)
//                                (a room's id and keys never come here: its links carry them in the fragment,
//                                which the page moves into localStorage; rooms.ts)
//   run=3f2a9c0d1e7b             the run shown (the page attaches to it: live, or its final state if it ended)
//   sweep=a5b7c035bb28           the sweep shown: a seed band on the playground (a sweep over seeds only), else its
//                                heat map or line in the Sweeps tab (`run=` is then the member shown, if any)
//   view=advanced                the form shows its advanced settings (the beginner view is left out)
//   present=loss-chart           the panel shown full screen for a projector (panels.ts presentKey)
//   lesson=dead-relu             the lesson opened in the Lessons tab (kept while other tabs are shown)
//   lab.surface=saddle&lab.start=1.8,0.001&lab.lr=0.05&lab.steps=150&lab.k=10&lab.optimizers=sgd,adam&
//   lab.adam.beta1=0.8&lab.view=apart
//                                the optimizer lab's setup, written while the lab is shown; an optimizer's setting only
//                                where it differs from its registry default
//   dataset.name=spiral&model.hidden=8,8,8&seed=3
//                                every leaf of the config that differs from the server's defaults; lists of numbers or
//                                names comma-joined, lists of objects and other values as JSON; `steps=null` (a
//                                setting the schema lets be null: train until stopped)
//
// Keys of no part (other than `token`, which api.ts reads and the link then drops) are kept as they came. decodeUrl
// reads a link, encodeUrl writes one; appstate.svelte.ts holds the state and is the one writer of the URL.

import type { ExperimentConfig } from './api';
import type { LabInputs, Settings } from './labinputs';
import { isLang, type Lang } from './i18n.svelte';
import { fieldNullable, schemaProblem } from './schema';
import type { Problem } from './validation';

export const TABS = ['playground', 'images', 'sequences', 'runs', 'compare', 'sweeps', 'lessons', 'lab', 'class'] as const;
export type Tab = (typeof TABS)[number];

export function isTab(v: unknown): v is Tab {
  return (TABS as readonly unknown[]).includes(v);
}

/** Keys the app reads from a link but never writes back (the access token: api.ts remembers it). */
const DROPPED = ['token'];

// ---------------------------------------------------------------------------------------------------------------
// the config: its leaves that differ from the defaults

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function equal(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isFlatList(v: Json[]): boolean {
  return v.every((x) => typeof x === 'number' || (typeof x === 'string' && !x.includes(',')));
}

function encodeValue(v: Json): string {
  if (Array.isArray(v) && isFlatList(v)) return v.join(',');
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** The config's leaves that differ from `defaults`, as URL parameters. */
export function encodeConfig(config: ExperimentConfig, defaults: ExperimentConfig): URLSearchParams {
  const params = new URLSearchParams();
  const walk = (value: Json, base: Json | undefined, path: string) => {
    if (isObject(value) && isObject(base)) {
      for (const key of Object.keys(value)) walk(value[key], base[key], path ? `${path}.${key}` : key);
      return;
    }
    if (base === undefined || !equal(value, base)) params.set(path, encodeValue(value));
  };
  walk(config as unknown as Json, defaults as unknown as Json, '');
  return params;
}

function decodeValue(text: string, base: Json): Json {
  if (typeof base === 'number') {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`'${text}' is not a number`);
    return n;
  }
  if (typeof base === 'boolean') {
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    throw new Error(`'${text}' is not true or false`);
  }
  if (typeof base === 'string') return text;
  if (Array.isArray(base)) {
    if (text.startsWith('[')) return JSON.parse(text) as Json;
    if (text === '') return [];
    const items = text.split(',');
    const numeric = base.length ? typeof base[0] === 'number' : items.every((x) => x.trim() !== '' && Number.isFinite(Number(x)));
    if (numeric) {
      return items.map((x) => {
        const n = Number(x);
        if (x.trim() === '' || !Number.isFinite(n)) throw new Error(`'${x}' is not a number`);
        return n;
      });
    }
    return items;
  }
  // null defaults (dataset.upload) and objects: JSON, else the text itself
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/** What switching the choice at `namePath` from `from` to `to` resets, as [path, value] (schema.ts choiceResets). */
export type Resets = (namePath: string, from: string, to: string) => [string, unknown][];

export interface DecodedConfig {
  config: ExperimentConfig;
  /** Config keys of the URL that were set. */
  applied: string[];
  /** `path: why` for keys that could not be used (the rest of the URL still applies). */
  errors: string[];
  /** Values the server would refuse (out of range, not one of the choices): not applied, the default kept; the page
   * says why in the reader's language and shows a refused number in its field, marked (appstate.svelte.ts). */
  refused: RefusedValue[];
}

export interface RefusedValue {
  path: string;
  /** the value as the link wrote it */
  text: string;
  problem: Problem;
  /** a single number: its field can show the text, marked invalid */
  scalar: boolean;
}

/** `defaults` with the URL's config parameters applied; keys of the other parts are ignored. `null` is taken for a
 * setting that may be null (`nullable`: the server's schema says so). A value `check` refuses (by default: what the
 * server's schema does not allow) is not applied: it is listed in `refused`, so a shared link never runs a value
 * the sender could not have typed, nor silently a default in its place. */
export function decodeConfig(
  params: URLSearchParams,
  defaults: ExperimentConfig,
  resets?: Resets,
  nullable: (path: string) => boolean = fieldNullable,
  check: (path: string, value: unknown, text: string) => Problem | null = schemaProblem,
): DecodedConfig {
  const config = structuredClone(defaults) as unknown as JsonObject;
  const applied: string[] = [];
  const errors: string[] = [];
  const refused: RefusedValue[] = [];
  for (const [path, text] of params) {
    if (path.startsWith('lab.')) continue; // the optimizer lab's part
    const keys = path.split('.');
    let node: Json = config;
    let ok = true;
    for (const key of keys.slice(0, -1)) {
      if (!isObject(node) || !(key in node)) {
        ok = false;
        break;
      }
      node = node[key];
    }
    const last = keys[keys.length - 1];
    if (!ok || !isObject(node) || !(last in node) || isObject(node[last])) {
      if (keys.length > 1 || isConfigKey(defaults, keys[0])) errors.push(`${path}: not a setting`);
      continue;
    }
    try {
      const before = node[last];
      const value = text === 'null' && nullable(path) ? null : decodeValue(text, before);
      const problem = check(path, value, text);
      if (problem) {
        refused.push({ path, text, problem, scalar: typeof value === 'number' });
        continue;
      }
      node[last] = value;
      applied.push(path);
      // a link that switches a choice (optimizer.name=rmsprop) without its parameters gets the choice's defaults
      if (last === 'name' && resets && before !== node[last]) {
        for (const [p, v] of resets(path, String(before), String(node[last]))) {
          if (!params.has(p)) setAt(config, p, v as Json);
        }
      }
    } catch (e) {
      errors.push(`${path}: ${(e as Error).message}`);
    }
  }
  return { config: config as unknown as ExperimentConfig, applied, errors, refused };
}

function setAt(config: JsonObject, path: string, value: Json): void {
  const keys = path.split('.');
  let node = config;
  for (const key of keys.slice(0, -1)) node = node[key] as JsonObject;
  node[keys[keys.length - 1]] = value;
}

function isConfigKey(defaults: ExperimentConfig, key: string): boolean {
  return key in (defaults as unknown as JsonObject);
}

// ---------------------------------------------------------------------------------------------------------------
// the optimizer lab's setup

/** The optimizer lab's inputs (labstate.svelte.ts holds them): what its request is made of, and the view. */
export interface LabSetup extends LabInputs {
  view: 'overlay' | 'apart';
}

/** A lab setup as a link gives it: what is missing or not a number is null (the lab keeps what it has). */
export interface LabLink {
  surface: string;
  start: [number, number] | null;
  lr: number | null;
  steps: number | null;
  k: number | null;
  /** the ticked optimizers, in order (empty: keep the ticked ones) */
  optimizers: string[];
  /** the settings that differ from the registry's defaults; the rest go back to them */
  settings: Record<string, Settings>;
  view: 'overlay' | 'apart';
}

/** The lab's URL parameters; an optimizer's setting is written only where it differs from `defaultsOf(name)` (its
 * registry defaults). */
export function encodeLab(lab: LabSetup, defaultsOf: (optimizer: string) => Settings): [string, string][] {
  const out: [string, string][] = [['lab.surface', lab.surface]];
  // a number the lab does not have yet (NaN until its defaults come) is left out, as decodeLab would skip it
  if (lab.start.every(Number.isFinite)) out.push(['lab.start', `${lab.start[0]},${lab.start[1]}`]);
  if (Number.isFinite(lab.lr)) out.push(['lab.lr', String(lab.lr)]);
  if (Number.isFinite(lab.steps)) out.push(['lab.steps', String(lab.steps)]);
  if (Number.isFinite(lab.k)) out.push(['lab.k', String(lab.k)]); // surfaces without a k ignore it
  const names = Object.keys(lab.ticked).filter((n) => lab.ticked[n]);
  out.push(['lab.optimizers', names.join(',')]);
  for (const name of names) {
    const defaults = defaultsOf(name);
    for (const [key, value] of Object.entries(lab.settings[name] ?? {})) {
      if (defaults[key] !== value) out.push([`lab.${name}.${key}`, String(value)]);
    }
  }
  if (lab.view !== 'overlay') out.push(['lab.view', lab.view]);
  return out;
}

/** The link's lab setup; null when it has none (no `lab.surface`). A value that is not a number is left out (the
 * lab's own checks, and the server's, handle the rest). */
export function decodeLab(params: URLSearchParams): LabLink | null {
  const surface = params.get('lab.surface');
  if (!surface) return null;
  const num = (key: string) => {
    const text = params.get(key);
    const v = text === null || text.trim() === '' ? NaN : Number(text);
    return Number.isFinite(v) ? v : null;
  };
  const start = (params.get('lab.start') ?? '').split(',').map(Number);
  const settings: Record<string, Settings> = {};
  for (const [key, text] of params) {
    const parts = key.split('.');
    const v = Number(text);
    if (parts.length === 3 && parts[0] === 'lab' && text.trim() !== '' && Number.isFinite(v)) {
      settings[parts[1]] = { ...(settings[parts[1]] ?? {}), [parts[2]]: v };
    }
  }
  return {
    surface,
    start: start.length === 2 && start.every(Number.isFinite) ? [start[0], start[1]] : null,
    lr: num('lab.lr'),
    steps: num('lab.steps'),
    k: num('lab.k'),
    optimizers: (params.get('lab.optimizers') ?? '').split(',').filter(Boolean),
    settings,
    view: params.get('lab.view') === 'apart' ? 'apart' : 'overlay',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// the whole link

/** The app's state as a link holds it. */
export interface UrlState {
  tab: Tab;
  lesson: string | null;
  lang: Lang;
  /** the run shown (null: none, or a link of the settings only) */
  run?: string | null;
  /** the sweep shown (null: none) */
  sweep?: string | null;
  config: ExperimentConfig;
  /** the lab's setup; written only while the lab tab is shown */
  lab: LabSetup | null;
  /** keys of no part, as the link that opened the page had them */
  extra?: [string, string][];
  /** the form shows its advanced settings */
  advanced?: boolean;
  /** the panel shown full screen (its presentKey) */
  present?: string | null;
}

/** What encoding needs besides the state: the server's defaults (GET /api/options). */
export interface UrlContext {
  defaults: ExperimentConfig;
  /** an optimizer's registry defaults, for the lab's settings */
  labDefaults: (optimizer: string) => Settings;
  /** a link that switches a choice without its parameters gets the choice's defaults */
  resets?: Resets;
}

/** The link of `state`: `?lang=..&tab=..&lesson=..&run=..&<extra>&lab.*&<config>`, or '' when all is default. */
export function encodeUrl(state: UrlState, ctx: UrlContext): string {
  const params = new URLSearchParams();
  if (state.lang !== 'en') params.set('lang', state.lang);
  if (state.tab !== 'playground') params.set('tab', state.tab);
  if (state.lesson) params.set('lesson', state.lesson);
  if (state.run) params.set('run', state.run);
  if (state.sweep) params.set('sweep', state.sweep);
  if (state.advanced) params.set('view', 'advanced');
  if (state.present) params.set('present', state.present);
  for (const [k, v] of state.extra ?? []) params.set(k, v);
  if (state.tab === 'lab' && state.lab) for (const [k, v] of encodeLab(state.lab, ctx.labDefaults)) params.set(k, v);
  for (const [k, v] of encodeConfig(state.config, ctx.defaults)) params.set(k, v);
  const text = params.toString().replace(/%2C/g, ',');
  return text ? `?${text}` : '';
}

/** A link read: each part as the link gives it (null where it gives none or an unknown value). */
export interface DecodedUrl {
  tab: Tab;
  lesson: string | null;
  lang: Lang | null;
  /** the run to show */
  run: string | null;
  /** the sweep to show */
  sweep: string | null;
  /** `view=advanced` (true), `view=basic` (false), or no view (null: the page's remembered choice) */
  advanced: boolean | null;
  /** the panel to show full screen */
  present: string | null;
  lab: LabLink | null;
  /** the config; null when decoded without the defaults */
  config: DecodedConfig | null;
  /** keys of no part, in the link's order (known only with the defaults, which tell config keys apart) */
  extra: [string, string][];
}

const APP_KEYS = ['lang', 'tab', 'lesson', 'run', 'sweep', 'view', 'present'];

/** Read a link (`location.search`). The config needs the server's defaults: without `ctx` it is null. */
export function decodeUrl(search: string, ctx?: Pick<UrlContext, 'defaults' | 'resets'>): DecodedUrl {
  const params = new URLSearchParams(search);
  const tab = params.get('tab');
  const lang = params.get('lang');
  const view = params.get('view');
  const extra: [string, string][] = [];
  if (ctx) {
    for (const [key, value] of params) {
      const own = APP_KEYS.includes(key) || DROPPED.includes(key) || key.includes('.') || isConfigKey(ctx.defaults, key);
      if (!own) extra.push([key, value]);
    }
  }
  return {
    tab: isTab(tab) ? tab : 'playground',
    lesson: params.get('lesson') || null,
    lang: isLang(lang) ? lang : null,
    run: params.get('run')?.trim() || null,
    sweep: params.get('sweep')?.trim() || null,
    advanced: view === 'advanced' ? true : view === 'basic' ? false : null,
    present: params.get('present')?.trim() || null,
    lab: decodeLab(params),
    config: ctx ? decodeConfig(params, ctx.defaults, ctx.resets) : null,
    extra,
  };
}
