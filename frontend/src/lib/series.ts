// The chart data of one run, kept in plain arrays (not reactive state) so that appending a frame
// costs O(1) and the charts can hand the very same arrays to uPlot once per animation frame.

import type { Frame, Layer, Metric } from './protocol';

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
  /** gradNorm[layer][point]: L2 norm of that layer's weight gradient; null where not positive (log scale). */
  gradNorm: (number | null)[][];
  /** The newest frame taken, for the numeric read-outs. */
  latest: Frame | null;
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
    gradNorm: layers.map(() => []),
    latest: null,
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
  for (let i = 0; i < series.gradNorm.length; i++) {
    series.gradNorm[i].push(positive(frame.grad_norm[i]));
  }
  series.latest = frame;
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
