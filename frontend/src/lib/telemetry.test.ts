import { describe, expect, it } from 'vitest';
import { frame, LAYERS } from './fixtures';
import type { InsightEvent } from './protocol';
import { appendFrame, createSeries } from './series';
import {
  axisPos,
  bandData,
  bandSpecs,
  defaultBandLayers,
  eventKey,
  eventExplanation,
  eventMessage,
  eventLayers,
  hasAccuracy,
  healthFrame,
  insightGroups,
  kindLabel,
  layerLevel,
  logDecades,
  logPos,
  markerGroups,
  markerX,
  meterLevel,
  newestFirst,
  pathologyRows,
  pow10Label,
  profileValues,
  shortName,
  spread,
  toggleLayer,
  withAlpha,
  type LayerHealth,
} from './telemetry';

const ev = (kind: string, step: number, layer_index: number | null = null, layer_indices?: number[]): InsightEvent => ({
  kind,
  step,
  layer: layer_index === null ? null : `hidden ${layer_index + 1}`,
  layer_index,
  ...(layer_indices ? { layer_indices } : {}),
  message: `${kind} at ${step}`,
  message_zh: `${kind} 于 ${step}`,
  explanation: 'why',
  explanation_zh: '为什么',
});

describe('activation bands', () => {
  it('hand the series arrays to the chart without copying them', () => {
    const series = createSeries(LAYERS);
    const p = [-1, -0.8, -0.5, -0.2, 0, 0.2, 0.5, 0.8, 1];
    appendFrame(series, frame(0, 0, { percentiles: [p, p, p] }));
    const data = bandData(series, 1);
    expect(data).toHaveLength(10);
    expect(data[0]).toBe(series.detailStep);
    expect(data[5]).toBe(series.percentiles[1][4]);
    expect(data[5]).toEqual([0]);
  });

  it('fill with the layer colour made translucent', () => {
    expect(withAlpha('rgb(49, 104, 180)', 0.2)).toBe('rgba(49, 104, 180, 0.2)');
    expect(withAlpha('#4e79a7', 0.5)).toBe('rgba(78, 121, 167, 0.5)');
    expect(withAlpha('red', 0.5)).toBe('red');
  });

  it('nest 0-100, 7-93, 16-84 and 31-69, each bounded by its upper and lower percentile series', () => {
    // series k + 1 holds percentile k: 100 is series 9, 0 is series 1, 69 is series 6, 31 is series 4
    expect(bandSpecs('red', 9).map((b) => b.series)).toEqual([
      [9, 1],
      [8, 2],
      [7, 3],
      [6, 4],
    ]);
  });

  it('show the first, middle and last layer by default and cap the chosen set', () => {
    expect(defaultBandLayers(0)).toEqual([]);
    expect(defaultBandLayers(1)).toEqual([0]);
    expect(defaultBandLayers(2)).toEqual([0, 1]);
    expect(defaultBandLayers(11)).toEqual([0, 5, 10]);
    expect(toggleLayer([0, 5], 5, 4)).toEqual([0]);
    expect(toggleLayer([0, 5], 2, 4)).toEqual([0, 2, 5]);
    expect(toggleLayer([1, 2, 3, 4], 0, 4)).toEqual([0, 2, 3, 4]);
  });
});

const verdict = (over: Partial<LayerHealth> = {}): LayerHealth => ({
  level: 'ok',
  conditions: [],
  dead: 'na',
  saturation: 'ok',
  diversity: 'ok',
  update: 'ok',
  gradient: 'ok',
  grad_ratio: 1,
  ...over,
});

describe('pathology meters', () => {
  it('show the levels the server judged, and "not applicable" without a verdict', () => {
    // a starved first layer of a sigmoid net under Adam: a healthy-looking update, a vanishing gradient
    const starved = verdict({
      level: 'bad',
      conditions: ['vanishing_gradients'],
      update: 'warn',
      gradient: 'bad',
      grad_ratio: 2e-9,
    });
    const f = frame(3, 60, {
      saturation: [0.01, 0.02, null],
      update_ratio: [-3, -3, -3],
      health: [starved, verdict(), verdict({ gradient: 'na', grad_ratio: null, saturation: 'na' })],
    });
    const rows = pathologyRows(['a', 'b', 'c'], f);
    expect(layerLevel(rows[0].health)).toBe('bad');
    expect(meterLevel(rows[0], 'gradient')).toBe('bad');
    expect(meterLevel(rows[0], 'update')).toBe('warn');
    expect(rows[0].gradient).toBe(2e-9);
    expect(meterLevel(rows[1], 'saturation')).toBe('ok');
    expect(rows[2].gradient).toBeNull();
    // a frame recorded without verdicts: every meter not applicable, never a colour made up here
    const old = pathologyRows(['a', 'b', 'c'], frame(3, 60, { dead_fraction: [1, 1, null] }));
    expect(old.map((r) => meterLevel(r, 'dead'))).toEqual(['na', 'na', 'na']);
    expect(layerLevel(old[0].health)).toBe('na');
  });

  it('read the verdicts and the figures from the same detail frame', () => {
    const detail = frame(3, 60, { health: [verdict(), verdict(), verdict()] });
    const light = frame(4, 61, { detail: false });
    expect(healthFrame(light, detail)).toBe(detail);
    expect(healthFrame(light, null)).toBe(light);
    expect(healthFrame(light, frame(2, 50))).toBe(light);
  });

  it('place values on an axis', () => {
    expect(axisPos(-3, -6, 0)).toBe(0.5);
    expect(axisPos(-9, -6, 0)).toBe(0);
    expect(axisPos(2, -6, 0)).toBe(1);
    expect(axisPos(-Infinity, -6, 0)).toBe(0);
  });

  it('read one row per layer from the newest frame', () => {
    const f = frame(3, 60, {
      dead_fraction: [0.25, null, null],
      saturation: [null, 0.1, null],
      unit_diversity: [0, 1.2, null],
      update_ratio: [-3.1, -2.9, -4],
    });
    const rows = pathologyRows(['a', 'b', 'c'], f);
    expect(rows[0]).toEqual({
      layer: 0,
      name: 'a',
      dead: 0.25,
      saturation: null,
      diversity: 0,
      update: -3.1,
      gradient: null,
      health: null,
    });
    expect(rows[1].dead).toBeNull();
    expect(rows[2].update).toBe(-4);
    expect(pathologyRows(['a'], null)[0].dead).toBeNull();
    // weights that did not move at all (no gradient): no ratio, but not "not applicable"
    const still = frame(4, 80, { update_ratio: [null, null, null], weight_norm: [1.2, null, 0.5] });
    expect(pathologyRows(['a', 'b', 'c'], still).map((r) => r.update)).toEqual([-Infinity, null, -Infinity]);
  });
});

describe('gradient profile', () => {
  it('keeps one value per layer, null where a log axis cannot show it', () => {
    expect(profileValues([0.1, 0, null, 2], 4)).toEqual([0.1, null, null, 2]);
    expect(profileValues(undefined, 2)).toEqual([null, null]);
  });

  it('spans whole decades around the values', () => {
    expect(logDecades([0.003, 0.2, null])).toEqual([-3, 0]);
    expect(logDecades([1e-7, 10])).toEqual([-7, 1]);
    expect(logDecades([0.5])).toEqual([-2, 0]);
    expect(logDecades([])).toEqual([-2, 0]);
    expect(logPos(0.01, -3, 0)).toBeCloseTo(1 / 3);
    expect(spread([1e-4, null, 0.1])).toBeCloseTo(1e-3);
    expect(spread([1])).toBeNull();
  });

  it('labels decades and layers compactly', () => {
    expect([-12, -3, 0, 1, 2].map(pow10Label)).toEqual(['10⁻¹²', '10⁻³', '1', '10', '10²']);
    expect(['hidden 3', 'conv 12', 'output', 'lstm'].map(shortName)).toEqual(['h3', 'c12', 'out', 'lst']);
  });
});

describe('insight events', () => {
  it('group the events of one step into a marker coloured by the most severe', () => {
    const groups = markerGroups([ev('dead_units', 40, 0), ev('overfitting', 90), ev('diverged', 40)]);
    expect(groups.map((g) => g.step)).toEqual([40, 90]);
    expect(groups[0].kind).toBe('diverged');
    expect(groups[0].events).toHaveLength(2);
    expect(groups[1].kind).toBe('overfitting');
  });

  it('leave a live learning-rate change to its own line on the loss chart, not a marker', () => {
    const groups = markerGroups([ev('lr_changed', 40), ev('overfitting', 90), ev('lr_changed', 120)]);
    expect(groups.map((g) => [g.step, g.kind])).toEqual([[90, 'overfitting']]);
  });

  it('group the events by condition, one entry naming every layer, the most recent first', () => {
    const events = [
      ev('dead_units', 40, 0, [0, 1]),
      ev('vanishing_gradients', 30, 0, [0, 1, 2, 3]),
      ev('dead_units', 90, 2, [2]),
      ev('overfitting', 90),
      ev('saturation', 20, 1), // an event recorded before layer_indices existed
    ];
    const groups = insightGroups(events);
    expect(groups.map((g) => g.kind)).toEqual(['dead_units', 'overfitting', 'vanishing_gradients', 'saturation']);
    expect(groups[0].events.map((e) => e.step)).toEqual([90, 40]);
    expect(groups[0].layers).toEqual([0, 1, 2]);
    expect(groups[1].layers).toEqual([]);
    expect(groups[2].layers).toEqual([0, 1, 2, 3]);
    expect(groups[3].layers).toEqual([1]);
    expect(eventLayers(ev('saturation', 1, 2))).toEqual([2]);
    expect(eventLayers(ev('overfitting', 1))).toEqual([]);
    expect(insightGroups([])).toEqual([]);
  });

  it('list the newest first and key them stably', () => {
    const list = newestFirst([ev('a', 10), ev('b', 30), ev('c', 30), ev('d', 20)]);
    expect(list.map((e) => e.kind)).toEqual(['c', 'b', 'd', 'a']);
    expect(eventKey(ev('dead_units', 40, 2))).toBe('dead_units@40/2');
    expect(eventKey(ev('overfitting', 40))).toBe('overfitting@40/');
  });

  it('name a kind from the string table, and word an event in the language the server sent', () => {
    const table = { k_dead_units: '单元死亡' };
    expect(kindLabel(table, 'dead_units')).toBe('单元死亡');
    expect(kindLabel(table, 'new_kind')).toBe('new kind');
    const worded = { ...ev('dead_units', 1), message_zh: '消息', explanation_zh: '解释' };
    expect(eventMessage(worded, 'zh')).toBe('消息');
    expect(eventExplanation(worded, 'zh')).toBe('解释');
    expect(eventExplanation(worded, 'en')).toBe('why');
    expect(eventMessage(worded, 'en')).toBe(worded.message);
  });

  it('place a marker by its step on the x scale, and hide it outside', () => {
    expect(markerX(50, 0, 100, 400)).toBe(200);
    expect(markerX(150, 0, 100, 400)).toBeNull();
    expect(markerX(5, 5, 5, 400)).toBe(200);
    expect(markerX(5, null, 5, 400)).toBeNull();
  });

  it('show accuracy for classification only', () => {
    expect(hasAccuracy('binary', null)).toBe(true);
    expect(hasAccuracy('regression', frame(0, 0))).toBe(false);
    expect(hasAccuracy(null, frame(0, 0))).toBe(true);
    expect(hasAccuracy(null, frame(0, 0, { train_acc: null, test_acc: null }))).toBe(false);
    expect(hasAccuracy(undefined, null)).toBe(false);
  });
});
