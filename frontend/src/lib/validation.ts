// Whether a typed (or linked) value may be sent: a number, a list of numbers or a choice checked against what the
// server's schema allows (schema.ts), and the words that say why not. Nothing is clamped: a value out of range is
// refused with its limit, and the form keeps its last valid value (which Play and the URL use) until it is fixed.

import formStrings from '../i18n/form';
import { formatLimit, formatSig } from './format';
import { fmt, tr } from './i18n.svelte';

/** A number field's type and range, as schema.ts' FieldInfo gives them. */
export interface NumberRange {
  kind: string;
  min?: number;
  max?: number;
  /** the minimum itself is refused (`gt`, not `ge`) */
  minExclusive?: boolean;
}

/** A list field's item range and length, as schema.ts' FieldInfo gives them. */
export interface ListRange {
  itemMin?: number;
  itemMax?: number;
  minItems?: number;
  maxItems?: number;
}

export type Problem =
  | { kind: 'empty'; min?: number; max?: number }
  | { kind: 'notNumber'; text: string }
  | { kind: 'notInteger'; text: string }
  | { kind: 'below'; text: string; limit: number; exclusive: boolean }
  | { kind: 'above'; text: string; limit: number }
  | { kind: 'count'; n: number; min: number; max: number }
  | { kind: 'item'; index: number; problem: Problem }
  | { kind: 'notChoice'; text: string; choices: string[] };

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: Problem };

/** `n` against a range: the problem, or null when it may be sent (`text` is how the user wrote it). */
export function rangeProblem(n: number, range: NumberRange, text: string = String(n)): Problem | null {
  if (range.kind === 'integer' && !Number.isInteger(n)) return { kind: 'notInteger', text };
  if (range.min !== undefined && (n < range.min || (range.minExclusive === true && n === range.min))) {
    return { kind: 'below', text, limit: range.min, exclusive: range.minExclusive === true };
  }
  if (range.max !== undefined && n > range.max) return { kind: 'above', text, limit: range.max };
  return null;
}

/** A number field's text: the number, or why it cannot be sent. */
export function checkNumber(text: string, range: NumberRange): Checked<number> {
  const t = text.trim();
  if (t === '') return { ok: false, problem: { kind: 'empty', min: range.min, max: range.max } };
  const n = Number(t);
  if (!Number.isFinite(n)) return { ok: false, problem: { kind: 'notNumber', text: t } };
  const problem = rangeProblem(n, range, t);
  return problem ? { ok: false, problem } : { ok: true, value: n };
}

/** A list field's text (`8, 8, 4`: commas or spaces): the numbers, or the first reason they cannot be sent. */
export function checkList(text: string, range: ListRange, kind: 'integer' | 'number' = 'integer'): Checked<number[]> {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  const min = range.minItems ?? 0;
  const max = range.maxItems ?? Infinity;
  const values: number[] = [];
  for (const [index, part] of parts.entries()) {
    const item = checkNumber(part, { kind, min: range.itemMin, max: range.itemMax });
    if (!item.ok) return { ok: false, problem: { kind: 'item', index, problem: item.problem } };
    values.push(item.value);
  }
  if (values.length < min || values.length > max) {
    return { ok: false, problem: { kind: 'count', n: values.length, min, max } };
  }
  return { ok: true, value: values };
}

/** A choice (`dataset.name=spiral`) against the names the server offers. */
export function checkChoice(text: string, choices: readonly string[]): Checked<string> {
  return choices.includes(text)
    ? { ok: true, value: text }
    : { ok: false, problem: { kind: 'notChoice', text, choices: [...choices] } };
}

/** The sentences of each problem ({text}: what was typed, {limit}: the bound): i18n/form.ts, in each language. */
export interface ProblemWords {
  empty: string;
  emptyRange: string;
  notNumber: string;
  notInteger: string;
  below: string;
  belowExclusive: string;
  above: string;
  count: string;
  item: string;
  notChoice: string;
}

/** Why a value cannot be sent, in words, with the limit it broke. */
export function describeProblem(p: Problem, words: ProblemWords): string {
  switch (p.kind) {
    case 'empty':
      return p.min !== undefined && p.max !== undefined
        ? fmt(words.emptyRange, { min: formatLimit(p.min), max: formatLimit(p.max) })
        : words.empty;
    case 'notNumber':
      return fmt(words.notNumber, { text: p.text });
    case 'notInteger':
      return fmt(words.notInteger, { text: p.text });
    case 'below':
      return fmt(p.exclusive ? words.belowExclusive : words.below, { text: p.text, limit: formatLimit(p.limit) });
    case 'above':
      return fmt(words.above, { text: p.text, limit: formatLimit(p.limit) });
    case 'count':
      return fmt(words.count, { n: p.n, min: p.min, max: Number.isFinite(p.max) ? p.max : '∞' });
    case 'item':
      return fmt(words.item, { n: p.index + 1, why: describeProblem(p.problem, words) });
    case 'notChoice':
      return fmt(words.notChoice, { text: p.text, choices: p.choices.join(', ') });
  }
}

/** A setting's value as the messages quote it: 0.03, 8, 8, circle. */
export function valueText(v: unknown): string {
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'number') return formatSig(v, 6);
  return String(v);
}

/** The link's refused values in words (`steps: -5 is below the minimum of 1. Not used: the setting keeps 3000.`),
 * in the reader's language. */
export function refusedText(
  refused: readonly { path: string; problem: Problem }[],
  valueAt: (path: string) => unknown,
  words: ProblemWords & { linkRefused: string } = tr(formStrings),
): string[] {
  return refused.map((r) =>
    fmt(words.linkRefused, {
      path: r.path,
      why: describeProblem(r.problem, words),
      value: valueText(valueAt(r.path)),
    }),
  );
}
