// What the page says about the run it shows beyond its status: that it is someone else's (watch only), or that it
// was paused or stopped because nobody watched it (its lease). Pure: RunNotices.svelte words and draws it.

import type { IdleNote } from './api';
import type { DisplayStatus } from './session.svelte';

/** Which idle notice to show:
 * - `waking`: paused for want of a viewer, and still paused (opening its stream makes the server resume it)
 * - `resumed`: it was paused for want of a viewer and runs again now that someone watches
 * - `stopped`: stopped for want of a viewer (Continue trains it on)
 * - null: nothing to say (no note, or the run has since moved on: stopped by hand, finished) */
export type IdleNotice = 'waking' | 'resumed' | 'stopped' | null;

export function idleNotice(idle: IdleNote | null, status: DisplayStatus): IdleNotice {
  if (!idle) return null;
  if (idle.action === 'stopped') return status === 'stopped' ? 'stopped' : null;
  if (status === 'paused') return 'waking';
  if (status === 'running' || status === 'pending') return 'resumed';
  return null;
}

/** A stretch of seconds in words: "45 s", "3 min", "2 h 5 min" (`units` for other languages). */
export function duration(seconds: number, units: { s: string; min: string; h: string } = { s: 's', min: 'min', h: 'h' }): string {
  const t = Math.max(0, Math.round(seconds));
  if (t < 120) return `${t} ${units.s}`;
  const minutes = Math.round(t / 60);
  if (minutes < 120) return `${minutes} ${units.min}`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} ${units.h} ${m} ${units.min}` : `${h} ${units.h}`;
}
