// The chart data of one run: a view over its History (history.ts), the one decimated store the server
// hands over in its hello and the live frames continue. The arrays the charts draw are derived from the
// history's tracks, once per change, so they are never longer than the history's capacity.
//
// Two time axes: `step` has a point per frame (loss, gradient norms, update ratios: measured on every
// frame); `detailStep` has a point per detail frame (test figures, activation statistics, dead and
// saturated units: measured at most 10 times a second). A figure appears only at the steps it was measured.

import { History, type Cell, type HistoryWire, type Track } from './history';
import type { Frame, Layer, Metric } from './protocol';

/** How many rows of ||dL/dh_t|| the series keeps for the gradient-through-time heatmap. */
export const GRAD_TIME_ROWS = 400;
/** The frame fields that are not figures (everything else in a frame is a metric of the registry). */
// not series: the frame's header, its dense views and its layers' verdicts (`health`)
const HEADER = new Set(['type', 'seq', 'step', 'wall', 'detail', 'first_bad_step', 'dense', 'health']);
const GATE_PREFIX = 'gate_';

/** The last value of `index` in each bucket of `track`, placed on `axis` at the bucket's step. */
function onAxis(axis: readonly number[], track: Track | undefined, ...index: number[]): (number | null)[] {
  const out: (number | null)[] = new Array(axis.length).fill(null);
  if (!track) return out;
  const values = track.column(...index);
  let at = 0; // the last point of the axis at or before the bucket's step
  for (let i = 0; i < track.step.length && axis.length; i++) {
    while (at + 1 < axis.length && axis[at + 1] <= track.step[i]) at++;
    out[at] = values[i];
  }
  return out;
}

/** A log axis cannot show 0 or negatives: those become gaps. */
function positive(values: (number | null)[]): (number | null)[] {
  return values.map((v) => (v !== null && v > 0 ? v : null));
}

export class Series {
  /** Layer names, from hello.layers; one gradient line per layer. */
  readonly layerNames: string[];
  readonly history: History;
  /** seq of the newest live frame taken, -1 before the first. */
  lastSeq = -1;
  /** Number of frames the server skipped (gaps in seq) since the series was (re)built. */
  skipped = 0;
  /** The newest value of every figure (the newest frame over the newest detail frame), for read-outs. */
  latest: Frame | null = null;
  /** The newest frame that carried dense arrays (grids, histograms, maps). */
  detail: Frame | null = null;
  #cache = new Map<string, unknown>();
  #makers = new Map<string, () => unknown>();
  #stale = new Set<string>();
  #cachedAt = 0;

  constructor(layers: readonly Pick<Layer, 'name'>[], history = new History()) {
    this.layerNames = layers.map((l) => l.name);
    this.history = history;
  }

  /** A chart array derived from the history: made once, then refilled in place when the history changed, so
   * a chart holding it (uPlot keeps the arrays it was given) sees the new points. */
  #derive<T>(key: string, make: () => T): T {
    if (this.#cachedAt !== this.history.version) {
      this.#cachedAt = this.history.version;
      this.#stale = new Set(this.#cache.keys());
    }
    if (!this.#cache.has(key)) {
      this.#makers.set(key, make);
      this.#cache.set(key, make());
    } else if (this.#stale.has(key)) {
      this.#stale.delete(key);
      refill(this.#cache.get(key), make());
    }
    return this.#cache.get(key) as T;
  }

  /** Bring every array a chart holds up to date (the session calls it once per redraw). */
  refresh(): void {
    if (this.#cachedAt !== this.history.version) this.#derive('step', () => [...this.#trainSteps()]);
    for (const key of [...this.#stale]) this.#derive(key, this.#makers.get(key)!);
  }

  #trainSteps(): number[] {
    return this.history.get('train_loss')?.step ?? [];
  }

  #perLayer(name: string, axis: readonly number[], map = (v: (number | null)[]) => v): (number | null)[][] {
    return this.#derive(name, () => this.layerNames.map((_, i) => map(onAxis(axis, this.history.get(name), i))));
  }

  /** x axis of the per-frame series: the step of each point, ascending. */
  get step(): number[] {
    return this.#derive('step', () => [...this.#trainSteps()]);
  }
  get trainLoss(): (number | null)[] {
    return this.#derive('trainLoss', () => onAxis(this.step, this.history.get('train_loss')));
  }
  /** Test figures on the per-frame axis, only at the frames that measured them. */
  get testLoss(): (number | null)[] {
    return this.#derive('testLoss', () => onAxis(this.step, this.history.get('test_loss')));
  }
  get trainAcc(): (number | null)[] {
    return this.#derive('trainAcc', () => onAxis(this.step, this.history.get('train_acc')));
  }
  get testAcc(): (number | null)[] {
    return this.#derive('testAcc', () => onAxis(this.step, this.history.get('test_acc')));
  }
  get lr(): (number | null)[] {
    return this.#derive('lr', () => onAxis(this.step, this.history.get('lr')));
  }
  /** gradNorm[layer][point]: L2 norm of that layer's weight gradient; null where not positive (log scale). */
  get gradNorm(): (number | null)[][] {
    return this.#perLayer('grad_norm', this.step, positive);
  }
  get actGradNorm(): (number | null)[][] {
    return this.#perLayer('act_grad_norm', this.step, positive);
  }
  get updateRatio(): (number | null)[][] {
    return this.#perLayer('update_ratio', this.step);
  }

  /** x axis of the detail series: the step each detail figure was measured at, ascending. */
  get detailStep(): number[] {
    return this.#derive('detailStep', () => [...(this.history.get('act_mean')?.step ?? [])]);
  }
  /** percentiles[layer][k][detail point], k over the registry's percentiles. */
  get percentiles(): (number | null)[][][] {
    return this.#derive('percentiles', () => {
      const track = this.history.get('percentiles');
      const k = Array.isArray(track?.last[0]) && Array.isArray(track.last[0][0]) ? track.last[0][0].length : 0;
      return this.layerNames.map((_, i) =>
        Array.from({ length: k }, (_, j) => onAxis(this.detailStep, track, i, j)),
      );
    });
  }
  get dead(): (number | null)[][] {
    return this.#perLayer('dead_fraction', this.detailStep);
  }
  get saturation(): (number | null)[][] {
    return this.#perLayer('saturation', this.detailStep);
  }
  get diversity(): (number | null)[][] {
    return this.#perLayer('unit_diversity', this.detailStep);
  }
  /** gates[name][detail point]: mean gate activation of the last recurrent layer. */
  get gates(): Record<string, (number | null)[]> {
    return this.#derive('gates', () => {
      const out: Record<string, (number | null)[]> = {};
      for (const [name, track] of this.history.tracks) {
        if (!name.startsWith(GATE_PREFIX)) continue;
        const layer = lastMeasuredLayer(track.last[track.last.length - 1]);
        if (layer >= 0) out[name.slice(GATE_PREFIX.length)] = onAxis(this.detailStep, track, layer);
      }
      return out;
    });
  }
  /** ||dL/dh_t|| rows (RNNs), one per detail point, the newest GRAD_TIME_ROWS. */
  get gradTime(): (number | null)[][] {
    return this.#derive('gradTime', () => {
      const track = this.history.get('grad_time');
      if (!track) return [];
      const rows = track.last.slice(-GRAD_TIME_ROWS);
      return rows.map((row) => (Array.isArray(row) ? row.map((v) => (typeof v === 'number' ? v : null)) : []));
    });
  }
  get gradTimeStep(): number[] {
    return this.#derive('gradTimeStep', () => (this.history.get('grad_time')?.step ?? []).slice(-GRAD_TIME_ROWS));
  }
}

/** Any series metric on its own steps, for the registry-driven chart: [x, column 0, column 1, ...] with a
 * column per layer or time step (one for a run metric). A layer metric with an inner axis (the percentiles,
 * a histogram's range) gives the values at `inner` of it. */
export function metricData(series: Series, name: string, inner = 0): [number[], ...(number | null)[][]] {
  const track = series.history.get(name);
  if (!track || !track.length) return [[]];
  const newest = track.last[track.length - 1];
  if (!Array.isArray(newest)) return [[...track.step], track.column()];
  const at = Array.isArray(newest[0]) ? [inner] : [];
  return [[...track.step], ...newest.map((_, i) => track.column(i, ...at))];
}

/** Whether any measurement of a metric is a number (dead units of a tanh net are all null: nothing to draw). */
export function hasValues(series: Series, name: string): boolean {
  const has = (cell: Cell): boolean => (Array.isArray(cell) ? cell.some(has) : typeof cell === 'number');
  return (series.history.get(name)?.last ?? []).some(has);
}

/** Copy `fresh` into `old` in place (arrays and records, recursively), keeping `old`'s objects. */
function refill(old: unknown, fresh: unknown): void {
  if (Array.isArray(old) && Array.isArray(fresh)) {
    old.length = fresh.length;
    for (let i = 0; i < fresh.length; i++) {
      if (typeof old[i] === 'object' && old[i] !== null && typeof fresh[i] === 'object' && fresh[i] !== null) {
        refill(old[i], fresh[i]);
      } else {
        old[i] = fresh[i];
      }
    }
  } else if (typeof old === 'object' && old !== null && typeof fresh === 'object' && fresh !== null) {
    const target = old as Record<string, unknown>;
    const source = fresh as Record<string, unknown>;
    for (const key of Object.keys(target)) if (!(key in source)) delete target[key];
    for (const [key, value] of Object.entries(source)) {
      if (key in target && typeof target[key] === 'object' && target[key] !== null && typeof value === 'object') {
        refill(target[key], value);
      } else {
        target[key] = value;
      }
    }
  }
}

/** The index of the last layer with a value in a per-layer cell, -1 if none. */
function lastMeasuredLayer(cell: Cell | undefined): number {
  if (!Array.isArray(cell)) return -1;
  for (let i = cell.length - 1; i >= 0; i--) if (typeof cell[i] === 'number') return i;
  return -1;
}

export function createSeries(layers: readonly Pick<Layer, 'name'>[]): Series {
  return new Series(layers);
}

/** A frame's figures by metric name (everything but the frame's own header). */
export function figures(frame: Frame): Record<string, Cell> {
  const out: Record<string, Cell> = {};
  for (const [key, value] of Object.entries(frame)) {
    if (!HEADER.has(key) && value !== undefined) out[key] = value as Cell;
  }
  return out;
}

/**
 * Append one live frame. Frames whose seq is not newer than the last one taken (duplicates, stale
 * frames after a reconnect) are ignored; a figure is added at most once per step.
 * Returns whether the series changed.
 */
export function appendFrame(series: Series, frame: Frame): boolean {
  if (frame.seq <= series.lastSeq) return false;
  if (series.latest && frame.step < series.latest.step) return false; // backwards: a stale frame
  if (series.lastSeq >= 0 && frame.seq > series.lastSeq + 1) series.skipped += frame.seq - series.lastSeq - 1;
  series.lastSeq = frame.seq;
  series.history.add(frame.step, figures(frame));
  // read-outs show every figure as last measured: a light frame's over the newest detail frame's
  series.latest = frame.detail || !series.latest ? frame : { ...series.latest, ...frame, detail: false };
  if (frame.dense) series.detail = frame;
  return true;
}

/** The series of a hello: its history, and its newest detail frame as the latest state. */
export function seriesFromHello(layers: readonly Pick<Layer, 'name'>[], history: HistoryWire, latest: Frame | null): Series {
  const series = new Series(layers, History.fromWire(history));
  series.latest = latest;
  series.detail = latest?.dense ? latest : null;
  return series;
}

/** Number of points in the series (the length of its x array). */
export function pointCount(series: Series): number {
  return series.step.length;
}

/** uPlot data for the loss chart: [x, train loss, test loss]. */
export function lossData(series: Series): [number[], (number | null)[], (number | null)[]] {
  return [series.step, series.trainLoss, series.testLoss];
}

/** uPlot data for the gradient chart: [x, layer 0, layer 1, ...]. */
export function gradData(series: Series): [number[], ...(number | null)[][]] {
  return [series.step, ...series.gradNorm];
}

export type { Metric };
