// The run shown on the page: its REST lifecycle, its stream and its chart series.
// Series live in plain arrays (see series.ts); the reactive `version` is bumped at most once per
// animation frame, and that is what makes the charts and read-outs redraw.

import { api, streamUrl, type ExperimentConfig, type RunInfo, type RunStatus } from './api';
import { isActive, type DataInfo, type InsightEvent, type Layer } from './protocol';
import { appendFrame, createSeries, pointCount, seriesFromHello, type Series } from './series';
import { createCoalescer } from './schedule';
import { openStream, type ConnectionState, type StreamHandle } from './stream';

export type DisplayStatus = RunStatus | 'idle';

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
  /** The run this one was forked from, if any. */
  parent = $state<string | null>(null);
  /** What the detectors saw in this run, oldest first. */
  events = $state.raw<InsightEvent[]>([]);
  series = $state.raw<Series>(createSeries([]));
  /** Bumped once per animation frame in which the series changed. */
  version = $state(0);
  /** Points in the series' x array as of the last redraw. */
  points = $state(0);

  #stream: StreamHandle | null = null;
  #redraw = createCoalescer(() => this.#flush());

  get active(): boolean {
    return isActive(this.status);
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
    this.#setStatus(run.status, run.step, run.error);
  }

  async start(config: ExperimentConfig): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.error = null;
    try {
      // one run at a time on this page: a restart ends the run it replaces
      if (this.runId && this.active) await api.stopRun(this.runId).catch(() => undefined);
      const run = await api.createRun(config);
      this.#closeStream();
      this.#show(run);
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  /** Show run `run` (just created, forked, or picked from the list) and follow its stream. */
  #show(run: RunInfo): void {
    this.#closeStream();
    this.runId = run.id;
    this.status = run.status;
    this.step = run.step;
    this.totalSteps = run.config?.steps ?? null;
    this.config = run.config ?? null;
    this.parent = run.parent ?? null;
    this.layers = [];
    this.events = [];
    this.data = null;
    this.series = createSeries([]);
    this.#flush();
    this.#connect(run.id);
  }

  /** Follow an existing run (active or ended) by id. */
  async attach(id: string): Promise<void> {
    try {
      this.error = null;
      this.#show(await api.getRun(id));
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Fork the shown run at `step` (default: now) with `changes`; returns the new run, or null on error. */
  async fork(changes: Record<string, unknown>, step?: number): Promise<RunInfo | null> {
    const id = this.runId;
    if (!id) return null;
    this.busy = true;
    this.error = null;
    try {
      return await api.forkRun(id, { changes, ...(step !== undefined ? { step } : {}) });
    } catch (e) {
      this.error = (e as Error).message;
      return null;
    } finally {
      this.busy = false;
    }
  }

  /** Change the learning rate of the running run (it applies from the next step). */
  async setLr(lr: number): Promise<void> {
    const id = this.runId;
    if (!id || !this.active) return;
    try {
      this.#applyRun(await api.patchRun(id, { lr }));
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Forget the shown run (stopping it if it trains): the page goes back to its idle state. */
  async reset(): Promise<void> {
    const id = this.runId;
    if (id && this.active) {
      try {
        await api.stopRun(id);
      } catch {
        // it may have ended meanwhile
      }
    }
    this.#closeStream();
    this.runId = null;
    this.status = 'idle';
    this.step = 0;
    this.totalSteps = null;
    this.config = null;
    this.parent = null;
    this.layers = [];
    this.events = [];
    this.data = null;
    this.error = null;
    this.series = createSeries([]);
    this.#flush();
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
        this.series = seriesFromHello(msg.layers, msg.history, msg.latest);
        this.totalSteps = msg.run.config?.steps ?? this.totalSteps;
        this.#applyRun(msg.run);
        this.#redraw.schedule();
      },
      onFrame: (msg) => {
        if (this.runId !== id) return;
        if (appendFrame(this.series, msg)) this.#redraw.schedule();
      },
      onEvent: (msg) => {
        if (this.runId === id) this.events = [...this.events, msg];
      },
      onStatus: (msg) => {
        if (this.runId !== id) return;
        this.#setStatus(msg.status, msg.step, msg.error);
      },
      onConnection: (state) => {
        if (this.runId === id) this.connection = state;
      },
      onError: (err) => {
        if (this.runId === id) this.error = err.message;
      },
    });
  }

  #closeStream(): void {
    this.#stream?.close();
    this.#stream = null;
    this.connection = 'closed';
  }

  async #control(action: 'pause' | 'resume' | 'stop' | 'step'): Promise<void> {
    const id = this.runId;
    if (!id || this.busy) return;
    this.busy = true;
    this.error = null;
    try {
      const call = { pause: api.pauseRun, resume: api.resumeRun, stop: api.stopRun, step: api.stepRun }[action];
      this.#applyRun(await call(id));
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  pause = () => this.#control('pause');
  resume = () => this.#control('resume');
  stop = () => this.#control('stop');
  /** One training step of a paused run. */
  stepOnce = () => this.#control('step');

  dispose(): void {
    this.#redraw.cancel();
    this.#closeStream();
  }
}
