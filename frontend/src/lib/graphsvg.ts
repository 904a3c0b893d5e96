// SVG geometry of the network drawing beyond the node layout (graph.ts): the drawing's size and
// margins, the skip-connection arcs, the histogram bars inside wide blocks, where the overlays go
// (layer settings, tooltip) and which node the pointer is over.

import type { Dense } from './dense';
import type { Area, Box, Column, Layout } from './graph';
import { maxAbs } from './graphmaps';

/** Room above the nodes (caption, +/- buttons, unit count), below them (skip arcs, layer buttons) and right of
 * the output (class labels). */
export const GRAPH_MARGIN = { top: 56, bottom: 46, right: 30 } as const;
/** Columns closer than this get short captions ("L1", "8"). */
export const COMPACT_SPACING = 60;
/** Blocks at least this wide show their activation and read-outs. */
export const BLOCK_TEXT_WIDTH = 40;

/** The drawing's height: 30 px a unit of the tallest narrow column, within [290, 500]. */
export function graphHeight(columns: readonly Column[]): number {
  const tallest = Math.max(1, ...columns.filter((c) => c.narrow).map((c) => c.units));
  return Math.max(290, Math.min(500, GRAPH_MARGIN.top + GRAPH_MARGIN.bottom + tallest * 30));
}

/** Room left of the input for its labels (about 6 px a character). */
export function labelRoom(labels: readonly string[]): number {
  return Math.max(34, 14 + 6 * Math.max(0, ...labels.map((l) => l.length)));
}

/** The area the layout fills: `width` x `height`, `left` free for the input's labels. */
export function graphArea(width: number, height: number, left: number): Area {
  const { top, bottom, right } = GRAPH_MARGIN;
  return { width, height, top, bottom, left, right, minSpacing: 40 };
}

/** The dashed arc under columns ci - 1 and ci that marks a skip connection around column ci. */
export function residualArc(layout: Layout, ci: number): string {
  const b = layout.columns[ci];
  const a = layout.columns[ci - 1];
  const y = layout.height - GRAPH_MARGIN.bottom + 2;
  const ya = Math.max(a.box.y + a.box.h, y - 14);
  const yb = Math.max(b.box.y + b.box.h, y - 14);
  return `M${a.x} ${ya}Q${(a.x + b.x) / 2} ${y + 14} ${b.x} ${yb}`;
}

/**
 * Bars of layer `layer`'s row of the histogram array (layers x bins), scaled to the tallest, inside
 * `block` below its caption; '' when there is no such row.
 */
export function blockHistogram(hist: Dense | undefined, layer: number | null, block: Box): string {
  if (layer === null || !hist || hist.shape.length !== 2 || layer >= hist.shape[0]) return '';
  const x = block.x + 3;
  const y = block.y + 20;
  const w = block.w - 6;
  const h = Math.max(10, block.h - 50);
  const bins = hist.shape[1];
  const row = hist.data.subarray(layer * bins, (layer + 1) * bins);
  const top = maxAbs(row) || 1;
  const bw = w / bins;
  let d = '';
  for (let i = 0; i < bins; i++) {
    const bh = (row[i] / top) * h;
    if (bh > 0.2) d += `M${f1(x + i * bw)} ${f1(y + h)}v${f1(-bh)}h${f1(bw)}v${f1(bh)}z`;
  }
  return d;
}

const f1 = (v: number) => v.toFixed(1);

/** Baselines of `count` lines of text at the bottom of `block`, 11 px apart, the last 6 px above its edge. */
export function bottomLines(block: Box, count: number): number[] {
  return Array.from({ length: count }, (_, k) => block.y + block.h - 6 - 11 * (count - 1 - k));
}

/** The widest a layer's settings button may be: the gap between two columns, at most 84 px. */
export function layerButtonWidth(spacing: number): number {
  return Math.min(84, spacing - 4);
}

/** Left edge of the layer-settings popover (214 px) under a column at x, kept inside the drawing. */
export function popoverLeft(x: number, drawingWidth: number): number {
  return Math.max(0, Math.min(drawingWidth - 214, x - 105));
}

/** Where the tooltip goes for a pointer at (x, y): below right of it, kept inside the viewport. */
export function tipPosition(x: number, y: number, viewportWidth: number): { left: number; top: number } {
  return { left: Math.min(x + 12, viewportWidth - 250), top: y + 14 };
}

/** The node under the pointer: its column and unit from the nearest `data-col` group (unit -1: a block). */
export function nodeAt(target: EventTarget | null): { column: number; unit: number } | null {
  const el = (target as Element | null)?.closest?.('[data-col]');
  if (!el) return null;
  return { column: Number(el.getAttribute('data-col')), unit: Number(el.getAttribute('data-unit') ?? -1) };
}
