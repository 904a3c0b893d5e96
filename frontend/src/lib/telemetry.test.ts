import { describe, expect, it } from 'vitest';
import { frame, LAYERS } from './fixtures';
import type { InsightEvent } from './protocol';
import { appendFrame, createSeries } from './series';
import {
  axisPos,
  bandData,
  bandSpecs,
  deadLevel,
  defaultBandLayers,
  diversityLevel,
  eventKey,
  eventExplanation,
  eventMessage,
  hasAccuracy,
  kindLabel,
  logDecades,
  logPos,
  markerGroups,
  markerX,
  newestFirst,
  pathologyRows,
  pow10Label,
  profileValues,
  saturationLevel,
  shortName,
  spread,
  toggleLayer,
  updateLevel,
  withAlpha,
} from './telemetry';

const ev = (kind: string, step: number, layer_index: number | null = null): InsightEvent => ({
  kind,
  step,
  layer: layer_index === null ? null : `hidden ${layer_index + 1}`,
  layer_index,
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

describe('pathology meters', () => {
  it('classify against the detectors thresholds and keep "not applicable" apart from 0', () => {
    expect(deadLevel(null)).toBe('na');
    expect(deadLevel(0)).toBe('ok');
    expect(deadLevel(0.3)).toBe('warn');
    expect(deadLevel(0.71)).toBe('bad');
    expect(saturationLevel(undefined)).toBe('na');
    expect(saturationLevel(0.1)).toBe('ok');
    expect(saturationLevel(0.6)).toBe('bad');
    expect(diversityLevel(0)).toBe('bad');
    expect(diversityLevel(0.01)).toBe('warn');
    expect(diversityLevel(1.3)).toBe('ok');
    expect(diversityLevel(null)).toBe('na');
  });

  it('grade the update ratio around the healthy -3', () => {
    expect(updateLevel(-3)).toBe('ok');
    expect(updateLevel(-0.5)).toBe('bad');
    expect(updateLevel(-1.5)).toBe('warn');
    expect(updateLevel(-5.5)).toBe('low');
    expect(updateLevel(null)).toBe('na');
    expect(updateLevel(-Infinity)).toBe('low');
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
    expect(rows[0]).toEqual({ layer: 0, name: 'a', dead: 0.25, saturation: null, diversity: 0, update: -3.1 });
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
