import { describe, expect, it } from 'vitest';
import type { Choice } from './api';
import { DEFAULTS } from './fixtures';
import type { Column, InputInfo } from './graph';
import type { LayerMaps } from './graphmaps';
import { choiceName, graphText, settingsLabel, type GraphFrame, type GraphTextInput } from './graphtext';
import { setOverride } from './graph';
import strings from '../i18n/network';

const choice = (name: string, label: string, tags: Record<string, unknown> = {}): Choice => ({
  name,
  label,
  label_zh: label,
  description: '',
  description_zh: '',
  params: [],
  tags,
});

const OPTIONS = {
  activations: [choice('tanh', 'Tanh'), choice('relu', 'ReLU')],
  norms: [choice('none', 'None'), choice('batch', 'Batch norm')],
  rnn_cells: [choice('lstm', 'LSTM', { activation: 'tanh' })],
  features: [choice('x1', 'X₁'), choice('x1_sq', 'X₁²')],
};
const PLANE: InputInfo = { input: 'plane', task: 'binary', features: ['x1', 'x1_sq'], classes: 2 };

const COLUMNS: Column[] = [
  { kind: 'input', layer: null, hidden: null, units: 2, narrow: true, names: ['x1', 'x1_sq'] },
  { kind: 'hidden', layer: 0, hidden: 0, units: 2, narrow: true, activation: 'relu', norm: 'batch', residual: true },
  { kind: 'hidden', layer: 1, hidden: 1, units: 64, narrow: false, activation: 'tanh', norm: 'none' },
  { kind: 'output', layer: 2, hidden: null, units: 1, narrow: true },
];

function text(over: Partial<GraphTextInput> = {}) {
  return graphText({
    s: strings.en,
    options: OPTIONS,
    info: PLANE,
    columns: COLUMNS,
    compact: false,
    detail: null,
    units: new Map(),
    output: null,
    ...over,
  });
}

describe('captions and counts', () => {
  it('name the columns: input, layers (short when compact), blocks by their kind, output', () => {
    const t = text();
    expect(COLUMNS.map((c, i) => t.caption(c, i))).toEqual(['Input', 'Layer 1', 'Layer 2', 'Output']);
    expect(text({ compact: true }).caption(COLUMNS[2], 2)).toBe('L2');
    const conv: Column = { kind: 'block', layer: 0, hidden: null, units: 8, narrow: false, label: 'conv' };
    const lstm: Column = { ...conv, label: 'lstm' };
    expect(t.caption(conv, 1)).toBe('Conv 1');
    expect(t.caption(lstm, 1)).toBe('LSTM');
    expect(t.count(conv)).toBe('8 channels');
  });

  it('count features, units and the kind of input', () => {
    const t = text();
    expect(COLUMNS.map((c) => t.count(c))).toEqual(['2 features', '2 units', '64 units', '1 unit']);
    expect(text({ compact: true }).count(COLUMNS[2])).toBe('64');
    const block: Column = { kind: 'input', layer: null, hidden: null, units: 0, narrow: false };
    expect(text({ info: { ...PLANE, input: 'image', imageSize: '8×8' } }).count(block)).toBe('8×8 image');
    expect(text({ info: { ...PLANE, input: 'sequence', features: ['a', 'b'] } }).count(block)).toBe(
      '2 per step',
    );
    expect(t.count({ ...COLUMNS[3], units: 0 })).toBe('');
  });

  it('label features and activations from /api/options, unknown names as they are', () => {
    const t = text();
    expect(t.feature('x1_sq')).toBe('X₁²');
    expect(t.feature('other')).toBe('other');
    expect(t.activation('relu')).toBe('ReLU');
    expect(t.activation(null)).toBe('');
    expect(choiceName(OPTIONS.norms, undefined)).toBe('');
  });
});

describe('read-outs and tooltips', () => {
  const detail: GraphFrame = {
    act_mean: [0.5, 0.25, 0],
    act_std: [1, 0.5, 0],
    dead_fraction: [0.5, 0.125, null],
    saturation: [null, 0.9, null],
    hist_range: [
      [0, 1],
      [-2, 3],
    ],
    dense: { hist: { shape: [2, 4], lo: 0, hi: 1, data: new Float32Array(8) } },
  };
  const units = new Map<number, LayerMaps>([
    [
      0,
      {
        data: new Float32Array(0),
        scale: 4,
        ranges: [
          [0, 0],
          [-1, 4],
        ],
      },
    ],
  ]);

  it("give a block's dead and saturated shares where there are figures", () => {
    const t = text({ detail });
    expect(t.readouts(1)).toEqual(['dead 13%', 'sat. 90%']);
    expect(t.readouts(2)).toEqual([]);
    expect(t.readouts(null)).toEqual([]);
    expect(text().readouts(1)).toEqual([]);
  });

  it("describe a unit: its layer, settings, map range (a dead map says so) and the layer's figures", () => {
    const t = text({ detail, units });
    expect(t.tip(1, 0)).toEqual([
      'Layer 1, unit 1 · ReLU',
      'normalization: Batch norm',
      'with a skip connection',
      expect.stringContaining('from 0 to 0'),
      'It outputs 0 everywhere on the plane (a dead unit?).',
      'Layer outputs: mean 0.5, std 1',
      'dead units: 50%',
    ]);
    expect(t.tip(1, 1)[3]).toContain('from -1 to 4; colours are scaled per layer (±4)');
  });

  it("describe a block with its histogram's range, the inputs and the output", () => {
    const t = text({ detail, units, output: { grid: detail.dense!.hist!, scale: 0.5, center: 0.5 } });
    expect(t.tip(2, -1)).toEqual([
      'Layer 2: 64 units · Tanh',
      'Histogram: share of the layer’s outputs from -2 to 3 (probe batch).',
      'Layer outputs: mean 0.25, std 0.5',
      'dead units: 13%',
      'saturated outputs: 90%',
    ]);
    expect(t.tip(0, 1)).toEqual(['Input feature X₁²', strings.en.tipInputMap]);
    expect(t.tip(3, 0)).toEqual(['Output unit 1', strings.en.tipOutputMap]);
    expect(text().tip(3, 0)).toEqual(['Output unit 1']);
    const block = { kind: 'input', layer: null, hidden: null, units: 0, narrow: false } as Column;
    expect(text({ columns: [block], info: { ...PLANE, input: 'image' } }).tip(0, -1)).toEqual(['image']);
  });

  it("follow the language of the string table they are given", () => {
    expect(text({ s: strings.zh }).caption(COLUMNS[0], 0)).toBe(strings.zh.input);
  });
});

describe("a layer's settings button", () => {
  it('shows its activation, then BN / LN and +x where set', () => {
    const c = structuredClone(DEFAULTS);
    expect(settingsLabel(c, 0, OPTIONS.activations)).toBe('Tanh');
    setOverride(c, 1, 'activation', 'relu');
    setOverride(c, 1, 'norm', 'batch');
    setOverride(c, 1, 'residual', true);
    expect(settingsLabel(c, 1, OPTIONS.activations)).toBe('ReLU · BN · +x');
    c.model.norm = 'layer';
    expect(settingsLabel(c, 0, OPTIONS.activations)).toBe('Tanh · LN');
  });
});
