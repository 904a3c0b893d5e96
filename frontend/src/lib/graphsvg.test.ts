import { describe, expect, it } from 'vitest';
import { layoutGraph, type Column } from './graph';
import {
  blockHistogram,
  bottomLines,
  GRAPH_MARGIN,
  graphArea,
  graphHeight,
  labelRoom,
  layerButtonWidth,
  nodeAt,
  popoverLeft,
  residualArc,
  tipPosition,
} from './graphsvg';

const narrow = (units: number): Column => ({ kind: 'hidden', layer: 0, hidden: 0, units, narrow: true });
const wide = (units: number): Column => ({ kind: 'hidden', layer: 0, hidden: 0, units, narrow: false });

describe('size of the drawing', () => {
  it('grows 30 px a unit of the tallest narrow column, between 290 and 500 px', () => {
    expect(graphHeight([narrow(2), wide(512)])).toBe(290);
    expect(graphHeight([narrow(8), narrow(3)])).toBe(GRAPH_MARGIN.top + GRAPH_MARGIN.bottom + 8 * 30);
    expect(graphHeight([narrow(16)])).toBe(500);
    expect(graphHeight([])).toBe(290);
  });

  it("leaves room for the input's longest label, at least 34 px", () => {
    expect(labelRoom([])).toBe(34);
    expect(labelRoom(['X1', 'sin(X1)'])).toBe(14 + 6 * 7);
  });

  it('keeps the margins for the controls above and below and the class labels right', () => {
    expect(graphArea(480, 300, 40)).toEqual({
      width: 480,
      height: 300,
      top: 56,
      bottom: 46,
      left: 40,
      right: 30,
      minSpacing: 40,
    });
  });
});

describe('shapes', () => {
  const layout = layoutGraph([narrow(2), narrow(2), wide(64)], graphArea(300, 300, 40));

  it('arcs a skip connection below the two columns it joins', () => {
    const [a, b] = [layout.columns[0], layout.columns[1]];
    const y = 300 - GRAPH_MARGIN.bottom + 2;
    expect(residualArc(layout, 1)).toBe(`M${a.x} ${y - 14}Q${(a.x + b.x) / 2} ${y + 14} ${b.x} ${y - 14}`);
    // a block reaching lower than the arc's ends starts it at its bottom edge
    const c = layout.columns[2];
    expect(residualArc(layout, 2)).toContain(` ${c.x} ${Math.max(c.box.y + c.box.h, y - 14)}`);
  });

  it("draws a layer's histogram row as bars inside its block, the tallest bin full height", () => {
    const hist = { shape: [2, 4], lo: 0, hi: 9, data: Float32Array.from([0, 1, 2, 4, 9, 9, 9, 9]) };
    const block = { x: 10, y: 20, w: 46, h: 100 };
    const d = blockHistogram(hist, 0, block);
    const bars = d.match(/M[^z]*z/g)!;
    expect(bars).toHaveLength(3); // an empty bin draws nothing
    // inside: x from 13 over 40 px, bottom at 20 + 20 + 50, the tallest 50 high
    expect(bars[2]).toBe('M43.0 90.0v-50.0h10.0v50.0z');
    expect(bars[0]).toBe('M23.0 90.0v-12.5h10.0v12.5z');
    expect(blockHistogram(hist, 2, block)).toBe('');
    expect(blockHistogram(hist, null, block)).toBe('');
    expect(blockHistogram(undefined, 0, block)).toBe('');
  });

  it('stacks read-out lines at the bottom of a block, 11 px apart', () => {
    expect(bottomLines({ x: 0, y: 10, w: 50, h: 100 }, 2)).toEqual([93, 104]);
    expect(bottomLines({ x: 0, y: 10, w: 50, h: 100 }, 0)).toEqual([]);
  });
});

describe('overlays', () => {
  it('keeps the layer popover inside the drawing and the tooltip inside the viewport', () => {
    expect(popoverLeft(200, 600)).toBe(95);
    expect(popoverLeft(20, 600)).toBe(0);
    expect(popoverLeft(590, 600)).toBe(600 - 214);
    expect(tipPosition(100, 50, 1000)).toEqual({ left: 112, top: 64 });
    expect(tipPosition(900, 50, 1000)).toEqual({ left: 750, top: 64 });
    expect(layerButtonWidth(200)).toBe(84);
    expect(layerButtonWidth(50)).toBe(46);
  });

  it("finds the node under the pointer from its group's data attributes", () => {
    const group = (attrs: Record<string, string>) => ({ getAttribute: (k: string) => attrs[k] ?? null });
    const target = (found: unknown) =>
      ({ closest: (sel: string) => (sel === '[data-col]' ? found : null) }) as unknown as Element;
    expect(nodeAt(target(group({ 'data-col': '2', 'data-unit': '3' })))).toEqual({ column: 2, unit: 3 });
    expect(nodeAt(target(group({ 'data-col': '1' })))).toEqual({ column: 1, unit: -1 });
    expect(nodeAt(target(null))).toBeNull();
    expect(nodeAt(null)).toBeNull();
  });
});
