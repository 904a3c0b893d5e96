// The run shown on the page: its REST lifecycle, its stream and its chart series. While no run is shown, the
// untrained network of the page's settings at step 0 (POST /api/preview) fills the same state, so the panels draw
// it with the code that draws a run; Step before Play starts a run paused after its first step from there.
// Series live in plain arrays (see series.ts); the reactive `version` is bumped at most once per
// animation frame, and that is what makes the charts and read-outs redraw.

import {
  api,
  ApiError,
  streamUrl,
  type ExperimentConfig,
  type IdleNote,
  type LimitOut,
  type RunInfo,
  type RunStart,
  type RunStatus,
} from './api';
import { decodeFrame, isActive, type DataInfo, type Frame, type InsightEvent, type Layer } from './protocol';
import { appendFrame, createSeries, pointCount, seriesFromHello, type Series } from './series';
import { createCoalescer } from './schedule';
import { openStream, type ConnectionState, type StreamHandle } from './stream';

export type DisplayStatus = RunStatus | 'idle';

/** How long the settings must stay still before their preview is asked for (dragging a slider asks once). */
export const PREVIEW_DELAY_MS = 250;

/** The untrained network of some settings at step 0, as the server computed it (its frame decoded). */
export interface Preview {
  /** The settings as the server validated them: a run of exactly these starts from this step 0. */
  config: ExperimentConfig;
  layers: Layer[];
  data: DataInfo;
  frame: Frame;
}

const sameConfig = (a: ExperimentConfig | null | undefined, b: ExperimentConfig | null | undefined) =>
  !!a && !!b && JSON.stringify(a) === JSON.stringify(b);

export class RunSession {
  runId = $state<string | null>(null);
  status = $state<DisplayStatus>('idle');
  step = $state(0);
  totalSteps = $state<number | null>(null);
  error = $state<string | null>(null);
  connection = $state<ConnectionState>('closed');
  /** A REST call (create, pause, resume, stop) is in flight. */
  busy = $state(false);
  layers = $state.raw<Layer[]>([]);
  /** The run's config as the server validated it. */
  config = $state.raw<ExperimentConfig | null>(null);
  /** What the run trains on (hello.data): extent, sample points, images, parameter counts. */
  data = $state.raw<DataInfo | null>(null);
  /** The settings of a run just opened (by link or from a list), for the page to take into its form; the page
   * sets it back to null once it has. */
  opened = $state.raw<ExperimentConfig | null>(null);
  /** The run this one was forked from, if any. */
  parent = $state<string | null>(null);
  /** The shown run as the server last described it (its name, whether it is ours to change, its lease). */
  info = $state.raw<RunInfo | null>(null);
  /** Why the shown run was paused or stopped for want of a viewer (kept after it resumed, for the page to say so). */
  idle = $state.raw<IdleNote | null>(null);
  /** A refused start (429): which limit, and the caller's active runs, so the page can offer to stop one. */
  limit = $state.raw<LimitOut | null>(null);
  /** What the detectors saw in this run, oldest first. */
  events = $state.raw<InsightEvent[]>([]);
  series = $state.raw<Series>(createSeries([]));
  /** Bumped once per animation frame in which the series changed. */
  version = $state(0);
  /** Points in the series' x array as of the last redraw. */
  points = $state(0);
  /** The untrained network of the page's settings at step 0 (null while asked for, or refused). */
  preview = $state.raw<Preview | null>(null);
  /** Why the page's settings have no preview: the server's words (a refused config, the rate limit). */
  previewError = $state<string | null>(null);
  /** The settings whose preview was asked for last (JSON); an answer for others is dropped. */
  #previewKey = '';
  #previewTimer: ReturnType<typeof setTimeout> | null = null;

  #stream: StreamHandle | null = null;
  #redraw = createCoalescer(() => this.#flush());

  get active(): boolean {
    return isActive(this.status);
  }

  /** The page shows the preview: no run, the untrained network of its settings at step 0. */
  get previewing(): boolean {
    return this.runId === null && this.preview !== null;
  }

  /** Whether this browser may change the shown run (pause, stop, lr, continue); true while none is shown. Someone
   * else's run, opened from a shared link, can be watched only. */
  get canChange(): boolean {
    return this.info?.can_change ?? true;
  }

  /** The shown run ended in a way that Continue can train on from (finished, stopped, interrupted) and is ours. */
  get canContinue(): boolean {
    return this.runId !== null && this.canChange && !this.active && (this.info?.continuable ?? false);
  }

  #flush(): void {
    this.series.refresh(); // the arrays the charts hold, brought up to date in place
    this.points = pointCount(this.series);
    const latest = this.series.latest;
    if (latest && latest.step > this.step) this.step = latest.step;
    this.version += 1;
  }

  /** Take a status from REST or the stream; an ended run never goes back to an active status. */
  #setStatus(status: RunStatus, step?: number, error?: string | null): void {
    const ended = this.status !== 'idle' && !isActive(this.status);
    if (ended && isActive(status)) return;
    this.status = status;
    if (step !== undefined && step > this.step) this.step = step;
    if (status === 'failed' || status === 'diverged' || status === 'interrupted') {
      this.error = `Run ${status}: ${error || 'no reason given'}`;
    }
  }

  #applyRun(run: RunInfo): void {
    if (run.id !== this.runId) return;
    this.info = run;
    if (run.idle) this.idle = run.idle;
    this.#setStatus(run.status, run.step, run.error);
  }

  /** An error of a REST call: its message, and a 429's limit (the page lists the runs to stop). */
  #fail(e: unknown): void {
    this.error = (e as Error).message;
    this.limit = e instanceof ApiError ? e.limit : null;
  }

  /** One REST call at a time: `busy` while it runs; its error (and a 429's run list) shown. */
  async #call(work: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.error = null;
    this.limit = null;
    try {
      await work();
    } catch (e) {
      this.#fail(e);
    } finally {
      this.busy = false;
    }
  }

  /** Start a new run of ours with `config` and show it. It holds a lease: unwatched, it pauses, then stops.
   * `start` 'step' (Step before Play): it takes one step from the step 0 the preview showed, then waits paused. */
  start(config: ExperimentConfig, start: RunStart = 'run'): Promise<void> {
    return this.#call(async () => {
      // one run at a time on this page: a restart ends the run it replaces, if it is ours (someone else's run, shown
      // from a shared link, goes on)
      if (this.runId && this.active && this.canChange) await api.stopRun(this.runId).catch(() => undefined);
      const run = await api.createRun(config, true, start);
      this.#closeStream();
      this.#show(run);
    });
  }

  /** Train the shown run (ended, ours) on for `steps` more (null: until stopped), as the same run: the page
   * reattaches to it, and its step rises from where it ended. */
  continueRun(steps: number | null): Promise<void> {
    const id = this.runId;
    if (!id) return Promise.resolve();
    return this.#call(async () => this.#show(await api.continueRun(id, steps)));
  }

  /** Stop run `id` of ours (one of a 429's active runs, to make room); it leaves the limit's list. */
  async stopOther(id: string): Promise<void> {
    try {
      const run = await api.stopRun(id);
      this.#applyRun(run);
    } catch (e) {
      // it may have ended meanwhile: then it no longer takes room either
      if (!(e instanceof ApiError && e.status === 409)) {
        this.error = (e as Error).message;
        return;
      }
    }
    if (this.limit) this.limit = { ...this.limit, active: this.limit.active.filter((r) => r.id !== id) };
  }

  /** Show run `run` (just created, forked, continued, or picked from the list) and follow its stream. */
  #show(run: RunInfo): void {
    this.#closeStream();
    this.runId = run.id;
    this.status = run.status;
    this.step = run.step;
    this.totalSteps = run.config?.steps ?? null;
    this.config = run.config ?? null;
    this.parent = run.parent ?? null;
    this.info = run;
    this.idle = run.idle ?? null;
    this.limit = null;
    this.events = [];
    // until its hello: the run's own step 0, if the preview is of its settings; else nothing
    this.#fill(sameConfig(this.preview?.config, run.config) ? this.preview : null);
    this.#connect(run.id);
  }

  /** Follow an existing run (active or ended, ours or someone else's) by id: a live run's stream resumes from its
   * history, an ended run shows its final state. `runId` is the id at once (the page's link keeps it meanwhile); an
   * id the server does not know leaves the page idle with an error that names it. */
  async attach(id: string, adopt = true): Promise<void> {
    this.#closeStream();
    this.#clear();
    this.runId = id;
    try {
      const run = await api.getRun(id);
      if (this.runId !== id) return;
      this.#show(run);
      // (a sweep's member leaves the form as it is: its settings are the sweep's, but for the axes' values)
      if (adopt) this.opened = run.config ?? null;
    } catch (e) {
      if (this.runId !== id) return;
      this.runId = null;
      this.error = `Cannot open run ${id}: ${(e as Error).message}`;
    }
  }

  /** Stop showing the run without stopping it (a sweep's member trains on with its sweep): back to the preview. */
  detach(): void {
    this.#closeStream();
    this.#clear();
    this.error = null;
    this.limit = null;
  }

  /** Change the learning rate of the running run (it applies from the next step); not someone else's. */
  async setLr(lr: number): Promise<void> {
    const id = this.runId;
    if (!id || !this.active || !this.canChange) return;
    try {
      this.#applyRun(await api.patchRun(id, { lr }));
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Forget the shown run (stopping it if it trains and is ours): the page goes back to its idle state. */
  async reset(): Promise<void> {
    const id = this.runId;
    if (id && this.active && this.canChange) {
      try {
        await api.stopRun(id);
      } catch {
        // it may have ended meanwhile
      }
    }
    this.#closeStream();
    this.#clear();
    this.error = null;
    this.limit = null;
  }

  /** No run shown: the preview of the page's settings, if there is one yet, else nothing. */
  #clear(): void {
    this.runId = null;
    this.status = 'idle';
    this.step = 0;
    this.totalSteps = null;
    this.parent = null;
    this.info = null;
    this.idle = null;
    this.events = [];
    this.#fill(this.preview);
  }

  /** The layers, data, config and series of `preview` (its step-0 frame, taken as a run's frame is), or none. */
  #fill(preview: Preview | null): void {
    this.layers = preview?.layers ?? [];
    this.data = preview?.data ?? null;
    this.config = preview?.config ?? (this.runId === null ? null : this.config);
    this.series = createSeries(this.layers);
    if (preview) appendFrame(this.series, preview.frame);
    this.#flush();
  }

  /** Show the untrained network of `config` at step 0 while no run is shown (and keep it for Reset, and for a run of
   * these settings until its first frame). Asked for once the settings have stayed still PREVIEW_DELAY_MS; what was
   * shown for other settings goes at once, so nothing of theirs is shown as these settings'. */
  requestPreview(config: ExperimentConfig, delay = PREVIEW_DELAY_MS): void {
    const key = JSON.stringify(config);
    if (key === this.#previewKey) return;
    this.#previewKey = key;
    if (this.#previewTimer) clearTimeout(this.#previewTimer);
    this.preview = null;
    this.previewError = null;
    if (this.runId === null) this.#clear();
    this.#previewTimer = setTimeout(() => {
      this.#previewTimer = null;
      void this.#fetchPreview(config, key);
    }, delay);
  }

  async #fetchPreview(config: ExperimentConfig, key: string): Promise<void> {
    try {
      const answer = await api.preview(config);
      if (key !== this.#previewKey) return; // the settings changed meanwhile
      const frame = decodeFrame(answer.frame, 'preview.frame');
      this.preview = { config: answer.config, layers: answer.layers, data: answer.data, frame };
    } catch (e) {
      if (key !== this.#previewKey) return;
      this.previewError = (e as Error).message;
      return;
    }
    if (this.runId === null) this.#clear();
  }

  #connect(id: string): void {
    this.#stream = openStream(streamUrl(id), {
      onHello: (msg) => {
        if (this.runId !== id) return;
        // A (re)connect: the server's history replaces whatever we had.
        this.layers = msg.layers;
        this.events = msg.events;
        this.data = msg.data;
        this.config = msg.run.config ?? this.config;
        // a run that has not read its first step yet shows its step 0: the preview, if it is of the run's settings
        const stepZero = sameConfig(this.preview?.config, msg.run.config) ? this.preview!.frame : null;
        this.series = seriesFromHello(msg.layers, msg.history, msg.latest ?? stepZero);
        this.totalSteps = msg.run.config ? msg.run.config.steps : this.totalSteps;
        this.#applyRun(msg.run);
        this.#redraw.schedule();
      },
      onFrame: (msg) => {
        if (this.runId !== id) return;
        if (appendFrame(this.series, msg)) this.#redraw.schedule();
      },
      onEvent: (msg) => {
        if (this.runId !== id) return;
        this.events = [...this.events, msg];
        // paused or stopped for want of a viewer: the run's idle note says when and why; a live lr change (by
        // anyone): the run's lr_changes, which the loss chart marks
        if (['idle_paused', 'idle_stopped', 'lr_changed'].includes(msg.kind)) void this.#refresh(id);
      },
      onStatus: (msg) => {
        if (this.runId !== id) return;
        this.#setStatus(msg.status, msg.step, msg.error);
        // an ending: the run's final info (what it may do now, e.g. continue; its final figures)
        if (!isActive(msg.status)) void api.getRun(id).then((run) => this.#applyRun(run), () => undefined);
      },
      onConnection: (state) => {
        if (this.runId === id) this.connection = state;
      },
      onError: (err) => {
        if (this.runId === id) this.error = err.message;
      },
    });
  }

  async #refresh(id: string): Promise<void> {
    try {
      this.#applyRun(await api.getRun(id));
    } catch {
      // the stream goes on saying what it knows
    }
  }

  #closeStream(): void {
    this.#stream?.close();
    this.#stream = null;
    this.connection = 'closed';
  }

  #control(action: 'pause' | 'resume' | 'stop' | 'step'): Promise<void> {
    const id = this.runId;
    if (!id) return Promise.resolve();
    const call = { pause: api.pauseRun, resume: api.resumeRun, stop: api.stopRun, step: api.stepRun }[action];
    return this.#call(async () => this.#applyRun(await call(id)));
  }

  pause = () => this.#control('pause');
  resume = () => this.#control('resume');
  stop = () => this.#control('stop');
  /** One training step of a paused run. */
  stepOnce = () => this.#control('step');

  dispose(): void {
    this.#redraw.cancel();
    if (this.#previewTimer) clearTimeout(this.#previewTimer);
    this.#closeStream();
  }
}
