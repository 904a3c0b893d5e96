import { describe, expect, it } from 'vitest';
import { frame, historyOf, LAYERS } from './fixtures';
import { CAPACITY } from './history';
import { appendFrame, createSeries, GRAD_TIME_ROWS, gradData, hasValues, lossData, metricData, pointCount, seriesFromHello } from './series';

const light = (seq: number, step: number, over = {}) => frame(seq, step, { detail: false, ...over });

describe('createSeries', () => {
  it('starts empty with one gradient line per layer', () => {
    const s = createSeries(LAYERS);
    expect(s.layerNames).toEqual(['hidden 1', 'hidden 2', 'output']);
    expect(s.gradNorm).toEqual([[], [], []]);
    expect(s.step).toEqual([]);
    expect(s.lastSeq).toBe(-1);
    expect(s.latest).toBeNull();
    expect(pointCount(s)).toBe(0);
  });
});

describe('appendFrame', () => {
  it('builds x/y arrays in step order', () => {
    const s = createSeries(LAYERS);
    expect(appendFrame(s, frame(0, 0, { train_loss: 0.9, test_loss: 0.95, test_acc: 0.5 }))).toBe(true);
    expect(appendFrame(s, frame(1, 20, { train_loss: 0.5, test_loss: 0.6, test_acc: 0.75 }))).toBe(true);
    expect(appendFrame(s, frame(2, 40, { train_loss: 0.25, test_loss: 0.3, test_acc: 0.9 }))).toBe(true);
    expect(s.step).toEqual([0, 20, 40]);
    expect(s.trainLoss).toEqual([0.9, 0.5, 0.25]);
    expect(s.testLoss).toEqual([0.95, 0.6, 0.3]);
    expect(s.testAcc).toEqual([0.5, 0.75, 0.9]);
    expect(s.lastSeq).toBe(2);
    expect(s.latest?.step).toBe(40);
    expect(pointCount(s)).toBe(3);
  });

  it('ignores duplicate and stale seq', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 0));
    appendFrame(s, frame(1, 20));
    expect(appendFrame(s, frame(1, 20))).toBe(false);
    expect(appendFrame(s, frame(0, 0))).toBe(false);
    expect(appendFrame(s, frame(1, 60))).toBe(false);
    expect(s.step).toEqual([0, 20]);
    expect(s.gradNorm.map((g) => g.length)).toEqual([2, 2, 2]);
    expect(s.latest?.seq).toBe(1);
  });

  it('ignores a frame whose step goes backwards', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 100));
    expect(appendFrame(s, frame(1, 50))).toBe(false);
    expect(s.step).toEqual([100]);
  });

  it('accepts a gap in seq (the server skipped frames) and counts it', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 0));
    expect(appendFrame(s, frame(5, 100))).toBe(true);
    expect(s.step).toEqual([0, 100]);
    expect(s.skipped).toBe(4);
  });

  it('splits grad_norm into one array per layer', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 0, { grad_norm: [1, 2, 3] }));
    appendFrame(s, frame(1, 10, { grad_norm: [4, 5, 6] }));
    expect(s.gradNorm).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
  });

  it('makes gaps of values a log axis cannot show', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 0, { grad_norm: [0, -1, null] }));
    appendFrame(s, frame(1, 10, { grad_norm: [1e-12, 2, 3] }));
    expect(s.gradNorm).toEqual([
      [null, 1e-12],
      [null, 2],
      [null, 3],
    ]);
  });

  it('keeps null losses as gaps', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 0, { train_loss: null, test_loss: 0.5 }));
    expect(s.trainLoss).toEqual([null]);
    expect(s.testLoss).toEqual([0.5]);
  });

  it('shows each figure as last measured: a light frame over the newest detail frame', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 10, { test_loss: 0.4, train_loss: 0.5 }));
    appendFrame(s, light(1, 20, { train_loss: 0.3 }));
    expect(s.latest).toMatchObject({ step: 20, train_loss: 0.3, test_loss: 0.4, detail: false });
  });
});

describe('seriesFromHello', () => {
  it('takes the history and the newest detail frame, and live frames continue it', () => {
    const frames = [frame(0, 0), light(1, 20), frame(2, 40)];
    const s = seriesFromHello(LAYERS, historyOf(frames), frames[2]);
    expect(s.step).toEqual([0, 20, 40]);
    expect(s.testLoss).toEqual([frames[0].test_loss, null, frames[2].test_loss]);
    expect(s.latest).toBe(frames[2]);
    expect(appendFrame(s, frame(3, 40))).toBe(true); // a frame the hello already had: its figures are not doubled
    expect(s.step).toEqual([0, 20, 40]);
    expect(appendFrame(s, light(4, 60))).toBe(true);
    expect(s.step.at(-1)).toBe(60);
  });

  it('follows the layers of the hello', () => {
    const s = seriesFromHello(LAYERS.slice(0, 2), historyOf([frame(0, 0)]), null);
    expect(s.layerNames).toEqual(['hidden 1', 'hidden 2']);
    expect(s.gradNorm).toEqual([[0.1], [0.2]]);
  });
});

describe('chart data', () => {
  it('hands uPlot the series arrays, rebuilt only when the history changed', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 0));
    const [x, train, test] = lossData(s);
    expect(x).toBe(s.step);
    expect(train).toBe(s.trainLoss);
    expect(test).toBe(s.testLoss);
    const g = gradData(s);
    expect(g).toHaveLength(1 + LAYERS.length);
    expect(g[0]).toBe(s.step);
    expect(g[3]).toBe(s.gradNorm[2]);
    appendFrame(s, frame(1, 20));
    expect(lossData(s)[0]).toEqual([0, 20]);
  });
});

describe('detail figures', () => {
  it('are plotted only at the steps where they were measured', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 10, { test_loss: 0.5 }));
    appendFrame(s, light(1, 20));
    appendFrame(s, frame(2, 30, { test_loss: 0.4 }));
    expect(s.testLoss).toEqual([0.5, null, 0.4]);
    expect(s.trainLoss.every((v) => v !== null)).toBe(true); // the train loss is new in every frame
  });

  it('keep their own axis', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 10, { dead_fraction: [0.5, 0.25, null], update_ratio: [-3, -2, -1] }));
    appendFrame(s, light(1, 20, { update_ratio: [-3, -2.5, -1] }));
    appendFrame(s, frame(2, 30, { dead_fraction: [0.75, 0, null], grad_time: [0.1, 0.2] }));
    expect(s.step).toEqual([10, 20, 30]);
    expect(s.detailStep).toEqual([10, 30]);
    expect(s.dead[0]).toEqual([0.5, 0.75]);
    expect(s.dead[2]).toEqual([null, null]);
    expect(s.updateRatio[1]).toEqual([-2, -2.5, null]);
    expect(s.gradTime).toEqual([[0.1, 0.2]]);
    expect(s.gradTimeStep).toEqual([30]);
  });

  it('take the gates of the last recurrent layer, on the detail axis', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 10));
    appendFrame(s, frame(1, 20, { gate_forget: [0.2, 0.7, null], gate_input: [0.3, 0.4, null] }));
    expect(s.gates.forget).toEqual([null, 0.7]);
    expect(s.gates.input).toEqual([null, 0.4]);
  });

  it('cap the gradient-through-time rows', () => {
    const s = createSeries(LAYERS);
    for (let i = 0; i < GRAD_TIME_ROWS + 5; i++) appendFrame(s, frame(i, i + 1, { grad_time: [i] }));
    expect(s.gradTime.length).toBe(GRAD_TIME_ROWS);
    expect(s.gradTime[0]).toEqual([5]);
    expect(s.gradTimeStep[0]).toBe(6);
  });
});

describe('long runs', () => {
  it('stay within the history capacity, keeping the newest values and the measured test figures', () => {
    const s = createSeries(LAYERS);
    const total = CAPACITY * 3 + 1;
    for (let i = 0; i < total; i++) {
      appendFrame(s, i % 2 === 0 ? frame(i, i + 1, { test_loss: i }) : light(i, i + 1));
    }
    expect(s.step.length).toBeLessThanOrEqual(CAPACITY);
    expect(s.step.length).toBeGreaterThan(CAPACITY / 2);
    expect(s.step[s.step.length - 1]).toBe(total);
    for (let i = 1; i < s.step.length; i++) expect(s.step[i]).toBeGreaterThan(s.step[i - 1]);
    for (const layer of s.gradNorm) expect(layer.length).toBe(s.step.length);
    expect(s.testLoss.length).toBe(s.step.length);
    expect(s.testLoss.filter((v) => v !== null).length).toBeGreaterThan(s.step.length / 4);
    expect(s.testLoss.at(-1)).toBe(total - 1);
    expect(s.detailStep.length).toBeLessThanOrEqual(CAPACITY);
    expect(s.dead[0].length).toBe(s.detailStep.length);
  });
});

describe('metricData (the registry-driven chart)', () => {
  it('gives any series metric on its own steps: a column per layer, or one for a run metric', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 10, { update_norm: [0.1, 0.2, 0.3] } as object));
    appendFrame(s, light(1, 20, { update_norm: [0.4, null, 0.6] } as object));
    expect(metricData(s, 'update_norm')).toEqual([[10, 20], [0.1, 0.4], [0.2, null], [0.3, 0.6]]);
    expect(metricData(s, 'test_loss')).toEqual([[10], [frame(0, 10).test_loss]]);
    expect(metricData(s, 'nothing')).toEqual([[]]);
  });

  it('shows the chosen value of a layer metric with an inner axis (a percentile)', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 10, { percentiles: [[0, 1, 2], [3, 4, 5], [6, 7, 8]] }));
    expect(metricData(s, 'percentiles', 1)).toEqual([[10], [1], [4], [7]]);
    expect(metricData(s, 'percentiles', 2)).toEqual([[10], [2], [5], [8]]);
  });

  it('tells a metric with numbers from one that measured only nulls (dead units of a tanh net)', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 10, { dead_fraction: [null, null, null], saturation: [0.5, null, null] }));
    expect(hasValues(s, 'dead_fraction')).toBe(false);
    expect(hasValues(s, 'saturation')).toBe(true);
    expect(hasValues(s, 'nothing')).toBe(false);
  });
});

describe('the arrays a chart holds', () => {
  it('are the same objects after new frames, refilled in place', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 10));
    const [x, train, test] = lossData(s);
    const grads = s.gradNorm;
    const gates = s.gates;
    appendFrame(s, light(1, 20));
    appendFrame(s, frame(2, 30, { gate_forget: [0.5, null, null] }));
    s.refresh();
    expect(x).toEqual([10, 20, 30]);
    expect(train).toHaveLength(3);
    expect(test).toEqual([frame(0, 10).test_loss, null, frame(2, 30).test_loss]);
    expect(grads[0]).toHaveLength(3);
    expect(s.step).toBe(x);
    expect(s.gradNorm).toBe(grads);
    expect(s.gates).toBe(gates);
    expect(gates.forget).toEqual([null, 0.5]);
  });
});
