import { describe, expect, it } from 'vitest';
import { diverging } from './colors';
import { decodeDense, encodeDense } from './dense';
import { fakeScratch, recordingContext } from './fakecanvas';
import { layoutGraph, type Column } from './graph';
import {
  exampleImage,
  featureMap,
  graphTiles,
  hiddenMapCount,
  inputFeatureMaps,
  layerMaps,
  MAP_SIZE,
  maxAbs,
  outputMap,
  paintGray,
  paintMap,
  paintTiles,
} from './graphmaps';
import { ScratchCanvases } from './scratch';

const AREA = { width: 400, height: 300, top: 50, bottom: 30, left: 50, right: 20, minSpacing: 30 };
const SIZE = MAP_SIZE * MAP_SIZE;

/** The columns of a run on the plane: x1, x2 -> 2 units -> 3 units -> 1 output. */
function columns(): Column[] {
  return [
    { kind: 'input', layer: null, hidden: null, units: 2, narrow: true, names: ['x1', 'x2'] },
    { kind: 'hidden', layer: 0, hidden: 0, units: 2, narrow: true },
    { kind: 'hidden', layer: 1, hidden: 1, units: 3, narrow: true },
    { kind: 'output', layer: 2, hidden: null, units: 1, narrow: true },
  ];
}

/** Unit maps of `units` units whose unit u is the constant u + 1 (unit 0 dead when `dead`). */
function unitMaps(units: number, dead = false) {
  const values = Array.from({ length: units * SIZE }, (_, i) => (dead && i < SIZE ? 0 : Math.floor(i / SIZE) + 1));
  return decodeDense(encodeDense([units, MAP_SIZE, MAP_SIZE], values));
}

describe('input feature maps', () => {
  it('computes features over the plane with rows from the lowest x2', () => {
    const m = featureMap('x2', [-1, 1, -2, 2], 3)!;
    expect([...m]).toEqual([-2, -2, -2, 0, 0, 0, 2, 2, 2]);
    expect(featureMap('x1x2', [-1, 1, -1, 1], 2)![0]).toBe(1);
    expect(featureMap('sin_x1', [-0.5, 0.5, 0, 1], 2)![1]).toBeCloseTo(1);
    expect(featureMap('nope', [-1, 1, -1, 1])).toBeNull();
  });

  it("maps each of an input column's features, and nothing for an input drawn as a block", () => {
    const maps = inputFeatureMaps(columns()[0], [-1, 1, -1, 1]);
    expect(maps).toHaveLength(2);
    expect(maps[0]).toHaveLength(SIZE);
    expect(maps[0]![SIZE - 1]).toBe(1); // x1 at the right edge
    expect(inputFeatureMaps({ ...columns()[0], names: undefined }, [-1, 1, -1, 1])).toEqual([]);
  });
});

describe('painting', () => {
  it('paints the highest x2 row on top, positive blue and negative orange', () => {
    const out = new Uint8ClampedArray(2 * 2 * 4);
    paintMap([-1, -1, 1, 1], 0, 2, 1, out);
    expect(out[2]).toBeGreaterThan(out[0]); // top row: +1, blue
    expect(out[8]).toBeGreaterThan(out[10]); // bottom row: -1, orange
  });

  it('reads a map at its offset, scaled and centred', () => {
    const out = new Uint8ClampedArray(4);
    paintMap([9, 9, 0.75], 2, 1, 0.5, out, 0.5); // (0.75 - 0.5) / 0.5 = 0.5
    expect([...out.slice(0, 3)]).toEqual([...Uint8ClampedArray.from(diverging(0.5))]);
    expect(maxAbs([1, -3, 2], 1, 1)).toBe(3);
    expect(maxAbs([])).toBe(0);
  });

  it('paints an image in grey, white for 1', () => {
    const out = new Uint8ClampedArray(8);
    paintGray([1, 0], out);
    expect([...out]).toEqual([255, 255, 255, 255, 0, 0, 0, 255]);
  });
});

describe('what each node shows', () => {
  it("keeps each narrow layer's maps with its scale and each unit's range; skips other shapes", () => {
    const maps = layerMaps(columns(), { 0: unitMaps(2, true), 1: unitMaps(2) });
    expect([...maps.keys()]).toEqual([0]); // layer 1 has 3 units, its array 2: left out
    const m = maps.get(0)!;
    expect(m.ranges).toEqual([
      [0, 0],
      [2, 2],
    ]);
    expect(m.scale).toBe(2);
    expect(layerMaps(columns(), undefined).size).toBe(0);
    const wide = columns().map((c) => ({ ...c, narrow: false }));
    expect(layerMaps(wide, { 0: unitMaps(2) }).size).toBe(0);
  });

  it('scales the output map around P = 0.5 for a binary task, around 0 for regression', () => {
    const grid = decodeDense(encodeDense([2, 2], [-3, 0, 1, 2]));
    const out = columns()[3];
    expect(outputMap(grid, out, 'binary')).toMatchObject({ scale: 0.5, center: 0.5 });
    expect(outputMap(grid, out, 'regression')).toMatchObject({ scale: 3, center: 0 });
    expect(outputMap(grid, { ...out, units: 3 }, 'multiclass')).toBeNull();
    expect(outputMap(decodeDense(encodeDense([2, 3], [0, 0, 0, 0, 0, 0])), out, 'binary')).toBeNull();
    expect(outputMap(undefined, out, 'binary')).toBeNull();
  });

  it('flattens a square example image and refuses others', () => {
    expect(exampleImage([
      [0, 1],
      [1, 0],
    ])).toEqual({ n: 2, data: Float32Array.from([0, 1, 1, 0]) });
    expect(exampleImage([[0, 1]])).toBeNull();
    expect(exampleImage(undefined)).toBeNull();
  });

  it('places a map in every node that has one: features, hidden units and the output', () => {
    const cols = columns();
    const layout = layoutGraph(cols, AREA);
    const units = layerMaps(cols, { 0: unitMaps(2), 1: unitMaps(3) });
    const output = outputMap(decodeDense(encodeDense([4, 4], Array(16).fill(0.5))), cols[3], 'binary');
    const tiles = graphTiles(layout, { inputs: inputFeatureMaps(cols[0], [-1, 1, -1, 1]), units, output, image: null });
    expect(tiles.map((t) => t.key)).toEqual(['0:0', '0:1', '1:0', '1:1', '2:0', '2:1', '2:2', '3:0']);
    expect(tiles[4].box).toEqual(layout.columns[2].nodes[0]);
    expect(tiles.slice(4, 7).map((t) => t.offset)).toEqual([0, SIZE, 2 * SIZE]);
    expect(tiles[7]).toMatchObject({ n: 4, center: 0.5, scale: 0.5 });
    expect(tiles[0].scale).toBe(1); // x1 over [-1, 1]
    expect(hiddenMapCount(tiles, layout)).toBe(5);
  });

  it("puts an image task's example in the middle of the input block, in grey", () => {
    const cols: Column[] = [
      { kind: 'input', layer: null, hidden: null, units: 0, narrow: false, label: 'image' },
      { kind: 'output', layer: 0, hidden: null, units: 10, narrow: true },
    ];
    const layout = layoutGraph(cols, AREA);
    const image = exampleImage([
      [0, 1],
      [1, 0],
    ]);
    const [tile] = graphTiles(layout, { inputs: [], units: new Map(), output: null, image });
    const block = layout.columns[0].box;
    expect(tile).toMatchObject({ key: '0:-1', unit: -1, n: 2, gray: true });
    expect(tile.box.w).toBe(block.w - 6);
    expect(tile.box.y + tile.box.h / 2).toBeCloseTo(block.y + block.h / 2);
    expect(hiddenMapCount([tile], layout)).toBe(0);
  });

  it("paints each tile inside its node's border: maps smoothed, images sharp", () => {
    const cols = columns();
    const layout = layoutGraph(cols, AREA);
    const tiles = graphTiles(layout, {
      inputs: inputFeatureMaps(cols[0], [-1, 1, -1, 1]),
      units: new Map(),
      output: null,
      image: exampleImage([[1]]),
    });
    const rec = recordingContext();
    const scratch = new ScratchCanvases(fakeScratch);
    paintTiles(rec.ctx, [...tiles, { ...tiles[0], key: 'img', n: 1, data: [1], gray: true }], scratch);
    const draws = rec.of('drawImage');
    expect(draws).toHaveLength(3);
    const node = layout.columns[0].nodes[1];
    expect(draws[1].args.slice(1)).toEqual([node.x + 1, node.y + 1, node.w - 2, node.h - 2]);
    expect(draws.map((d) => d.imageSmoothingEnabled)).toEqual([true, true, false]);
    // one scratch per size; x2's map was painted last into the 12 x 12 one: its top row is the highest x2 (blue)
    const px = scratch.get(MAP_SIZE).img.data;
    expect(px[2]).toBeGreaterThan(px[0]);
    expect([...scratch.get(1).img.data]).toEqual([255, 255, 255, 255]);
    expect(draws[2].args[0]).toBe(scratch.get(1).canvas);
  });
});
