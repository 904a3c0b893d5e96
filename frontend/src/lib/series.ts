// The chart data of one run, kept in plain arrays (not reactive state) so that appending a frame
// costs O(1) and the charts can hand the very same arrays to uPlot once per animation frame.
//
// Two time axes: `step` has a point per frame (loss, gradient norms, update ratios: measured every
// frame); `detailStep` has a point per detail frame (test figures, activation statistics, dead and
// saturated units: measured at most 10 times a second).

import type { Frame, Layer, Metric } from './protocol';

/** How many rows of ||dL/dh_t|| the series keeps for the gradient-through-time heatmap. */
export const GRAD_TIME_ROWS = 400;
/** Past this many points an axis is halved (pairs of neighbours merged), so a long run's charts stay
 * as fast to redraw as a short one's: the chart never holds more than this many points per series. */
export const MAX_POINTS = 4000;

export interface Series {
  /** Layer names, from hello.layers; one gradient line per layer. */
  layerNames: string[];
  /** seq of the newest frame taken, -1 before the first. */
  lastSeq: number;
  /** x axis: training step of each point, ascending. */
  step: number[];
  trainLoss: (number | null)[];
  testLoss: (number | null)[];
  trainAcc: (number | null)[];
  testAcc: (number | null)[];
  lr: (number | null)[];
  /** gradNorm[layer][point]: L2 norm of that layer's weight gradient; null where not positive (log scale). */
  gradNorm: (number | null)[][];
  /** actGradNorm[layer][point]: ||dL/d output||; null where not positive. */
  actGradNorm: (number | null)[][];
  /** updateRatio[layer][point]: log10 ||dW|| / ||W||. */
  updateRatio: (number | null)[][];
  /** x axis of the detail series: the step each detail figure was measured at, ascending. */
  detailStep: number[];
  /** percentiles[layer][k][detail point], k over PERCENTILES. */
  percentiles: (number | null)[][][];
  dead: (number | null)[][];
  saturation: (number | null)[][];
  diversity: (number | null)[][];
  /** ||dL/dh_t|| rows (RNNs), one per detail frame, the newest GRAD_TIME_ROWS; with their steps. */
  gradTime: (number | null)[][];
  gradTimeStep: number[];
  /** gates[name][detail point]: mean gate activation of the last recurrent layer (null before). */
  gates: Record<string, (number | null)[]>;
  /** The newest frame taken, for the numeric read-outs. */
  latest: Frame | null;
  /** The newest frame that carried dense arrays (grids, histograms, maps). */
  detail: Frame | null;
  /** Number of frames the server skipped (gaps in seq) since the series was (re)built. */
  skipped: number;
}

export function createSeries(layers: readonly Pick<Layer, 'name'>[]): Series {
  return {
    layerNames: layers.map((l) => l.name),
    lastSeq: -1,
    step: [],
    trainLoss: [],
    testLoss: [],
    trainAcc: [],
    testAcc: [],
    lr: [],
    gradNorm: layers.map(() => []),
    actGradNorm: layers.map(() => []),
    updateRatio: layers.map(() => []),
    detailStep: [],
    percentiles: layers.map(() => Array.from({ length: 9 }, () => [])),
    dead: layers.map(() => []),
    saturation: layers.map(() => []),
    diversity: layers.map(() => []),
    gradTime: [],
    gradTimeStep: [],
    gates: {},
    latest: null,
    detail: null,
    skipped: 0,
  };
}

function finite(v: Metric | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A log axis cannot show 0 or negatives: those become gaps. */
function positive(v: Metric | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null;
}

function pushLayers(target: (number | null)[][], values: Metric[] | undefined, map: (v: Metric | undefined) => number | null) {
  for (let i = 0; i < target.length; i++) target[i].push(map(values?.[i]));
}

function appendDetail(series: Series, frame: Frame): void {
  const n = series.detailStep.length;
  if (n > 0 && frame.step <= series.detailStep[n - 1]) return;
  series.detailStep.push(frame.step);
  for (let i = 0; i < series.percentiles.length; i++) {
    const row = frame.percentiles?.[i];
    for (let k = 0; k < 9; k++) series.percentiles[i][k].push(finite(row?.[k]));
  }
  pushLayers(series.dead, frame.dead_fraction, finite);
  pushLayers(series.saturation, frame.saturation, finite);
  pushLayers(series.diversity, frame.unit_diversity, finite);
  if (frame.grad_time && frame.grad_time.length) {
    series.gradTime.push(frame.grad_time.map(finite));
    series.gradTimeStep.push(frame.step);
    if (series.gradTime.length > GRAD_TIME_ROWS) {
      series.gradTime.shift();
      series.gradTimeStep.shift();
    }
  }
  const gates = frame.gates?.[frame.gates.length - 1];
  if (gates) {
    for (const [name, value] of Object.entries(gates)) {
      if (!(name in series.gates)) series.gates[name] = new Array(n).fill(null);
      series.gates[name].push(finite(value));
    }
  }
  for (const values of Object.values(series.gates)) if (values.length < n + 1) values.push(null);
}

/** Merge neighbours pairwise in place: the later point of each pair, or the earlier where the later is null. */
function halve(values: (number | null)[]): void {
  const n = Math.floor(values.length / 2);
  for (let i = 0; i < n; i++) values[i] = values[2 * i + 1] ?? values[2 * i];
  if (values.length % 2) values[n] = values[values.length - 1];
  values.length = Math.ceil(values.length / 2);
}

/** Halve the per-frame axis (and its series) in place; the arrays stay the ones the charts hold. */
function compactFrames(series: Series): void {
  for (const values of [series.step, series.trainLoss, series.testLoss, series.trainAcc, series.testAcc, series.lr]) {
    halve(values);
  }
  for (const layers of [series.gradNorm, series.actGradNorm, series.updateRatio]) layers.forEach(halve);
}

function compactDetail(series: Series): void {
  halve(series.detailStep);
  for (const layer of series.percentiles) layer.forEach(halve);
  for (const layers of [series.dead, series.saturation, series.diversity]) layers.forEach(halve);
  Object.values(series.gates).forEach(halve);
}

/**
 * Append one frame. Frames whose seq is not newer than the last one taken (duplicates, stale
 * frames after a reconnect) or whose step goes backwards are ignored.
 * Returns whether the series changed.
 */
export function appendFrame(series: Series, frame: Frame): boolean {
  if (frame.seq <= series.lastSeq) return false;
  const n = series.step.length;
  if (n > 0 && frame.step < series.step[n - 1]) return false;
  if (series.lastSeq >= 0 && frame.seq > series.lastSeq + 1) series.skipped += frame.seq - series.lastSeq - 1;
  series.lastSeq = frame.seq;
  series.step.push(frame.step);
  series.trainLoss.push(finite(frame.train_loss));
  // test figures only where they were measured; the frames between repeat them (the chart spans the gap)
  const measured = frame.detail_step === undefined || frame.detail_step === frame.step;
  series.testLoss.push(measured ? finite(frame.test_loss) : null);
  series.trainAcc.push(measured ? finite(frame.train_acc) : null);
  series.testAcc.push(measured ? finite(frame.test_acc) : null);
  series.lr.push(finite(frame.lr));
  pushLayers(series.gradNorm, frame.grad_norm, positive);
  pushLayers(series.actGradNorm, frame.act_grad_norm, positive);
  pushLayers(series.updateRatio, frame.update_ratio, finite);
  if (measured) appendDetail(series, frame);
  if (series.step.length > MAX_POINTS) compactFrames(series);
  if (series.detailStep.length > MAX_POINTS) compactDetail(series);
  series.latest = frame;
  if (frame.dense) series.detail = frame;
  return true;
}

/** A fresh series for `layers` filled from a hello's history (oldest first). */
export function seriesFromHistory(layers: readonly Pick<Layer, 'name'>[], frames: readonly Frame[]): Series {
  const series = createSeries(layers);
  for (const f of frames) appendFrame(series, f);
  return series;
}

/** Number of points in the series (the length of its x array). */
export function pointCount(series: Series): number {
  return series.step.length;
}

/** uPlot data for the loss chart: [x, train loss, test loss]. The arrays are shared, not copied. */
export function lossData(series: Series): [number[], (number | null)[], (number | null)[]] {
  return [series.step, series.trainLoss, series.testLoss];
}

/** uPlot data for the gradient chart: [x, layer 0, layer 1, ...]. The arrays are shared, not copied. */
export function gradData(series: Series): [number[], ...(number | null)[][]] {
  return [series.step, ...series.gradNorm];
}
