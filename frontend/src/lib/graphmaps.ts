// The small maps painted inside the network graph's nodes, in one canvas over the SVG: each input
// feature over the plane, each narrow hidden unit's output over the plane (the probe's unit maps), the
// network's output over the plane (the decision boundary), and an example image for an image task.

import { diverging } from './colors';
import type { Dense, DenseFrame } from './dense';
import type { Box, Column, Layout } from './graph';
import type { ScratchCanvases } from './scratch';

/** Unit maps are MAP_SIZE x MAP_SIZE samples of the plane (as the probe measures them). */
export const MAP_SIZE = 12;


const FEATURES: Record<string, (x1: number, x2: number) => number> = {
  x1: (x1) => x1,
  x2: (_, x2) => x2,
  x1_sq: (x1) => x1 * x1,
  x2_sq: (_, x2) => x2 * x2,
  x1x2: (x1, x2) => x1 * x2,
  sin_x1: (x1) => Math.sin(Math.PI * x1),
  sin_x2: (_, x2) => Math.sin(Math.PI * x2),
};

/**
 * A feature over an n x n grid of the plane `extent`, rows from the lowest x2 (as the probe's maps);
 * null for an unknown feature.
 */
export function featureMap(name: string, extent: readonly number[], n = MAP_SIZE): Float32Array | null {
  const f = FEATURES[name];
  if (!f) return null;
  const [x1min, x1max, x2min, x2max] = extent;
  const out = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    const x2 = x2min + ((x2max - x2min) * r) / (n - 1);
    for (let c = 0; c < n; c++) out[r * n + c] = f(x1min + ((x1max - x1min) * c) / (n - 1), x2);
  }
  return out;
}

/** The largest |value| of `data[offset .. offset + size)`, or 0. */
export function maxAbs(data: ArrayLike<number>, offset = 0, size = data.length - offset): number {
  let m = 0;
  for (let i = offset; i < offset + size; i++) {
    const a = Math.abs(data[i]);
    if (a > m) m = a;
  }
  return m;
}

/**
 * Paint an n x n map (rows from the lowest x2) into RGBA `out`, flipped so the highest x2 is on top:
 * value / scale on the diverging scale (blue positive, orange negative). `center` is subtracted first.
 */
export function paintMap(
  data: ArrayLike<number>,
  offset: number,
  n: number,
  scale: number,
  out: Uint8ClampedArray,
  center = 0,
): void {
  const s = scale > 0 ? scale : 1;
  for (let r = 0; r < n; r++) {
    const row = n - 1 - r;
    for (let c = 0; c < n; c++) {
      const [R, G, B] = diverging((data[offset + row * n + c] - center) / s);
      const p = (r * n + c) * 4;
      out[p] = R;
      out[p + 1] = G;
      out[p + 2] = B;
      out[p + 3] = 255;
    }
  }
}

/** Grey pixels of `data` (0 black, 1 white) into RGBA `out`, rows as they come (an image, top row first). */
export function paintGray(data: ArrayLike<number>, out: Uint8ClampedArray): void {
  for (let i = 0; i < data.length; i++) {
    const v = 255 * data[i];
    out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = v;
    out[i * 4 + 3] = 255;
  }
}

// ---------------------------------------------------------------------------------------------
// What each node shows

/** Each input feature of a column drawn unit by unit over the plane `extent` (null for an unknown feature). */
export function inputFeatureMaps(input: Column, extent: readonly number[], n = MAP_SIZE): (Float32Array | null)[] {
  return input.names ? input.names.map((name) => featureMap(name, extent, n)) : [];
}

/** One layer's unit maps: the values (unit after unit), the layer's colour scale and each unit's [min, max]. */
export interface LayerMaps {
  data: Float32Array;
  scale: number;
  ranges: [number, number][];
}

/** The unit maps of every narrow column whose array has its shape (units x n x n), by layer index. */
export function layerMaps(
  columns: readonly Column[],
  maps: DenseFrame['unit_maps'],
  n = MAP_SIZE,
): Map<number, LayerMaps> {
  const out = new Map<number, LayerMaps>();
  if (!maps) return out;
  const size = n * n;
  for (const col of columns) {
    const d = col.layer !== null && col.narrow ? maps[col.layer] : undefined;
    if (!d || d.shape.length !== 3 || d.shape[0] !== col.units || d.shape[1] !== n) continue;
    const ranges: [number, number][] = [];
    for (let u = 0; u < col.units; u++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = u * size; i < (u + 1) * size; i++) {
        lo = Math.min(lo, d.data[i]);
        hi = Math.max(hi, d.data[i]);
      }
      ranges.push([lo, hi]);
    }
    out.set(col.layer!, { data: d.data, scale: Math.max(Math.abs(d.lo), Math.abs(d.hi)), ranges });
  }
  return out;
}

/** The network's output over the plane and its colour scale: P(class 1) around 0.5, else symmetric around 0. */
export interface OutputMap {
  grid: Dense;
  scale: number;
  center: number;
}

/** The output map of a single-output column, from a square grid; null for anything else. */
export function outputMap(grid: Dense | undefined, output: Column, task: string): OutputMap | null {
  if (!grid || output.units !== 1 || grid.shape.length !== 2 || grid.shape[0] !== grid.shape[1]) return null;
  const binary = task === 'binary';
  return { grid, scale: binary ? 0.5 : Math.max(Math.abs(grid.lo), Math.abs(grid.hi)), center: binary ? 0.5 : 0 };
}

/** A square image (rows of values in [0, 1]) as n and its flat values; null when it is missing or not square. */
export function exampleImage(
  rows: readonly (readonly number[])[] | undefined,
): { n: number; data: Float32Array } | null {
  const n = rows?.length ?? 0;
  if (!rows || n === 0 || rows[0].length !== n) return null;
  return { n, data: Float32Array.from(rows.flat()) };
}

/** One map and where it goes: inside node `unit` of column `column` (unit -1: the input block's image). */
export interface Tile {
  key: string;
  column: number;
  unit: number;
  box: Box;
  /** The map is n x n. */
  n: number;
  data: ArrayLike<number>;
  /** Where the map starts in `data`. */
  offset: number;
  scale: number;
  center: number;
  /** An image in grey rather than a map on the diverging scale. */
  gray?: boolean;
}

export interface TileSources {
  /** Per input node (inputFeatureMaps); empty when the input is not the plane. */
  inputs: readonly (Float32Array | null)[];
  units: ReadonlyMap<number, LayerMaps>;
  output: OutputMap | null;
  image: { n: number; data: Float32Array } | null;
}

/** Every map to paint, each placed in its node (the example image fills the middle of the input block). */
export function graphTiles(layout: Layout, src: TileSources): Tile[] {
  const out: Tile[] = [];
  layout.columns.forEach((p, ci) => {
    const col = p.column;
    const tile = (unit: number, box: Box, t: Omit<Tile, 'key' | 'column' | 'unit' | 'box'>): Tile => ({
      key: `${ci}:${unit}`,
      column: ci,
      unit,
      box,
      ...t,
    });
    p.nodes.forEach((box, u) => {
      if (col.kind === 'input') {
        const m = src.inputs[u];
        if (m) out.push(tile(u, box, { n: MAP_SIZE, data: m, offset: 0, scale: maxAbs(m), center: 0 }));
      } else if (col.kind === 'output') {
        const g = src.output;
        const n = g?.grid.shape[0] ?? 0;
        if (g) out.push(tile(u, box, { n, data: g.grid.data, offset: 0, scale: g.scale, center: g.center }));
      } else {
        const m = col.layer !== null ? src.units.get(col.layer) : undefined;
        const size = MAP_SIZE * MAP_SIZE;
        if (m) out.push(tile(u, box, { n: MAP_SIZE, data: m.data, offset: u * size, scale: m.scale, center: 0 }));
      }
    });
    if (col.kind === 'input' && !col.narrow && src.image) {
      const side = p.box.w - 6;
      const box = { x: p.box.x + 3, y: p.box.y + p.box.h / 2 - side / 2, w: side, h: side };
      const { n, data } = src.image;
      out.push(tile(-1, box, { n, data, offset: 0, scale: 1, center: 0, gray: true }));
    }
  });
  return out;
}

/** How many of the tiles are hidden units' maps (what the e2e tests count). */
export function hiddenMapCount(tiles: readonly Tile[], layout: Layout): number {
  return tiles.filter((t) => {
    const kind = layout.columns[t.column].column.kind;
    return kind === 'hidden' || kind === 'block';
  }).length;
}

/** Paint every tile into `ctx` (in CSS pixels), each inside its node's 1 px border, which the SVG draws. */
export function paintTiles(ctx: CanvasRenderingContext2D, tiles: readonly Tile[], scratch: ScratchCanvases): void {
  for (const t of tiles) {
    const canvas = scratch.paint(t.n, (px) =>
      t.gray ? paintGray(t.data, px) : paintMap(t.data, t.offset, t.n, t.scale, px, t.center),
    );
    // maps are smoothed, an image keeps its pixels
    ctx.imageSmoothingEnabled = !t.gray;
    ctx.drawImage(canvas, t.box.x + 1, t.box.y + 1, t.box.w - 2, t.box.h - 2);
  }
}
