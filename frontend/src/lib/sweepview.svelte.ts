// The sweep on show: its members as the server describes them (GET /api/sweeps/{id}, read again every second while it
// trains), and, for the seed view, each member's loss and accuracy history (GET /api/runs/{id}/metrics), read again
// whenever the member has trained on. The views draw from `info` and `curves`; `version` says either changed.

import { api, ApiError, type SweepInfo, type SweepMember } from './api';
import type { Curve } from './sweepmath';

/** The columns the seed view draws (a task without accuracy has only the first two). */
export const CURVE_SERIES = ['train_loss', 'test_loss', 'train_acc', 'test_acc'] as const;
export type CurveName = (typeof CURVE_SERIES)[number];
export type MemberCurves = Partial<Record<CurveName, Curve>>;

export const POLL_MS = 1000;
const ENDED = ['done', 'stopped'];
const MEMBER_ACTIVE = ['pending', 'running', 'paused'];

/** The sweep's non-seed axes: none is a seed band, one a line, two or more a heat map. */
export function sweepAxes(info: Pick<SweepInfo, 'grid'>): string[] {
  return Object.keys(info.grid).filter((a) => a !== 'seed');
}

/** A sweep over seeds only (the seed view of the playground), else a grid (the Sweeps tab's view). */
export function sweepKind(info: Pick<SweepInfo, 'grid'>): 'seeds' | 'grid' {
  return sweepAxes(info).length === 0 ? 'seeds' : 'grid';
}

export const isMemberActive = (m: Pick<SweepMember, 'status'>) => MEMBER_ACTIVE.includes(m.status);

export class SweepView {
  id = $state<string | null>(null);
  info = $state.raw<SweepInfo | null>(null);
  error = $state<string | null>(null);
  /** run id -> its curves, as last read */
  curves = $state.raw<Record<string, MemberCurves>>({});
  /** Bumped when `info` or `curves` changed. */
  version = $state(0);
  /** A Stop is in flight. */
  stopping = $state(false);

  /** Read the members' histories too: a sweep over seeds only (the seed view); the grid views need the final figures. */
  #withCurves = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** the sweep being read now */
  #reading: string | null = null;
  /** the server does not know the sweep: nothing to follow */
  #gone = false;
  /** run id -> the step and status its curves were read at */
  #readAt = new Map<string, string>();
  /** the task has no accuracy: read the losses only */
  #lossOnly = false;

  get ended(): boolean {
    return this.info !== null && ENDED.includes(this.info.status);
  }

  /** Show sweep `id` (`info`: the caller has it already, the POST's answer). */
  open(id: string, info?: SweepInfo): void {
    const again = id === this.id;
    if (!again) {
      this.close();
      this.id = id;
    }
    if (info) this.#take(info);
    void this.#tick();
  }

  /** Stop following the sweep (it trains on). */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.id = null;
    this.info = null;
    this.error = null;
    this.curves = {};
    this.#readAt.clear();
    this.#lossOnly = false;
    this.#gone = false;
    this.#reading = null;
    this.version += 1;
  }

  /** Stop every member of the sweep (its owner only). */
  async stop(): Promise<void> {
    const id = this.id;
    if (!id || this.stopping) return;
    this.stopping = true;
    try {
      const info = await api.stopSweep(id);
      if (id === this.id) this.#take(info);
      void this.#tick();
    } catch (e) {
      if (id === this.id) this.error = (e as Error).message;
    } finally {
      this.stopping = false;
    }
  }

  #take(info: SweepInfo): void {
    this.info = info;
    this.#withCurves = sweepKind(info) === 'seeds';
    this.error = null;
    this.version += 1;
  }

  async #tick(): Promise<void> {
    const id = this.id;
    if (!id || this.#reading === id) return; // (one reading at a time: it schedules the next)
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#reading = id;
    try {
      await this.#read(id);
    } finally {
      if (this.#reading === id) this.#reading = null;
    }
    if (id !== this.id || this.#timer) return;
    // an ended sweep whose members' last figures are in needs no more reading (nor one that is not there)
    if (this.#gone || (this.ended && (!this.#withCurves || this.#allRead()))) return;
    this.#timer = setTimeout(() => void this.#tick(), POLL_MS);
  }

  async #read(id: string): Promise<void> {
    try {
      const info = await api.getSweep(id);
      if (id !== this.id) return;
      this.#take(info);
      if (this.#withCurves) await this.#readCurves(id, info.members);
    } catch (e) {
      if (id !== this.id) return;
      this.#gone = e instanceof ApiError && e.status === 404;
      this.error = this.#gone ? `Cannot open sweep ${id}: ${(e as Error).message}` : (e as Error).message;
    }
  }

  #mark = (m: SweepMember) => `${m.step}:${m.status}`;

  #allRead(): boolean {
    return (this.info?.members ?? []).every((m) => this.#readAt.get(m.run_id) === this.#mark(m));
  }

  /** Read the histories of the members that trained on since last read (in parallel). */
  async #readCurves(id: string, members: SweepMember[]): Promise<void> {
    const due = members.filter((m) => this.#readAt.get(m.run_id) !== this.#mark(m));
    for (const m of due) if (m.step === 0) this.#readAt.set(m.run_id, this.#mark(m)); // nothing measured to read
    if (!due.some((m) => m.step > 0)) return;
    const read = await Promise.all(due.filter((m) => m.step > 0).map((m) => this.#history(m.run_id).then((c) => [m, c] as const)));
    if (id !== this.id) return;
    const next = { ...this.curves };
    for (const [m, c] of read) {
      // (an unreadable history of an ended member is not asked for again: the sweep's polling can end)
      if (c !== null || !isMemberActive(m)) this.#readAt.set(m.run_id, this.#mark(m));
      if (c !== null) next[m.run_id] = c;
    }
    this.curves = next;
    this.version += 1;
  }

  async #history(runId: string): Promise<MemberCurves | null> {
    const names = this.#lossOnly ? CURVE_SERIES.slice(0, 2) : CURVE_SERIES;
    try {
      const answer = await api.metricSeries(runId, names);
      const out: MemberCurves = {};
      for (const name of names) {
        const s = answer.series[name];
        if (s) out[name] = { step: s.step, value: s.last };
      }
      return out;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 422) return null;
      if (/no figures yet/.test(e.message)) return null; // it has not measured anything yet
      if (this.#lossOnly) return null;
      this.#lossOnly = true; // a task without accuracy (regression): its columns name no *_acc
      return this.#history(runId);
    }
  }

  dispose(): void {
    this.close();
  }
}
