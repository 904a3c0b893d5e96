import { describe, expect, it } from 'vitest';
import { frame, LAYERS } from './fixtures';
import { appendFrame, createSeries, GRAD_TIME_ROWS, MAX_POINTS, gradData, lossData, pointCount, seriesFromHistory } from './series';

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

  it('makes gaps of values a log axis cannot show, and of missing layers', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 0, { grad_norm: [0, -1, null] }));
    appendFrame(s, frame(1, 10, { grad_norm: [1e-12] }));
    expect(s.gradNorm).toEqual([
      [null, 1e-12],
      [null, null],
      [null, null],
    ]);
  });

  it('keeps null losses as gaps', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 0, { train_loss: null, test_loss: 0.5 }));
    expect(s.trainLoss).toEqual([null]);
    expect(s.testLoss).toEqual([0.5]);
  });
});

describe('seriesFromHistory (hello)', () => {
  it('replaces the series with the history', () => {
    const live = createSeries(LAYERS);
    appendFrame(live, frame(0, 0));
    appendFrame(live, frame(1, 20));
    appendFrame(live, frame(9, 180));
    // reconnect: the server's history is the truth (possibly decimated)
    const history = [frame(0, 0), frame(4, 80), frame(8, 160), frame(10, 200)];
    const s = seriesFromHistory(LAYERS, history);
    expect(s).not.toBe(live);
    expect(s.step).toEqual([0, 80, 160, 200]);
    expect(s.lastSeq).toBe(10);
    expect(s.gradNorm.map((g) => g.length)).toEqual([4, 4, 4]);
    // later live frames continue from the history
    expect(appendFrame(s, frame(10, 200))).toBe(false);
    expect(appendFrame(s, frame(11, 220))).toBe(true);
    expect(s.step.at(-1)).toBe(220);
  });

  it('follows the layers of the hello', () => {
    const s = seriesFromHistory(LAYERS.slice(0, 2), [frame(0, 0)]);
    expect(s.layerNames).toEqual(['hidden 1', 'hidden 2']);
    expect(s.gradNorm).toEqual([[0.1], [0.2]]);
  });

  it('skips duplicates inside the history', () => {
    const s = seriesFromHistory(LAYERS, [frame(0, 0), frame(0, 0), frame(1, 20)]);
    expect(s.step).toEqual([0, 20]);
  });
});

describe('chart data', () => {
  it('shares the series arrays with uPlot', () => {
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
    expect(x).toHaveLength(2);
  });
});

describe('detail figures', () => {
  it('are plotted only at the steps where they were measured, not where a frame repeats them', () => {
    const series = createSeries(LAYERS);
    appendFrame(series, { ...frame(0, 10), test_loss: 0.5, detail_step: 10 });
    appendFrame(series, { ...frame(1, 20), test_loss: 0.5, detail_step: 10 }); // repeated
    appendFrame(series, { ...frame(2, 30), test_loss: 0.4, detail_step: 30 });
    appendFrame(series, { ...frame(3, 40), test_loss: 0.3 }); // a stored history point: measured
    expect(series.testLoss).toEqual([0.5, null, 0.4, 0.3]);
    expect(series.trainLoss.every((v) => v !== null)).toBe(true); // the train loss is new in every frame
  });
});

describe('detail series', () => {
  it('keeps detail figures on their own axis, only where they were measured', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 10, { detail_step: 10, dead_fraction: [0.5, 0.25, null], update_ratio: [-3, -2, -1] }));
    appendFrame(s, frame(1, 20, { detail_step: 10, dead_fraction: [0.5, 0.25, null] }));
    appendFrame(s, frame(2, 30, { detail_step: 30, dead_fraction: [0.75, 0, null], grad_time: [0.1, 0.2] }));
    expect(s.step).toEqual([10, 20, 30]);
    expect(s.detailStep).toEqual([10, 30]);
    expect(s.dead[0]).toEqual([0.5, 0.75]);
    expect(s.dead[2]).toEqual([null, null]);
    expect(s.updateRatio[1]).toEqual([-2, null, null]);
    expect(s.gradTime).toEqual([[0.1, 0.2]]);
    expect(s.gradTimeStep).toEqual([30]);
  });

  it('aligns gate series that appear late with the detail axis', () => {
    const s = createSeries(LAYERS);
    appendFrame(s, frame(0, 10, { detail_step: 10 }));
    appendFrame(s, frame(1, 20, { detail_step: 20, gates: [{ forget: 0.2 }, { forget: 0.7, input: 0.4 }] }));
    expect(s.gates.forget).toEqual([null, 0.7]);
    expect(s.gates.input).toEqual([null, 0.4]);
  });

  it('caps the gradient-through-time rows', () => {
    const s = createSeries(LAYERS);
    for (let i = 0; i < GRAD_TIME_ROWS + 5; i++) appendFrame(s, frame(i, i + 1, { detail_step: i + 1, grad_time: [i] }));
    expect(s.gradTime.length).toBe(GRAD_TIME_ROWS);
    expect(s.gradTime[0]).toEqual([5]);
    expect(s.gradTimeStep[0]).toBe(6);
  });
});

describe('long runs', () => {
  it('halve their axes past MAX_POINTS, keeping the newest values, measured test figures and the shared arrays', () => {
    const s = createSeries(LAYERS);
    const stepArray = s.step;
    const total = MAX_POINTS * 3 + 1;
    for (let i = 0; i < total; i++) {
      const measured = i % 2 === 0;
      appendFrame(s, frame(i, i + 1, { detail_step: measured ? i + 1 : 1, test_loss: measured ? i : 0 }));
    }
    expect(s.step).toBe(stepArray); // charts keep the same array objects
    expect(s.step.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(s.step.length).toBeGreaterThan(MAX_POINTS / 2);
    expect(s.step[s.step.length - 1]).toBe(total);
    for (let i = 1; i < s.step.length; i++) expect(s.step[i]).toBeGreaterThan(s.step[i - 1]);
    for (const layer of s.gradNorm) expect(layer.length).toBe(s.step.length);
    expect(s.testLoss.length).toBe(s.step.length);
    expect(s.testLoss.filter((v) => v !== null).length).toBeGreaterThan(s.step.length / 8);
    expect(s.detailStep.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(s.dead[0].length).toBe(s.detailStep.length);
    expect(s.percentiles[0][4].length).toBe(s.detailStep.length);
  });
});
