// The words of the network graph: column captions and unit counts, the labels of input features and
// of the layer buttons, the read-outs inside wide blocks (dead, saturated) and the tooltip's lines;
// from the panel's string table, /api/options' labels and the newest detail frame.

import type { Choice, ExperimentConfig, Options } from './api';
import { formatSig } from './format';
import { effective, type Column, type InputInfo } from './graph';
import type { LayerMaps, OutputMap } from './graphmaps';
import { fmt, labelIn } from './i18n.svelte';
import type { Frame } from './protocol';
import type { LayerHealth } from './telemetry';
import type strings from '../i18n/network';

/** The network panel's strings in one language. */
export type NetworkStrings = Record<keyof (typeof strings)['en'], string>;

/** The per-layer figures of a frame that the graph reads. */
export type GraphFrame = Pick<
  Frame,
  'act_mean' | 'act_std' | 'dead_fraction' | 'saturation' | 'hist_range' | 'dense' | 'health'
>;

export interface GraphTextInput {
  s: NetworkStrings;
  options: Pick<Options, 'activations' | 'norms' | 'rnn_cells' | 'features'>;
  info: InputInfo;
  columns: readonly Column[];
  /** Columns too close for long captions. */
  compact: boolean;
  /** The run's newest detail frame, when the run's layers are drawn. */
  detail: GraphFrame | null;
  /** The unit maps drawn, by layer (graphmaps.layerMaps). */
  units: ReadonlyMap<number, LayerMaps>;
  /** The output map drawn, if any. */
  output: OutputMap | null;
}

/** The label of choice `name` in `list`; '' for no name. */
export function choiceName(list: readonly Choice[], name: string | null | undefined): string {
  return name === null || name === undefined ? '' : labelIn(list, name);
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? null : `${Math.round(v * 100)}%`);

function stat(list: readonly (number | null)[] | undefined, layer: number | null): number | null {
  return layer === null ? null : (list?.[layer] ?? null);
}

export interface GraphText {
  /** The caption above column `ci`. */
  caption(col: Column, ci: number): string;
  /** The line under the caption: features, units, channels, the input's kind. */
  count(col: Column): string;
  /** An input feature's label. */
  feature(name: string): string;
  /** An activation's label. */
  activation(name: string | null | undefined): string;
  /** Dead and saturated shares of a block's outputs, where the activation has them. */
  readouts(layer: number | null): string[];
  /** The tooltip of node `unit` of column `ci` (unit -1: the whole block). */
  tip(ci: number, unit: number): string[];
  /** The server's verdict on a layer (the Layer health table's), or null where there is none. */
  health(layer: number | null): LayerHealth | null;
}

export function graphText(t: GraphTextInput): GraphText {
  const { s, options, info, columns, compact, detail: f } = t;
  const plane = info.input === 'plane';
  const hiddenNumber = (col: Column) => (col.hidden ?? 0) + 1;
  const unitsText = (n: number) => (compact ? String(n) : n === 1 ? s.oneUnit : fmt(s.units, { n }));
  const feature = (name: string) => choiceName(options.features, name);
  const activation = (name: string | null | undefined) => choiceName(options.activations, name);

  function caption(col: Column, i: number): string {
    if (col.kind === 'input') return s.input;
    if (col.kind === 'output') return s.output;
    if (col.kind === 'hidden') return fmt(compact ? s.layerShort : s.layerN, { n: hiddenNumber(col) });
    return col.label === 'conv' ? fmt(s.conv, { n: i }) : choiceName(options.rnn_cells, col.label);
  }

  function count(col: Column): string {
    if (col.kind === 'input') {
      if (col.names) return col.units === 1 ? s.oneFeature : fmt(s.features, { n: col.units });
      if (info.input === 'image') return info.imageSize ? fmt(s.imageInput, { size: info.imageSize }) : s.image;
      if (info.input === 'sequence') return info.features ? fmt(s.sequenceOf, { n: info.features.length }) : s.sequence;
      return col.units ? fmt(s.features, { n: col.units }) : info.input;
    }
    if (col.units === 0) return '';
    if (compact) return String(col.units);
    return col.label === 'conv' ? fmt(s.channels, { n: col.units }) : unitsText(col.units);
  }

  function readouts(layer: number | null): string[] {
    const dead = pct(stat(f?.dead_fraction, layer));
    const sat = pct(stat(f?.saturation, layer));
    return [...(dead ? [fmt(s.dead, { pct: dead })] : []), ...(sat ? [fmt(s.saturated, { pct: sat })] : [])];
  }

  function tip(ci: number, unit: number): string[] {
    const col = columns[ci];
    const layer = col.layer;
    if (col.kind === 'input') {
      const name = col.names?.[unit];
      if (!name) return [count(col)];
      return [fmt(s.tipInput, { name: feature(name) }), ...(plane ? [s.tipInputMap] : [])];
    }
    if (col.kind === 'output') {
      return [fmt(s.tipOutput, { unit: unit + 1 }), ...(t.output ? [s.tipOutputMap] : [])];
    }
    const act = activation(col.activation);
    const lines =
      unit >= 0
        ? [fmt(s.tipUnit, { layer: col.kind === 'hidden' ? hiddenNumber(col) : ci, unit: unit + 1, activation: act })]
        : [fmt(s.tipBlock, { name: caption(col, ci), units: col.units, activation: act })];
    if (col.norm && col.norm !== 'none') lines.push(fmt(s.tipNorm, { name: choiceName(options.norms, col.norm) }));
    if (col.residual) lines.push(s.tipResidual);
    const maps = layer !== null ? t.units.get(layer) : undefined;
    if (maps && unit >= 0) {
      const [lo, hi] = maps.ranges[unit];
      lines.push(fmt(s.tipMap, { lo: formatSig(lo, 2), hi: formatSig(hi, 2), scale: formatSig(maps.scale, 2) }));
      if (lo === 0 && hi === 0) lines.push(s.tipDeadMap);
    }
    const range = layer !== null ? f?.hist_range?.[layer] : undefined;
    if (unit < 0 && range && range.length === 2 && f?.dense?.hist) {
      lines.push(fmt(s.tipHist, { lo: formatSig(range[0], 2), hi: formatSig(range[1], 2) }));
    }
    const mean = stat(f?.act_mean, layer);
    if (mean !== null) {
      lines.push(fmt(s.tipLayerStats, { mean: formatSig(mean, 2), std: formatSig(stat(f?.act_std, layer), 2) }));
    }
    const dead = pct(stat(f?.dead_fraction, layer));
    if (dead) lines.push(fmt(s.tipDead, { pct: dead }));
    const sat = pct(stat(f?.saturation, layer));
    if (sat) lines.push(fmt(s.tipSaturated, { pct: sat }));
    return lines;
  }

  function health(layer: number | null): LayerHealth | null {
    return layer === null ? null : (f?.health?.[layer] ?? null);
  }

  return { caption, count, feature, activation, readouts, tip, health };
}

/** The label of hidden layer `index`'s settings button: its activation, then BN / LN and +x when set. */
export function settingsLabel(config: ExperimentConfig, index: number, activations: readonly Choice[]): string {
  const parts = [choiceName(activations, effective(config.model, index, 'activation') as string)];
  const norm = effective(config.model, index, 'norm');
  if (norm === 'batch') parts.push('BN');
  if (norm === 'layer') parts.push('LN');
  if (effective(config.model, index, 'residual')) parts.push('+x');
  return parts.join(' · ');
}
