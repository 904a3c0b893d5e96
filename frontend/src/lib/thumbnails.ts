// The dataset picker's thumbnails, drawn from a dataset's preview (GET /api/datasets/{name}/preview): points of a
// plane, a curve or a table coloured by label or target; the first digits as grey images; one sequence as a
// heatmap of its features over time with its target below; "CSV" for an upload not made yet. The marks are worked
// out by pure functions (what goes where, in which colour) and painted by paintThumbnail.

import { css, diverging, sequential } from './colors';
import { classColor, planeTransform, pointsExtent, symmetricScale, type Preview } from './plane';

/** A thumbnail's side in CSS pixels. */
export const THUMB_SIZE = 50;
export const THUMB_BACKGROUND = '#f4f5f7';

export interface Dot {
  x: number;
  y: number;
  r: number;
  color: string;
}

export interface Cell {
  x: number;
  y: number;
  w: number;
  h: number;
  color: string;
}

/** The colour of a point of a preview by its label or target: binary labels orange / blue, classes on the palette,
 * regression targets on the diverging scale (relative to the largest |target|). */
export function pointColor(task: string, y: number, scale: number): string {
  if (task === 'binary') return css(diverging(y >= 0.5 ? 1 : -1));
  if (task === 'multiclass') return css(classColor(y));
  return css(diverging(y / scale));
}

/** A preview's points as dots inside a `size` thumbnail (3 px inset): a curve plots (x, target) in one colour, a
 * table with more than two features its first two; the extent is the preview's, else the points' own. */
export function scatterDots(p: Preview, size = THUMB_SIZE): Dot[] {
  const x = p.x as number[][];
  const curve = p.input === 'curve';
  const rows = curve ? x.map((r, i) => [r[0], p.y[i]]) : x;
  const extent = p.extent ?? pointsExtent(rows);
  const { sx, sy } = planeTransform(extent, { x: 3, y: 3, w: size - 6, h: size - 6 });
  const scale = symmetricScale(p.y);
  return rows.map((row, i) => ({
    x: sx(row[0]),
    y: sy(row[1]),
    r: curve ? 1.2 : 1.6,
    color: curve ? '#4e79a7' : pointColor(p.task, p.y[i], scale),
  }));
}

/** Up to nine images in a 3 x 3 grid of a `size` thumbnail, a grey cell per pixel (0 white, 1 near black). */
export function digitCells(images: readonly number[][][], size = THUMB_SIZE): Cell[] {
  const cell = size / 3;
  const out: Cell[] = [];
  images.slice(0, 9).forEach((img, k) => {
    const px = (cell - 2) / img.length;
    const ox = (k % 3) * cell + 1;
    const oy = Math.floor(k / 3) * cell + 1;
    img.forEach((row, r) =>
      row.forEach((v, c) => {
        const g = Math.round(255 - 225 * v);
        out.push({ x: ox + c * px, y: oy + r * px, w: px + 0.3, h: px + 0.3, color: `rgb(${g}, ${g}, ${g})` });
      }),
    );
  });
  return out;
}

/** One sequence (time x features) as a row of cells per feature (at most 8) over time, coloured on the sequential
 * scale across the sequence's own range, centred above the target's line. */
export function sequenceCells(seq: readonly number[][], size = THUMB_SIZE): Cell[] {
  const features = Math.min(8, seq[0]?.length ?? 0);
  if (!features) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of seq)
    for (const v of row.slice(0, features)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  const cw = (size - 4) / seq.length;
  const ch = Math.min(10, (size - 22) / features);
  const top = (size - 16 - ch * features) / 2;
  const out: Cell[] = [];
  seq.forEach((row, t) => {
    for (let f = 0; f < features; f++) {
      const color = css(sequential(hi > lo ? (row[f] - lo) / (hi - lo) : 0.5));
      out.push({ x: 2 + t * cw, y: top + f * ch, w: cw - 0.5, h: ch - 0.5, color });
    }
  });
  return out;
}

/** A sequence's target as the thumbnail writes it under the cells. */
export function targetText(target: number): string {
  return `→ ${Number(target.toPrecision(3))}`;
}

function centredText(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, font: string, color: string) {
  ctx.fillStyle = color;
  ctx.font = font;
  ctx.textAlign = 'center';
  ctx.fillText(text, x, y);
}

/** Paint the thumbnail of dataset `name` from its preview (null while none has come: "CSV" for the upload, else
 * blank) onto a context scaled to `size` CSS pixels. */
export function paintThumbnail(ctx: CanvasRenderingContext2D, p: Preview | null | undefined, name: string, size = THUMB_SIZE): void {
  ctx.fillStyle = THUMB_BACKGROUND;
  ctx.fillRect(0, 0, size, size);
  if (!p) {
    if (name === 'upload') {
      ctx.textBaseline = 'middle';
      centredText(ctx, 'CSV', size / 2, size / 2, '600 13px system-ui, sans-serif', '#5d6675');
    }
    return;
  }
  if (p.input === 'image' || p.input === 'sequence') {
    const cells = p.input === 'image' ? digitCells(p.x as number[][][], size) : sequenceCells(p.x as number[][], size);
    for (const c of cells) {
      ctx.fillStyle = c.color;
      ctx.fillRect(c.x, c.y, c.w, c.h);
    }
    if (p.input === 'sequence' && cells.length && p.y[0] !== undefined) {
      ctx.textBaseline = 'bottom';
      centredText(ctx, targetText(p.y[0]), size / 2, size - 2, '10px system-ui, sans-serif', '#1d2330');
    }
    return;
  }
  for (const d of scatterDots(p, size)) {
    ctx.fillStyle = d.color;
    ctx.beginPath();
    ctx.arc(d.x, d.y, d.r, 0, 2 * Math.PI);
    ctx.fill();
  }
}
