import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from './api';
import { decodeDense, encodeDense } from './dense';
import { DEFAULTS } from './fixtures';
import {
  addLayer,
  cellActivation,
  changeUnits,
  draftColumns,
  edgeClass,
  edgePaths,
  effective,
  getOverride,
  graphLinks,
  hiddenBounds,
  layoutGraph,
  MAX_PAIR_EDGES,
  NARROW_UNITS,
  plainEdges,
  removeLayer,
  runActivation,
  runColumns,
  sameStructure,
  selectEdges,
  setOverride,
  weightedEdgeCount,
  type CellChoice,
  type InputInfo,
} from './graph';
import type { Layer } from './protocol';

const PLANE: InputInfo = { input: 'plane', task: 'binary', features: ['x1', 'x2'], classes: 2 };
const SEQUENCE: InputInfo = { input: 'sequence', task: 'regression', features: ['value', 'marker'], classes: 0 };
/** options.rnn_cells as the server tags them (registry.RNN_CELLS). */
const CELLS: CellChoice[] = [
  { name: 'rnn_tanh', tags: { activation: 'tanh' } },
  { name: 'rnn_relu', tags: { activation: 'relu' } },
  { name: 'lstm', tags: { activation: 'tanh' } },
  { name: 'gru', tags: { activation: 'tanh' } },
];
const LIMITS = { max_hidden_layers: 3, max_width: 10 };

function config(): ExperimentConfig {
  return structuredClone(DEFAULTS);
}

const AREA = { width: 400, height: 300, top: 50, bottom: 30, left: 50, right: 20, minSpacing: 30 };

describe('columns', () => {
  it('draws the draft MLP: features, one column per hidden layer, one output', () => {
    const c = config();
    c.model.hidden = [4, 64];
    setOverride(c, 1, 'activation', 'relu');
    const cols = draftColumns(c, PLANE, CELLS);
    expect(cols.map((k) => k.kind)).toEqual(['input', 'hidden', 'hidden', 'output']);
    expect(cols[0]).toMatchObject({ narrow: true, names: ['x1', 'x2'], units: 2 });
    expect(cols[1]).toMatchObject({ hidden: 0, units: 4, narrow: true, activation: 'tanh' });
    expect(cols[2]).toMatchObject({ hidden: 1, units: 64, narrow: false, activation: 'relu' });
    expect(cols[3]).toMatchObject({ units: 1, narrow: true });
  });

  it('draws CNN and RNN drafts with their conv / recurrent blocks before the dense layers', () => {
    const c = config();
    c.model.kind = 'cnn';
    c.model.channels = [8, 16];
    c.model.hidden = [32];
    const cols = draftColumns(c, { input: 'image', task: 'multiclass', features: null, classes: 10 }, CELLS);
    expect(cols.map((k) => [k.kind, k.units, k.label ?? null])).toEqual([
      ['input', 0, 'image'],
      ['block', 8, 'conv'],
      ['block', 16, 'conv'],
      ['hidden', 32, null],
      ['output', 10, null],
    ]);
    c.model.kind = 'rnn';
    c.model.rnn_layers = 2;
    const rnn = draftColumns(c, SEQUENCE, CELLS);
    expect(rnn.map((k) => k.label ?? k.kind)).toEqual(['sequence', 'lstm', 'lstm', 'hidden', 'output']);
  });

  it("gives a recurrent block the activation its cell's registry tag names", () => {
    const c = config();
    c.model.kind = 'rnn';
    c.model.rnn_layers = 2;
    const recurrent = (cells: CellChoice[]) =>
      draftColumns(c, SEQUENCE, cells)
        .filter((k) => k.kind === 'block')
        .map((k) => k.activation);
    c.model.cell = 'rnn_relu';
    expect(recurrent(CELLS)).toEqual(['relu', 'relu']);
    c.model.cell = 'gru';
    expect(recurrent(CELLS)).toEqual(['tanh', 'tanh']);
    // the tag, not the cell's name, decides; an untagged or unknown cell has no activation to show
    expect(recurrent([{ name: 'gru', tags: { activation: 'sigmoid' } }])).toEqual(['sigmoid', 'sigmoid']);
    expect(recurrent([{ name: 'gru', tags: {} }])).toEqual([null, null]);
    expect(cellActivation(CELLS, 'rnn_tanh')).toBe('tanh');
    expect(cellActivation(CELLS, 'nope')).toBeNull();
    expect(cellActivation(CELLS, null)).toBeNull();
  });

  it("flags a run's activation only where the draft now has another", () => {
    const c = config();
    const cols = draftColumns(c, PLANE, CELLS);
    expect(runActivation(cols[1], c.model)).toBeNull(); // the same as the draft
    expect(runActivation({ ...cols[1], activation: 'relu' }, c.model)).toBe('relu');
    setOverride(c, 0, 'activation', 'relu');
    expect(runActivation({ ...cols[1], activation: 'relu' }, c.model)).toBeNull();
    expect(runActivation(cols[0], c.model)).toBeNull(); // not a hidden column
  });

  it("maps a run's layers to columns; hidden indices count from the first dense layer", () => {
    const layers: Layer[] = [
      { index: 0, name: 'conv 1', kind: 'conv', fan_in: 1, fan_out: 8, activation: 'relu', norm: 'batch', residual: false },
      { index: 1, name: 'hidden 2', kind: 'linear', fan_in: 128, fan_out: 12, activation: 'relu', norm: 'none', residual: false },
      { index: 2, name: 'output', kind: 'linear', fan_in: 12, fan_out: 10, activation: 'none', norm: 'none', residual: false },
    ];
    const cols = runColumns(layers, { input: 'image', task: 'multiclass', features: null, classes: 10 });
    expect(cols.map((k) => [k.kind, k.layer, k.hidden, k.narrow])).toEqual([
      ['input', null, null, false],
      ['block', 0, null, false],
      ['hidden', 1, 0, true],
      ['output', 2, null, true],
    ]);
    expect(cols[1]).toMatchObject({ label: 'conv', norm: 'batch' });
  });

  it('compares structure, not settings', () => {
    const a = config();
    const b = config();
    b.model.activation = 'relu';
    setOverride(b, 0, 'norm', 'batch');
    expect(sameStructure(a, b)).toBe(true);
    b.model.hidden = [8, 8, 8];
    expect(sameStructure(a, b)).toBe(false);
    const d = config();
    d.dataset.features = ['x1', 'x2', 'x1x2'];
    expect(sameStructure(a, d)).toBe(false);
  });
});

describe('layout', () => {
  it('centres narrow columns, draws wide ones as blocks, stays inside the area', () => {
    const c = config();
    c.model.hidden = [NARROW_UNITS, 64];
    const l = layoutGraph(draftColumns(c, PLANE, CELLS), AREA);
    expect(l.width).toBe(400);
    expect(l.columns.map((p) => p.nodes.length)).toEqual([2, NARROW_UNITS, 0, 1]);
    const narrow = l.columns[1];
    expect(narrow.box.y).toBeGreaterThanOrEqual(AREA.top - 0.01);
    expect(narrow.box.y + narrow.box.h).toBeLessThanOrEqual(AREA.height - AREA.bottom + 0.01);
    expect(l.columns[2].box.h).toBeGreaterThan(50);
    expect(l.columns[0].x).toBe(AREA.left);
    expect(l.columns[3].x).toBe(AREA.width - AREA.right);
  });

  it('gets wider than the area rather than squeezing deep nets', () => {
    const c = config();
    c.model.hidden = Array(20).fill(64);
    const l = layoutGraph(draftColumns(c, PLANE, CELLS), AREA);
    expect(l.width).toBe(AREA.left + AREA.right + 21 * AREA.minSpacing);
  });
});

describe('edges', () => {
  const w = decodeDense(encodeDense([2, 3], [0.5, -1, 0.05, 2, -0.3, 0]));

  it('keeps every edge of a small matrix, the largest |w| of a big one', () => {
    expect(selectEdges(w)).toHaveLength(6);
    const top = selectEdges(w, 2);
    expect(top.map((e) => [e.to, e.from])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    const big = decodeDense(encodeDense([16, 16], Array.from({ length: 256 }, (_, i) => i - 128)));
    expect(selectEdges(big)).toHaveLength(MAX_PAIR_EDGES);
  });

  it('groups edges by sign and width class into few paths', () => {
    const box = (y: number) => ({ x: 0, y, w: 10, h: 10 });
    const paths = edgePaths(selectEdges(w), [box(0), box(20), box(40)], [box(0), box(20)]);
    expect(paths.reduce((a, p) => a + p.count, 0)).toBe(6);
    const strongest = paths[paths.length - 1];
    expect(strongest.color[2]).toBeGreaterThan(strongest.color[0]); // 2.0 is positive: blue
    expect(paths.every((p) => p.d.startsWith('M'))).toBe(true);
    expect(edgeClass(0.05)).toBeLessThan(edgeClass(-1));
    expect(plainEdges([box(0), box(20)], [box(0)]).match(/M/g)).toHaveLength(2);
  });

  it("links columns by the layer's weights, grey edges without them, bands to and from blocks", () => {
    const c = config();
    c.model.hidden = [3, 64];
    // the run's layers: hidden 1 (3 units), hidden 2 (64 units, a block), output
    const cols = draftColumns(c, PLANE, CELLS).map((k, i) => ({ ...k, layer: i === 0 ? null : i - 1 }));
    const l = layoutGraph(cols, AREA);
    const weights = { 0: decodeDense(encodeDense([3, 2], [0.5, -1, 0.05, 2, -0.3, 0])) };
    const links = graphLinks(l, weights);
    expect(links.map((k) => [k.weighted.length > 0, k.plain !== '', k.band !== ''])).toEqual([
      [true, false, false], // input -> hidden 1: weighted
      [false, false, true], // hidden 1 -> the block
      [false, false, true], // the block -> output
    ]);
    expect(weightedEdgeCount(links)).toBe(6);
    // without weights (or with a matrix of another shape) the same pair is joined by grey edges
    const grey = graphLinks(l, { 0: decodeDense(encodeDense([2, 2], [1, 1, 1, 1])) });
    expect(grey[0].plain.match(/M/g)).toHaveLength(6);
    expect(weightedEdgeCount(grey)).toBe(0);
    expect(graphLinks(l, { 0: decodeDense(encodeDense([3, 3], Array(9).fill(1))) })[0].weighted).toEqual([]);
    expect(graphLinks(l, undefined)[0].weighted).toEqual([]);
  });
});

describe('editing the draft', () => {
  it('adds and removes layers within the limits, dropping the overrides of a removed one', () => {
    const c = config();
    expect(addLayer(c, LIMITS)).toBe(true);
    expect(c.model.hidden).toEqual([8, 8, 8]);
    expect(addLayer(c, LIMITS)).toBe(false);
    setOverride(c, 2, 'activation', 'relu');
    expect(removeLayer(c, LIMITS)).toBe(true);
    expect(c.model.layers).toEqual([]);
    removeLayer(c, LIMITS);
    removeLayer(c, LIMITS);
    expect(removeLayer(c, LIMITS)).toBe(false);
    expect(addLayer(c, LIMITS)).toBe(true);
    expect(c.model.hidden).toEqual([4]);
  });

  it('changes units within [1, max_width]', () => {
    const c = config();
    c.model.hidden = [9, 1];
    expect(changeUnits(c, 0, 1, LIMITS)).toBe(true);
    expect(changeUnits(c, 0, 1, LIMITS)).toBe(false);
    expect(changeUnits(c, 1, -1, LIMITS)).toBe(false);
    expect(changeUnits(c, 5, 1, LIMITS)).toBe(false);
    expect(c.model.hidden).toEqual([10, 1]);
    expect(hiddenBounds(undefined).maxWidth).toBe(1024); // the schema's own bound
  });

  it('sets and clears overrides; an entry with nothing left is removed', () => {
    const c = config();
    setOverride(c, 1, 'activation', 'relu');
    setOverride(c, 0, 'residual', true);
    expect(c.model.layers).toEqual([
      { index: 0, residual: true },
      { index: 1, activation: 'relu' },
    ]);
    expect(getOverride(c, 1, 'activation')).toBe('relu');
    expect(effective(c.model, 1, 'activation')).toBe('relu');
    expect(effective(c.model, 0, 'activation')).toBe('tanh');
    setOverride(c, 1, 'norm', 'layer');
    setOverride(c, 1, 'activation', null);
    expect(c.model.layers).toEqual([
      { index: 0, residual: true },
      { index: 1, activation: null, norm: 'layer' },
    ]);
    setOverride(c, 1, 'norm', null);
    setOverride(c, 0, 'residual', null);
    expect(c.model.layers).toEqual([]);
    setOverride(c, 3, 'norm', null);
    expect(c.model.layers).toEqual([]);
  });
});
