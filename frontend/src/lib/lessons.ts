// Guided lessons (docs/protocol.md, "Lessons"): the user's pick, the arms and what they change, the check's
// figures. Where a lesson says to look is panels.ts; the opened lesson is app state (appstate.svelte.ts).

import type { ExperimentConfig, Lesson, LessonArm, LessonCheck, LessonText } from './api';
import type { LabRun } from './lab';
import { PALETTE } from './colors';
import { formatSig } from './format';
import { fmt, type Lang } from './i18n.svelte';
import { bandOnGrid, stepGrid, type Band } from './sweepmath';

/** A lesson text in the page's language. */
export function say(text: LessonText, lang: Lang): string {
  return lang === 'zh' ? text.zh : text.en;
}

/** Whether the picked prediction is the lesson's answer; null before a pick. */
export function pickIsRight(lesson: Lesson, pick: number | null): boolean | null {
  return pick === null ? null : pick === lesson.answer;
}

/** A check's figure for the table: integers as they are, else 3 significant digits; null is a dash. */
export function formatFigure(value: number | null | undefined): string {
  if (value !== null && value !== undefined && Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  return formatSig(value, 3);
}

/** A figure's name in words, as the server names it (`labels`, one per figure: lessons/figures.py). The key is
 * never shown: a figure the server did not name (an older server) reads as "figure 3". */
export function figureName(check: LessonCheck, key: string, lang: Lang, unnamed = 'figure {n}'): string {
  const label = check.verdict.labels?.[key];
  if (label) return say(label, lang);
  return fmt(unnamed, { n: Object.keys(check.verdict.figures).indexOf(key) + 1 });
}

/** Line colours for a lesson's arms: the palette without its pale yellow, which is hard to see on white. */
export const CURVE_COLORS = PALETTE.filter((c) => c !== '#edc948');

export interface CurveLine {
  /** The arm's (or, in a lab setup, the optimizer's) name, e.g. `relu`. */
  name: string;
  label: string;
  color: string;
}

/** One chart of loss curves: the union of their steps and one series per line (null where a line has no point,
 * or its loss was not finite). */
export interface CurveChart {
  title: string;
  lines: CurveLine[];
  data: [number[], ...(number | null)[][]];
  points: number;
  log: boolean;
}

interface Curve {
  step: number[];
  loss: (number | null)[];
}

/** Several curves on one step axis: [union of steps, curve 0's losses, ...]. */
export function alignCurves(curves: Curve[]): [number[], ...(number | null)[][]] {
  const steps = [...new Set(curves.flatMap((c) => c.step))].sort((a, b) => a - b);
  const at = new Map(steps.map((s, i) => [s, i]));
  const series = curves.map((c) => {
    const ys: (number | null)[] = steps.map(() => null);
    c.step.forEach((s, i) => (ys[at.get(s) as number] = c.loss[i] ?? null));
    return ys;
  });
  return [steps, ...series];
}

/** A log scale when every loss is positive and they span more than a factor 30 (one decade and a half). */
export function wantsLog(curves: Curve[]): boolean {
  const values = curves.flatMap((c) => c.loss).filter((v): v is number => v !== null && Number.isFinite(v));
  if (!values.length || values.some((v) => v <= 0)) return false;
  return Math.max(...values) / Math.min(...values) > 30;
}

/** On a log scale a line ends where its loss falls below this (a lab path that converged goes on to 1e-70, and
 * sixty decades leave no room for the ones that matter). */
export const LOG_FLOOR = 1e-12;

function chart(title: string, lines: CurveLine[], curves: Curve[]): CurveChart {
  const log = wantsLog(curves);
  const shown = log ? curves.map((c) => ({ step: c.step, loss: c.loss.map((v) => (v !== null && v < LOG_FLOOR ? null : v)) })) : curves;
  const data = alignCurves(shown);
  const points = shown.reduce((n, c) => n + c.loss.filter((v) => v !== null).length, 0);
  return { title, lines, data, points, log };
}

/** The check's loss curves: for a network lesson one chart with a line per arm (its training loss); for a lab
 * lesson one chart per setup (its surfaces differ) with a line per optimizer. `optimizer` names an optimizer in
 * the page's language; `title` is the network chart's title. */
export function lessonCurves(
  lesson: Lesson,
  check: LessonCheck,
  lang: Lang,
  title: string,
  optimizer: (name: string) => string = (name) => name,
): CurveChart[] {
  const armLabel = new Map(lesson.arms.map((a) => [a.name, say(a.label, lang)]));
  const runs = check.runs;
  if (runs.some((r) => r.paths)) {
    return runs.map((r) => {
      const paths = r.paths ?? [];
      const lines = paths.map((p, i) => ({ name: p.optimizer, label: optimizer(p.optimizer), color: CURVE_COLORS[i % CURVE_COLORS.length] }));
      return chart(armLabel.get(r.arm) ?? r.arm, lines, paths.map((p) => p.curve));
    });
  }
  const withCurve = runs.filter((r) => r.curve);
  const lines = withCurve.map((r, i) => ({
    name: r.arm,
    label: armLabel.get(r.arm) ?? r.arm,
    color: CURVE_COLORS[i % CURVE_COLORS.length],
  }));
  return withCurve.length ? [chart(title, lines, withCurve.map((r) => r.curve as Curve))] : [];
}

/** A network arm drawn over its seeds: its label, colour and the median, min and max of its seeds' curves (the
 * shape BandChart draws). */
export interface ArmBand {
  name: string;
  label: string;
  color: string;
  band: Band;
}

/** A network lesson's arms as seed bands on one grid of steps (every step any seed measured), and how many seeds
 * each is over; null when the check has no per-seed curves (a lab lesson, or a server from before them). On a log
 * scale (wantsLog over every seed) losses below LOG_FLOOR are left out, as a single curve's are. */
export function lessonBands(
  lesson: Lesson,
  check: LessonCheck,
  lang: Lang,
): { arms: ArmBand[]; seeds: number; log: boolean } | null {
  const runs = check.runs.filter((r) => r.curves?.length);
  if (!runs.length || runs.length !== check.runs.length) return null;
  const armLabel = new Map(lesson.arms.map((a) => [a.name, say(a.label, lang)]));
  const seeded = runs.map((r) => r.curves as Curve[]);
  const log = wantsLog(seeded.flat());
  const shown = (c: Curve) => ({
    step: c.step,
    value: log ? c.loss.map((v) => (v !== null && v < LOG_FLOOR ? null : v)) : c.loss,
  });
  const curves = seeded.map((cs) => cs.map(shown));
  // a grid large enough to keep every measured step (a lesson's arm has steps/25 + 1 of them)
  const grid = stepGrid(curves.flat(), Number.MAX_SAFE_INTEGER);
  const arms = runs.map((r, i) => ({
    name: r.arm,
    label: armLabel.get(r.arm) ?? r.arm,
    color: CURVE_COLORS[i % CURVE_COLORS.length],
    band: bandOnGrid(curves[i], grid),
  }));
  return { arms, seeds: Math.max(...seeded.map((cs) => cs.length)), log };
}

/** The seed whose figures a seeded verdict shows: the one the arms' configs carry (the lesson's own), else the
 * first judged; null for a verdict without seeds (a lab lesson's). */
export function shownSeed(lesson: Lesson, check: LessonCheck): number | null {
  const seeds = (check.verdict.seeds ?? []).map((v) => v.seed);
  if (!seeds.length) return null;
  const own = lesson.arms[0]?.config?.seed;
  return own !== undefined && seeds.includes(own) ? own : seeds[0];
}

/** Replace the draft's sections with a copy of the arm's full config (the draft keeps its identity: it is bound
 * state). A JSON copy, as the arm may be a reactive proxy, which structuredClone refuses. A lab arm has no
 * config and leaves the draft alone. */
export function loadArm(config: ExperimentConfig, arm: LessonArm): void {
  if (arm.config) Object.assign(config, JSON.parse(JSON.stringify(arm.config)) as ExperimentConfig);
}

/** A lab arm in one line: `saddle k=100 · start (1.8, 0.001) · 150 steps · step 0.05 · sgd, momentum, adam`;
 * `words` puts it in the page's language (templates with {surface} {k} {x} {y} {steps} {lr} {optimizers}) and
 * `name` names each optimizer. */
export function labSummary(
  run: LabRun,
  words: { line: string; withK: string } = {
    line: '{surface} · start ({x}, {y}) · {steps} steps · step {lr} · {optimizers}',
    withK: '{surface} k={k}',
  },
  name: (optimizer: string) => string = (o) => o,
): string {
  const lr = (run.optimizers[0] as { lr?: number } | undefined)?.lr;
  const surface = run.k !== null && run.k !== undefined ? fmt(words.withK, { surface: run.surface, k: run.k }) : run.surface;
  return fmt(words.line, {
    surface,
    x: run.start[0],
    y: run.start[1],
    steps: run.steps,
    lr: lr ?? '–',
    optimizers: run.optimizers.map((o) => name(o.name)).join(', '),
  });
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function leaves(value: Json, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, Array.isArray(value) ? value.join(',') : String(value));
  }
}

/** Per arm, the settings in which it departs from the other arms (`model.activation=relu`): what the lesson
 * compares. A setting most arms share (0 weight decay in five of six arms) is shown only where an arm differs from
 * it; a setting with no majority (every arm its own activation) is shown for every arm. The first arm may list
 * nothing: it is the baseline (a later arm that would list nothing lists every differing setting). A lab arm is a
 * whole setup: its one-line summary (`labLine`). */
export function armDifferences(arms: LessonArm[], labLine: (run: LabRun) => string = (run) => labSummary(run)): string[][] {
  if (arms.some((a) => a.lab)) return arms.map((a) => (a.lab ? [labLine(a.lab)] : []));
  const flat = arms.map((a) => {
    const out = new Map<string, string>();
    leaves(a.config as unknown as Json, '', out);
    return out;
  });
  const paths = new Set(flat.flatMap((m) => [...m.keys()]));
  const differing = [...paths].filter((p) => new Set(flat.map((m) => m.get(p))).size > 1);
  const common = new Map<string, string | undefined>();
  for (const p of differing) {
    const counts = new Map<string | undefined, number>();
    for (const m of flat) counts.set(m.get(p), (counts.get(m.get(p)) ?? 0) + 1);
    const [value, n] = [...counts].sort((a, b) => b[1] - a[1])[0];
    const tie = [...counts.values()].filter((c) => c === n).length > 1;
    if (n > 1 && !tie) common.set(p, value);
  }
  const show = (m: Map<string, string>, keys: string[]) => keys.map((p) => `${p}=${m.get(p) ?? '–'}`);
  return flat.map((m, i) => {
    const own = differing.filter((p) => !common.has(p) || m.get(p) !== common.get(p));
    // the first arm is the baseline by convention; a later arm that matches every majority gets its full list
    return own.length || i === 0 ? show(m, own) : show(m, differing);
  });
}
