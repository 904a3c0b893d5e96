// Guided lessons (docs/protocol.md, "Lessons"): the user's pick, the arms and what they change, the check's
// figures. Where a lesson says to look is panels.ts; the opened lesson is app state (appstate.svelte.ts).

import type { ExperimentConfig, Lesson, LessonArm, LessonText } from './api';
import type { LabRun } from './lab';
import { formatSig } from './format';
import { fmt, type Lang } from './i18n.svelte';

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

/** A figure's name for reading: `relu_max_grad` -> `relu max grad`. */
export function figureLabel(name: string): string {
  return name.replace(/_/g, ' ');
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
