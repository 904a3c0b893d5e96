// The app's state: the tab shown, the lesson opened, the run shown, the draft config and the optimizer lab's setup (the language is
// `locale`, i18n.svelte.ts). Components read and write it here; the page's URL mirrors it through the one codec
// (urlstate.ts), and writeUrl below is the one place that writes the URL.

import type { Choice, ExperimentConfig, Options } from './api';
import { initialLang, locale } from './i18n.svelte';
import { defaultSettings } from './lab';
import { applyLab, labState } from './labstate.svelte';
import { resetInvalid } from './invalid.svelte';
import { choiceResets, getPath } from './schema';
import { refusedText } from './validation';
import { decodeUrl, encodeConfig, encodeUrl, type Tab, type UrlContext, type UrlState } from './urlstate';

class AppState {
  tab = $state<Tab>('playground');
  /** the lesson opened in the Lessons tab; null until one is opened (the tab then shows the first) */
  lesson = $state<string | null>(null);
  /** the run shown (App mirrors the session's run here, and attaches to the one a link names) */
  run = $state<string | null>(null);
  /** the sweep shown (a seed band on the playground, or a grid's view in the Sweeps tab); null: none */
  sweep = $state<string | null>(null);
  /** the draft: what Play trains; null until the server's defaults have come (GET /api/options) */
  config = $state<ExperimentConfig | null>(null);
  /** the optimizer lab's inputs */
  readonly lab = labState;
  /** the form shows its advanced settings (else the beginner view); remembered by the browser (rememberView) */
  advanced = $state(false);
  /** the panel shown full screen for a projector (panels.ts presentKey), or none */
  present = $state<string | null>(null);
}

const ADVANCED_KEY = 'glassnet.advanced';

/** The browser's remembered choice of view (false where storage is refused). */
function rememberedAdvanced(): boolean {
  try {
    return localStorage.getItem(ADVANCED_KEY) === '1';
  } catch {
    return false;
  }
}

/** Remember the view for the next visit (App calls it when the toggle changes). */
export function rememberView(advanced: boolean): void {
  try {
    localStorage.setItem(ADVANCED_KEY, advanced ? '1' : '0');
  } catch {
    // storage refused (a private window): the view lasts for this page only
  }
}

export const app = new AppState();

/** The link that opened the page, and what of it belongs to no part of the state (kept in the URL as it came). */
let opening = '';
let extra: [string, string][] = [];
let linkHadConfig = false;

/** Take the tab, the lesson, the language and the lab's setup from the link that opened the page (`location.search`);
 * the config follows with the server's defaults (openConfig). */
export function openUrl(search: string): void {
  opening = search;
  const link = decodeUrl(search);
  app.tab = link.tab;
  app.lesson = link.lesson;
  app.run = link.run;
  app.sweep = link.sweep;
  app.advanced = link.advanced ?? rememberedAdvanced();
  app.present = link.present;
  locale.lang = initialLang(link.lang);
  if (link.lab) applyLab(link.lab);
}

/** What the codec needs from GET /api/options. */
export function urlContext(options: Options): UrlContext {
  const optimizers = options.optimizers as Choice[];
  return {
    defaults: options.defaults,
    labDefaults: (name) => {
      const choice = optimizers.find((c) => c.name === name);
      return choice ? defaultSettings(choice) : {};
    },
    resets: choiceResets(options, options.defaults),
  };
}

/** The draft from the opening link, on the server's defaults; returns what of the link could not be used
 * (`path: why`), the rest applied. A value out of range is not applied (the default stays): its field shows the
 * link's text marked invalid, and Play refuses until it is fixed (invalid.svelte.ts). */
export function openConfig(options: Options): string[] {
  const link = decodeUrl(opening, urlContext(options));
  const decoded = link.config!;
  extra = link.extra;
  linkHadConfig = decoded.applied.length + decoded.errors.length + decoded.refused.length > 0;
  app.config = decoded.config;
  resetInvalid(Object.fromEntries(decoded.refused.filter((r) => r.scalar).map((r) => [r.path, r.text])));
  return [...decoded.errors, ...refusedText(decoded.refused, (path) => getPath(decoded.config, path))];
}

/** Whether the draft has settings of its own: it differs from the defaults, or the opening link set some. */
export function draftIsOwn(options: Options): boolean {
  return linkHadConfig || (app.config !== null && encodeConfig(app.config, options.defaults).size > 0);
}

/** The state as the codec takes it (reading it here makes an effect that calls this follow every part). */
function snapshot(): UrlState | null {
  if (!app.config) return null;
  return {
    tab: app.tab,
    lesson: app.lesson,
    lang: locale.lang,
    run: app.run,
    sweep: app.sweep,
    advanced: app.advanced,
    present: app.present,
    config: $state.snapshot(app.config) as ExperimentConfig,
    // the lab's setup goes into the link while the lab is shown (and only once it has one)
    lab: app.tab === 'lab' && labState.ready ? ($state.snapshot(labState) as UrlState['lab']) : null,
    extra,
  };
}

/** The link of the state now ('' when all is default); null before the draft exists. */
export function currentQuery(options: Options): string | null {
  const state = snapshot();
  return state ? encodeUrl(state, urlContext(options)) : null;
}

/** The page's link to share: with the run shown (`withRun`), or the settings only (the same link without `run=`). */
export function shareLink(options: Options, withRun: boolean, loc: { origin: string; pathname: string } = location): string | null {
  const state = snapshot();
  if (!state) return null;
  const shown = withRun ? state : { ...state, run: null, sweep: null };
  return `${loc.origin}${loc.pathname}${encodeUrl(shown, urlContext(options))}`;
}

/** Mirror the state in the URL (the one writer of it): App calls it from an effect, so every change lands there. */
export function writeUrl(options: Options): void {
  const query = currentQuery(options);
  if (query !== null && query !== location.search) history.replaceState(history.state, '', `${location.pathname}${query}`);
}
