// Pure helpers of the My runs tab: a run's name, what may be done with it, its progress and figures, and the
// checks of what is typed (a new name, the steps to continue with).

import type { Choice, ExperimentConfig, Options, RunInfo, SweepInfo } from './api';
import { modelSummary } from './compare';
import { isActive } from './protocol';

/** Longest name the server takes (RunChanges.name). */
export const MAX_NAME = 80;
/** Steps the Continue field starts with. */
export const CONTINUE_STEPS = 1000;

/** A name that is only an id (hex digits): what a list must never show as a run's name. */
export function isBareId(name: string): boolean {
  return /^[0-9a-f]{6,}$/i.test(name.trim());
}

/** The name to show: the run's own, or, where it has none (or only an id), its data and model. */
export function displayName(run: Pick<RunInfo, 'id' | 'name' | 'config'>): string {
  const name = (run.name ?? '').trim();
  if (name && !isBareId(name) && name !== run.id) return name;
  const data = run.config?.dataset?.name;
  return [data, modelSummary(run.config)].filter((x) => x && x !== '–').join(' · ') || 'run';
}

export type NameCheck = { ok: true; name: string } | { ok: false; error: 'empty' | 'long' };

/** A typed name, trimmed, as the server takes it: 1 to MAX_NAME characters. */
export function checkName(text: string): NameCheck {
  const name = text.trim();
  if (!name) return { ok: false, error: 'empty' };
  if ([...name].length > MAX_NAME) return { ok: false, error: 'long' };
  return { ok: true, name };
}

export type StepsCheck = { ok: true; steps: number } | { ok: false; error: 'empty' | 'number' | 'integer' | 'range' };

/** The steps typed to continue a run with: a whole number from 1 to `max`. */
export function parseMoreSteps(text: unknown, max: number): StepsCheck {
  const t = text === null || text === undefined ? '' : String(text).trim();
  if (t === '') return { ok: false, error: 'empty' };
  const n = Number(t);
  if (!Number.isFinite(n)) return { ok: false, error: 'number' };
  if (!Number.isInteger(n)) return { ok: false, error: 'integer' };
  if (n < 1 || n > max) return { ok: false, error: 'range' };
  return { ok: true, steps: n };
}

/** The step a run continued by `steps` more would end at (null: it trains until stopped), as the server counts
 * it: from where it ended (a finished run's step is its total). */
export function continuedEnd(run: Pick<RunInfo, 'step'>, steps: number | null): number | null {
  return steps === null ? null : run.step + steps;
}

/** The most steps a run may be continued by under the server's limit of `maxSteps` steps in all. */
export function maxMoreSteps(run: Pick<RunInfo, 'step'>, maxSteps: number): number {
  return Math.max(0, maxSteps - run.step);
}

/** What is wrong with the steps typed to continue a run, in words (`s`: the strings of i18n/myruns). */
export function stepsMessage(
  check: StepsCheck,
  max: number,
  s: { stepsEmpty: string; stepsNumber: string; stepsInteger: string; stepsRange: string },
): string | null {
  if (check.ok) return null;
  const range = s.stepsRange.replace('{max}', String(max));
  return { empty: s.stepsEmpty, number: s.stepsNumber, integer: s.stepsInteger, range }[check.error];
}

export interface RunActions {
  pause: boolean;
  resume: boolean;
  stop: boolean;
  /** Train an ended run on (the server says which keep their state: RunInfo.continuable). */
  continue: boolean;
  /** Fork it from a step (any run with steps to fork from, or a running one). */
  fork: boolean;
  delete: boolean;
}

/** What the caller may do with a run now. */
export function runActions(run: Pick<RunInfo, 'status' | 'step' | 'can_change' | 'continuable'>): RunActions {
  const mine = run.can_change;
  const s = run.status;
  return {
    pause: mine && (s === 'running' || s === 'pending'),
    resume: mine && s === 'paused',
    stop: mine && isActive(s),
    continue: mine && run.continuable,
    fork: s === 'running' || s === 'paused' || s === 'finished' || s === 'stopped' || ((s === 'diverged' || s === 'failed' || s === 'interrupted') && run.step > 0),
    delete: mine,
  };
}

export interface Progress {
  step: number;
  /** Its planned end; null: it trains until stopped. */
  total: number | null;
  /** step / total in [0, 1], or null without a total. */
  fraction: number | null;
}

export function progress(run: Pick<RunInfo, 'step' | 'config'>): Progress {
  const total = run.config?.steps ?? null;
  const fraction = total ? Math.min(1, Math.max(0, run.step / total)) : null;
  return { step: run.step, total, fraction };
}

export interface Figures {
  testLoss: number | null;
  testAcc: number | null;
  trainLoss: number | null;
  /** The step the figures were measured at (the latest of them). */
  step: number | null;
}

/** The run's headline figures as last measured (null where it has none: accuracy of a regression). */
export function figures(run: Pick<RunInfo, 'summary'>): Figures {
  const sum = run.summary ?? {};
  const value = (k: string) => sum[k]?.value ?? null;
  const steps = ['test_loss', 'test_acc', 'train_loss'].map((k) => sum[k]?.step).filter((x): x is number => typeof x === 'number');
  return {
    testLoss: value('test_loss'),
    testAcc: value('test_acc'),
    trainLoss: value('train_loss'),
    step: steps.length ? Math.max(...steps) : null,
  };
}

/** Newest first (the server's order; kept here so a merged list reads the same). */
export function sortNewest<T extends Pick<RunInfo, 'created_at'>>(runs: readonly T[]): T[] {
  return [...runs].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
}

/** The tab that shows a run best: images for image data, sequences for sequence data, else the playground. */
export function tabFor(options: Options, config: ExperimentConfig | null | undefined): 'playground' | 'images' | 'sequences' {
  const choice = (options.datasets as Choice[]).find((c) => c.name === config?.dataset?.name);
  const input = (choice?.tags as Record<string, unknown> | undefined)?.input;
  if (config?.model?.kind === 'cnn' || input === 'image') return 'images';
  if (config?.model?.kind === 'rnn' || input === 'sequence') return 'sequences';
  return 'playground';
}

/** When a run was made, in the page's language and time zone: the time alone today, else the date and time. */
export function createdLabel(iso: string, now: Date, lang: 'en' | 'zh'): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const locale = lang === 'zh' ? 'zh-CN' : 'en-GB';
  const time = at.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  const sameDay = at.getFullYear() === now.getFullYear() && at.getMonth() === now.getMonth() && at.getDate() === now.getDate();
  if (sameDay) return time;
  const sameYear = at.getFullYear() === now.getFullYear();
  const date = at.toLocaleDateString(locale, { day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }) });
  return `${date} ${time}`;
}

/** The active runs among `runs` (what "Stop all mine" stops). */
export function activeRuns<T extends Pick<RunInfo, 'status'>>(runs: readonly T[]): T[] {
  return runs.filter((r) => isActive(r.status));
}

/** How long a run went unwatched, for its idle note: seconds under two minutes, else whole minutes. */
export function idleFor(afterS: number): { unit: 'seconds' | 'minutes'; n: number } {
  return afterS < 120 ? { unit: 'seconds', n: Math.round(afterS) } : { unit: 'minutes', n: Math.round(afterS / 60) };
}

/** The owner's sweeps still training (each holds one of the owner's slots), newest first. */
export function activeSweeps(sweeps: readonly SweepInfo[]): SweepInfo[] {
  return sweeps.filter((w) => w.mine && (w.status === 'running' || w.status === 'pending'));
}

/** How many of the owner's sweeps have ended (done or stopped): My runs lists none of their runs, so it points to the
 * Sweeps tab, which does. */
export function endedSweeps(sweeps: readonly SweepInfo[]): number {
  return sweeps.filter((w) => w.mine && w.status !== 'running' && w.status !== 'pending').length;
}
