// The network graph's pure logic: which columns the model has (from the draft config or from a run's
// layers), where their nodes go, which weighted edges to draw, and the edits the graph's buttons make
// to the draft config (within the server's limits). The maps inside the nodes are in graphmaps.ts.

import type { Choice, ExperimentConfig, ModelConfig, Options } from './api';
import { diverging } from './colors';
import type { Dense } from './dense';
import type { DataInfo, Layer } from './protocol';
import { fieldInfo } from './schema';

/** Layers this wide or narrower are drawn unit by unit; wider ones as one block. */
export const NARROW_UNITS = 16;
/** At most this many weighted edges between two columns (the largest |weight| first). */
export const MAX_PAIR_EDGES = 64;
/** Width of a hidden layer the "+ layer" button adds when there is none to copy. */
export const NEW_LAYER_WIDTH = 4;
/** The plotting window assumed before a run reports its own (the 2-D datasets live on [-1, 1]^2). */
export const DEFAULT_EXTENT: [number, number, number, number] = [-1.2, 1.2, -1.2, 1.2];

export type ColumnKind = 'input' | 'block' | 'hidden' | 'output';

export interface Column {
  kind: ColumnKind;
  /** Index in the run's layers (for weights, maps, histograms); null for the input and for a draft. */
  layer: number | null;
  /** Index in config.model.hidden (the per-layer override index) for hidden dense columns, else null. */
  hidden: number | null;
  /** Units (outputs) of the column; 0 when unknown. */
  units: number;
  /** Drawn unit by unit (else as one block). */
  narrow: boolean;
  /** Input: feature names, one per node, when drawn unit by unit. */
  names?: string[];
  /** What the block is: 'conv', 'lstm', 'image', 'sequence', ... (blocks and the input). */
  label?: string;
  activation?: string | null;
  norm?: string;
  residual?: boolean;
}

type LayerOverride = NonNullable<ModelConfig['layers']>[number];
export type OverrideKey = 'activation' | 'norm' | 'residual';

/** What the graph needs to know about the data: from the run (hello.data) or the dataset's tags. */
export interface InputInfo {
  /** plane | curve | image | sequence | table | ... */
  input: string;
  /** binary | multiclass | regression | ... */
  task: string;
  features: string[] | null;
  /** Classes of a multiclass task, 0 when unknown. */
  classes: number;
  /** "8×8" for images, when known. */
  imageSize?: string;
}

export function inputInfoFromData(data: DataInfo): InputInfo {
  const image = data.images?.x?.[0];
  return {
    input: data.input,
    task: data.task,
    features: data.features,
    classes: data.classes,
    ...(image ? { imageSize: `${image.length}×${image[0]?.length ?? 0}` } : {}),
  };
}

function inputColumn(info: InputInfo): Column {
  const names = info.features ?? [];
  const drawUnits = (info.input === 'plane' || info.input === 'curve' || info.input === 'table') && names.length > 0;
  if (drawUnits && names.length <= NARROW_UNITS) {
    return { kind: 'input', layer: null, hidden: null, units: names.length, narrow: true, names };
  }
  return { kind: 'input', layer: null, hidden: null, units: names.length, narrow: false, label: info.input };
}

function outputUnits(info: InputInfo): number {
  if (info.task === 'binary' || info.task === 'regression') return 1;
  return info.task === 'multiclass' ? info.classes : 0;
}

/** The effective setting `key` of hidden layer `index`: its override, else the model's global one. */
export function effective(model: ModelConfig, index: number, key: OverrideKey): string | boolean {
  const o = model.layers?.find((l) => l.index === index);
  const v = o?.[key];
  return v !== null && v !== undefined ? v : model[key];
}

/** What a run's hidden column `col` used for its activation where the draft now has another, else null. */
export function runActivation(col: Column, model: ModelConfig): string | null {
  if (col.hidden === null) return null;
  const drafted = effective(model, col.hidden, 'activation');
  return col.activation && col.activation !== drafted ? col.activation : null;
}

/** A recurrent cell's choice as /api/options serves it: its tags name the activation of its state. */
export type CellChoice = Pick<Choice, 'name' | 'tags'>;

/** The activation of recurrent cell `cell`, from its registry tag; null when the cell or the tag is unknown. */
export function cellActivation(cells: readonly CellChoice[], cell: string | null | undefined): string | null {
  const tag = cells.find((c) => c.name === cell)?.tags?.activation;
  return typeof tag === 'string' ? tag : null;
}

/** The columns of the network the draft config describes (before it has run); `cells` is options.rnn_cells. */
export function draftColumns(config: ExperimentConfig, info: InputInfo, cells: readonly CellChoice[]): Column[] {
  const m = config.model;
  const cols: Column[] = [inputColumn(info)];
  const block = (units: number, label: string, settings: Partial<Column>): Column => ({
    kind: 'block',
    layer: null,
    hidden: null,
    units,
    narrow: false,
    label,
    ...settings,
  });
  if (m.kind === 'cnn') {
    const settings = { activation: m.activation, norm: m.norm, residual: m.residual };
    for (const c of m.channels ?? []) cols.push(block(c, 'conv', settings));
  } else if (m.kind === 'rnn') {
    const activation = cellActivation(cells, m.cell);
    for (let i = 0; i < m.rnn_layers; i++) cols.push(block(m.rnn_hidden, m.cell, { activation }));
  }
  m.hidden.forEach((units, i) => {
    cols.push({
      kind: 'hidden',
      layer: null,
      hidden: i,
      units,
      narrow: units <= NARROW_UNITS,
      activation: effective(m, i, 'activation') as string,
      norm: effective(m, i, 'norm') as string,
      residual: effective(m, i, 'residual') as boolean,
    });
  });
  const out = outputUnits(info);
  cols.push({ kind: 'output', layer: null, hidden: null, units: out, narrow: out > 0 && out <= NARROW_UNITS });
  return cols;
}

/** The columns of a run, from hello.layers (the last layer is the output layer). */
export function runColumns(layers: readonly Layer[], info: InputInfo): Column[] {
  const cols: Column[] = [inputColumn(info)];
  const firstDense = layers.findIndex((l, i) => l.kind === 'linear' || i === layers.length - 1);
  layers.forEach((l, i) => {
    const last = i === layers.length - 1;
    const dense = l.kind === 'linear';
    const kind: ColumnKind = last ? 'output' : dense ? 'hidden' : 'block';
    cols.push({
      kind,
      layer: i,
      hidden: kind === 'hidden' ? i - firstDense : null,
      units: l.fan_out,
      narrow: dense && l.fan_out <= NARROW_UNITS,
      ...(kind === 'block' ? { label: l.kind } : {}),
      ...(kind !== 'output' ? { activation: l.activation, norm: l.norm ?? 'none', residual: l.residual ?? false } : {}),
    });
  });
  // the first dense layer of an MLP reads the features
  if (cols[0].narrow && layers[0] && layers[0].fan_in !== cols[0].units) cols[0] = { ...cols[0], narrow: false };
  return cols;
}

/** Whether two configs build networks of the same shape (so a run's layers can stand for the draft). */
export function sameStructure(a: ExperimentConfig, b: ExperimentConfig): boolean {
  const ma = a.model;
  const mb = b.model;
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  if (ma.kind !== mb.kind || !same(ma.hidden, mb.hidden) || a.dataset.name !== b.dataset.name) return false;
  if (!same(a.dataset.features, b.dataset.features)) return false;
  if (ma.kind === 'cnn') return same(ma.channels, mb.channels);
  if (ma.kind === 'rnn') {
    return ma.rnn_layers === mb.rnn_layers && ma.rnn_hidden === mb.rnn_hidden && ma.cell === mb.cell;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Layout

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PlacedColumn {
  column: Column;
  /** Centre x. */
  x: number;
  /** Narrow columns: one square per unit (top-left corners); blocks: none. */
  nodes: Box[];
  /** Blocks: the block's rectangle; narrow columns: the span of their nodes. */
  box: Box;
}

export interface Layout {
  width: number;
  height: number;
  columns: PlacedColumn[];
  /** Side of a unit's square. */
  node: number;
  /** Distance between two column centres. */
  spacing: number;
}

export interface Area {
  width: number;
  height: number;
  /** Space kept free above and below the nodes (for the controls) and left of the input (for labels). */
  top: number;
  bottom: number;
  left: number;
  right: number;
  /** Narrowest gap between two column centres; the graph gets wider than `width` rather than narrower. */
  minSpacing: number;
}

/** Positions of every column, node and block in a `width` x `height` drawing. */
export function layoutGraph(columns: readonly Column[], f: Area): Layout {
  const n = columns.length;
  const spacing = Math.max(f.minSpacing, n > 1 ? (f.width - f.left - f.right) / (n - 1) : 0);
  const width = Math.max(f.width, f.left + f.right + spacing * (n - 1));
  const avail = Math.max(40, f.height - f.top - f.bottom);
  const mid = f.top + avail / 2;
  const tallest = Math.max(1, ...columns.filter((c) => c.narrow).map((c) => c.units));
  const gap = 4;
  const node = Math.max(8, Math.min(30, spacing * 0.62, (avail - gap * (tallest - 1)) / tallest));
  const blockW = Math.max(20, Math.min(72, spacing - 12));
  const placed = columns.map((column, i): PlacedColumn => {
    const x = f.left + spacing * i;
    if (column.narrow) {
      const span = column.units * node + (column.units - 1) * gap;
      const y0 = mid - span / 2;
      const nodes = Array.from({ length: column.units }, (_, u) => ({
        x: x - node / 2,
        y: y0 + u * (node + gap),
        w: node,
        h: node,
      }));
      return { column, x, nodes, box: { x: x - node / 2, y: y0, w: node, h: span } };
    }
    // a block's height grows with the log of its width, so wider layers look bigger
    const t = column.units > 1 ? Math.min(1, Math.log2(column.units) / 10) : 0;
    const h = Math.max(56, Math.min(avail, avail * (0.4 + 0.6 * t)));
    // the first and last blocks must not spill over the drawing's edges
    const w = i === 0 ? Math.min(blockW, 2 * (f.left - 2)) : i === n - 1 ? Math.min(blockW, 2 * (f.right - 2)) : blockW;
    return { column, x, nodes: [], box: { x: x - w / 2, y: mid - h / 2, w, h } };
  });
  return { width, height: f.height, columns: placed, node, spacing };
}

// ---------------------------------------------------------------------------------------------
// Edges

export interface Edge {
  /** Input unit (column of the weight matrix). */
  from: number;
  /** Output unit (row). */
  to: number;
  w: number;
}

/** The weighted edges to draw from a (fan_out x fan_in) matrix: all, or the `max` largest by |w|. */
export function selectEdges(weights: Dense, max = MAX_PAIR_EDGES): Edge[] {
  const [rows, cols] = weights.shape;
  const edges: Edge[] = [];
  for (let o = 0; o < rows; o++) {
    for (let i = 0; i < cols; i++) {
      const w = weights.data[o * cols + i];
      if (Number.isFinite(w)) edges.push({ from: i, to: o, w });
    }
  }
  if (edges.length <= max) return edges;
  return edges.sort((a, b) => Math.abs(b.w) - Math.abs(a.w)).slice(0, max);
}

/** Stroke widths of the edge classes: |w| is put in the class whose bound it does not exceed. */
export const EDGE_BOUNDS = [0.1, 0.25, 0.5, 1, 2, Infinity];
export const EDGE_WIDTHS = [0.4, 0.8, 1.3, 2, 3, 4.2];

export function edgeClass(w: number): number {
  const a = Math.abs(w);
  return EDGE_BOUNDS.findIndex((b) => a <= b);
}

export interface EdgePath {
  /** SVG path data: one "M x y L x y" segment per edge. */
  d: string;
  width: number;
  color: [number, number, number];
  count: number;
}

/**
 * Edges grouped by sign and width class into a few paths (a handful of SVG nodes however many edges):
 * colour by sign (blue positive, orange negative, stronger for larger |w|), width by |w|.
 */
export function edgePaths(edges: readonly Edge[], from: readonly Box[], to: readonly Box[]): EdgePath[] {
  const groups = new Map<number, { parts: string[]; k: number; sign: number }>();
  for (const e of edges) {
    const a = from[e.from];
    const b = to[e.to];
    if (!a || !b) continue;
    const k = edgeClass(e.w);
    const sign = e.w < 0 ? -1 : 1;
    const key = sign * (k + 1);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { parts: [], k, sign }));
    g.parts.push(segment(a, b));
  }
  return [...groups.values()]
    .sort((p, q) => p.k - q.k)
    .map((g) => ({
      d: g.parts.join(''),
      width: EDGE_WIDTHS[g.k],
      color: diverging(g.sign * (0.35 + 0.65 * ((g.k + 1) / EDGE_WIDTHS.length))),
      count: g.parts.length,
    }));
}

/** Grey edges between every pair of units of two narrow columns, as one path. */
export function plainEdges(from: readonly Box[], to: readonly Box[]): string {
  const parts: string[] = [];
  for (const a of from) for (const b of to) parts.push(segment(a, b));
  return parts.join('');
}

/** What joins two consecutive columns: weighted edges, grey edges (no weights), or a band (a block's side). */
export interface Link {
  weighted: EdgePath[];
  /** SVG path data of grey edges, or ''. */
  plain: string;
  /** SVG path data of a band, or ''. */
  band: string;
}

/**
 * The links between consecutive columns: a band where either side is a block, the weights of the
 * second column's layer where `weights` has a matrix of the right shape, else grey edges.
 */
export function graphLinks(layout: Layout, weights: Readonly<Record<number, Dense>> | undefined): Link[] {
  return layout.columns.slice(1).map((b, i) => {
    const a = layout.columns[i];
    if (!a.column.narrow || !b.column.narrow) return { weighted: [], plain: '', band: bandPath(a.box, b.box) };
    const w = b.column.layer !== null ? weights?.[b.column.layer] : undefined;
    if (w && w.shape[0] === b.nodes.length && w.shape[1] === a.nodes.length) {
      return { weighted: edgePaths(selectEdges(w), a.nodes, b.nodes), plain: '', band: '' };
    }
    return { weighted: [], plain: plainEdges(a.nodes, b.nodes), band: '' };
  });
}

/** How many weighted edges the links draw. */
export function weightedEdgeCount(links: readonly Link[]): number {
  return links.reduce((a, l) => a + l.weighted.reduce((k, p) => k + p.count, 0), 0);
}

/** A translucent band from the span of one column to the next (to or from a block). */
export function bandPath(a: Box, b: Box): string {
  const ax = r1(a.x + a.w);
  const bx = r1(b.x);
  return `M${ax} ${r1(a.y)}L${bx} ${r1(b.y)}L${bx} ${r1(b.y + b.h)}L${ax} ${r1(a.y + a.h)}Z`;
}

/** A line from the right edge of node `a` to the left edge of node `b`, at their middles. */
function segment(a: Box, b: Box): string {
  return `M${r1(a.x + a.w)} ${r1(a.y + a.h / 2)}L${r1(b.x)} ${r1(b.y + b.h / 2)}`;
}

function r1(v: number): number {
  return Math.round(v * 10) / 10;
}

// ---------------------------------------------------------------------------------------------
// Editing the draft

/** /api/options' limits, read by key so that a server without one leaves that bound open. */
export type Limits = Options['limits'] | Readonly<Record<string, number>>;

function limit(limits: Limits | undefined, key: string): number | undefined {
  const v = (limits as Readonly<Record<string, unknown>> | undefined)?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** How many hidden layers, and how wide, the server accepts: its limits and the config schema. */
export function hiddenBounds(limits: Limits | undefined): { maxLayers: number; minWidth: number; maxWidth: number } {
  const info = fieldInfo('model.hidden');
  const lim = (a: number | undefined, b: number | undefined) => Math.min(a ?? Infinity, b ?? Infinity);
  return {
    maxLayers: lim(limit(limits, 'max_hidden_layers'), info?.maxItems),
    minWidth: Math.max(1, info?.itemMin ?? 1, limit(limits, 'min_width') ?? 1),
    maxWidth: lim(limit(limits, 'max_width'), info?.itemMax),
  };
}

export function canAddLayer(config: ExperimentConfig, limits: Limits | undefined): boolean {
  return config.model.hidden.length < hiddenBounds(limits).maxLayers;
}

export function canRemoveLayer(config: ExperimentConfig, limits: Limits | undefined): boolean {
  return config.model.hidden.length > (limit(limits, 'min_hidden_layers') ?? 0);
}

/** Append a hidden layer as wide as the last one (or NEW_LAYER_WIDTH); false at the limit. */
export function addLayer(config: ExperimentConfig, limits: Limits | undefined): boolean {
  if (!canAddLayer(config, limits)) return false;
  const h = config.model.hidden;
  const b = hiddenBounds(limits);
  h.push(Math.max(b.minWidth, Math.min(b.maxWidth, h.length ? h[h.length - 1] : NEW_LAYER_WIDTH)));
  return true;
}

/** Remove the last hidden layer and its overrides; false when there is none to remove. */
export function removeLayer(config: ExperimentConfig, limits: Limits | undefined): boolean {
  if (!canRemoveLayer(config, limits)) return false;
  config.model.hidden.pop();
  const n = config.model.hidden.length;
  const layers = config.model.layers;
  if (layers?.some((l) => l.index >= n)) config.model.layers = layers.filter((l) => l.index < n);
  return true;
}

export function canAddUnit(config: ExperimentConfig, index: number, limits: Limits | undefined): boolean {
  const w = config.model.hidden[index];
  return w !== undefined && w < hiddenBounds(limits).maxWidth;
}

export function canRemoveUnit(config: ExperimentConfig, index: number, limits: Limits | undefined): boolean {
  const w = config.model.hidden[index];
  return w !== undefined && w > hiddenBounds(limits).minWidth;
}

/** Change the width of hidden layer `index` by `delta` units within the limits; false when it cannot. */
export function changeUnits(
  config: ExperimentConfig,
  index: number,
  delta: 1 | -1,
  limits: Limits | undefined,
): boolean {
  if (delta > 0 ? !canAddUnit(config, index, limits) : !canRemoveUnit(config, index, limits)) return false;
  config.model.hidden[index] += delta;
  return true;
}

/** The override of hidden layer `index` for `key`, or null (the global setting applies). */
export function getOverride(config: ExperimentConfig, index: number, key: OverrideKey): string | boolean | null {
  return config.model.layers?.find((l) => l.index === index)?.[key] ?? null;
}

/**
 * Set (or with null, clear) hidden layer `index`'s override of `key`. An entry whose settings are all
 * null is removed, so a layer back on the global settings leaves no trace in the config.
 */
export function setOverride(
  config: ExperimentConfig,
  index: number,
  key: OverrideKey,
  value: string | boolean | null,
): void {
  const m = config.model;
  if (!m.layers) m.layers = [];
  let entry = m.layers.find((l) => l.index === index);
  if (!entry) {
    if (value === null) return;
    m.layers.push({ index });
    m.layers.sort((a, b) => a.index - b.index);
    entry = m.layers.find((l) => l.index === index)!;
  }
  (entry as Record<OverrideKey, string | boolean | null>)[key] = value;
  const empty = (l: LayerOverride) => (['activation', 'norm', 'residual'] as const).every((k) => l[k] == null);
  if (empty(entry)) m.layers = m.layers.filter((l) => l.index !== index);
}
