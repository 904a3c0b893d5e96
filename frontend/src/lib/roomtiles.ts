// The teacher's tiles: one per student (that student's newest run), fed by the room's stream (WS /api/rooms/{id}/stream)
// and painted on a small canvas each: the run's output over the input plane (the decision boundary, coloured as the
// Output panel colours it) or its 1-D fit, a sparkline of the train loss, and the step and figures. The stream sends a
// tile's view only when it changed: the model keeps the last one, and a tile is repainted only when its version moved.

import { css, diverging } from './colors';
import { decodeDense, isDenseJson, type Dense } from './dense';
import { formatAccuracy, formatLoss } from './format';
import { fmt } from './i18n.svelte';
import { curvePoints } from './outputview';
import { gridDestRect, gridPixels, outputColor, symmetricScale, tint, type Extent, type Rect } from './plane';
import type { components } from './api-types';
import { type RoomInfo, type Student } from './rooms';
import type { ScratchCanvases } from './scratch';

/** A tile as the stream sends it: a student's newest run (its view only when it changed since the last message). */
export type Tile = components['schemas']['Tile'];
export type TileView = components['schemas']['TileView'];
export type RoomMessage = components['schemas']['RoomMessage'];

/** A tile's view, decoded. */
export interface DecodedView {
  kind: 'grid' | 'curve';
  dense: Dense;
  extent: Extent | null;
  classes: number;
}

/** What a tile shows: the newest message's figures, the last view that came for this run, and a version that moves
 * whenever something drawn changed. */
export interface TileModel {
  tile: Tile;
  view: DecodedView | null;
  version: number;
}

/** A stream message, checked; null when it is not a room message (an error, say). */
export function parseRoomMessage(v: unknown): RoomMessage | null {
  if (typeof v !== 'object' || v === null) return null;
  const m = v as Record<string, unknown>;
  if (m.type !== 'room' || typeof m.room !== 'object' || !Array.isArray(m.tiles)) return null;
  const tiles = m.tiles.filter(
    (t): t is Tile => typeof t === 'object' && t !== null && typeof (t as Tile).run_id === 'string' && typeof (t as Tile).student_id === 'string',
  );
  return { type: 'room', room: m.room as RoomInfo, students: Array.isArray(m.students) ? (m.students as Student[]) : [], tiles };
}

function decodeView(v: TileView | null | undefined): DecodedView | null {
  if (!v || (v.kind !== 'grid' && v.kind !== 'curve') || !isDenseJson(v.dense)) return null;
  try {
    const extent = Array.isArray(v.extent) && v.extent.length === 4 && v.extent.every(Number.isFinite) ? (v.extent as Extent) : null;
    return { kind: v.kind, dense: decodeDense(v.dense), extent, classes: Number(v.classes) || 0 };
  } catch {
    return null;
  }
}

/** What of a tile is drawn, as one string: a change in it repaints the tile. */
function signature(t: Tile): string {
  const last = t.loss.length ? t.loss[t.loss.length - 1] : null;
  return [t.run_id, t.student, t.status, t.step, t.steps_total, t.loss.length, last, t.loss[0], t.test_loss, t.accuracy].join('|');
}

/** The tiles after a stream message: one per student with a run, in the order the students joined (then by name), each
 * keeping its run's last view; a student's new run starts without one until its view comes. */
export function mergeTiles(previous: ReadonlyMap<string, TileModel>, msg: RoomMessage): Map<string, TileModel> {
  const order = new Map(msg.students.map((s, i) => [s.id, i]));
  const tiles = [...msg.tiles].sort(
    (a, b) => (order.get(a.student_id) ?? 1e9) - (order.get(b.student_id) ?? 1e9) || a.student.localeCompare(b.student),
  );
  const next = new Map<string, TileModel>();
  for (const tile of tiles) {
    const before = previous.get(tile.student_id);
    const sameRun = before?.tile.run_id === tile.run_id;
    const fresh = decodeView(tile.view);
    const view = fresh ?? (sameRun ? before!.view : null);
    const changed = !before || fresh !== null || view !== before.view || signature(before.tile) !== signature(tile);
    next.set(tile.student_id, { tile, view, version: changed ? (before?.version ?? 0) + 1 : before.version });
  }
  return next;
}

// ---------------------------------------------------------------------------------------------------------------
// painting

/** A tile's canvas in CSS pixels: the output square on the left, the loss sparkline and figures on the right. */
export const TILE_SIZE = { width: 236, height: 112 } as const;
const PAD = 6;
const INK = '#1d2330';
const MUTED = '#5d6675';
const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const LOSS_LINE = '#c0392b';

export interface TileStrings {
  noOutput: string;
  step: string;
  stepOf: string;
  loss: string;
  testLoss: string;
  accuracy: string;
}

/** The square the output is drawn in. */
export function outputRect(size = TILE_SIZE): Rect {
  const side = size.height - 2 * PAD;
  return { x: PAD, y: PAD, w: side, h: side };
}

/** The box of the loss sparkline. */
export function sparkRect(size = TILE_SIZE): Rect {
  const out = outputRect(size);
  const x = out.x + out.w + 10;
  return { x, y: PAD + 2, w: size.width - x - PAD, h: 38 };
}

/** The task a view's grid is coloured for: classes > 2 multiclass (class ids), 2 binary (P(class 1)), else regression. */
export function viewTask(classes: number): 'binary' | 'multiclass' | 'regression' {
  return classes > 2 ? 'multiclass' : classes === 2 ? 'binary' : 'regression';
}

/** The sparkline's points inside `rect`: the finite losses over their own range (a gap breaks the line: null). */
export function sparkPoints(loss: readonly (number | null)[], rect: Rect): ([number, number] | null)[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of loss) {
    if (v !== null && Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (lo > hi) return loss.map(() => null);
  const span = hi - lo || 1;
  const dx = loss.length > 1 ? rect.w / (loss.length - 1) : 0;
  return loss.map((v, i) =>
    v === null || !Number.isFinite(v) ? null : [rect.x + i * dx, rect.y + rect.h - ((v - lo) / span) * rect.h],
  );
}

function paintOutput(
  ctx: CanvasRenderingContext2D,
  view: DecodedView | null,
  rect: Rect,
  scratch: ScratchCanvases,
  s: TileStrings,
  fresh: boolean,
) {
  const grid = view?.kind === 'grid' ? view.dense : null;
  if (grid && grid.shape.length === 2 && grid.shape[0] === grid.shape[1] && grid.shape[0] > 0) {
    const n = grid.shape[0];
    const task = viewTask(view!.classes);
    const base = outputColor(task, task === 'regression' ? symmetricScale(grid.data) : 1);
    const color = task === 'multiclass' ? (v: number) => tint(base(v), 0.45) : base;
    // the grid's pixels are worked out again only when the view changed (a tile's own scratch keeps them)
    const image = fresh ? scratch.paint(n, (px) => gridPixels(grid.data, n, color, px)) : scratch.get(n).canvas;
    const dest = gridDestRect(rect, n);
    ctx.save();
    ctx.beginPath();
    ctx.rect(rect.x, rect.y, rect.w, rect.h);
    ctx.clip();
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(image, dest.x, dest.y, dest.w, dest.h);
    ctx.restore();
  } else if (view?.kind === 'curve' && view.dense.data.length > 1) {
    ctx.fillStyle = '#f6f7f9';
    ctx.fillRect(rect.x, rect.y, rect.w, rect.h);
    const values = view.dense.data;
    // the fit over the view's extent; without one, over its own range
    const extent: Extent = view.extent ?? [0, 1, Math.min(...values), Math.max(...values)];
    ctx.save();
    ctx.beginPath();
    ctx.rect(rect.x, rect.y, rect.w, rect.h);
    ctx.clip();
    ctx.beginPath();
    curvePoints(values, extent, rect).forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
    ctx.strokeStyle = css(diverging(-1));
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.restore();
  } else {
    ctx.fillStyle = '#f3f4f6';
    ctx.fillRect(rect.x, rect.y, rect.w, rect.h);
    ctx.fillStyle = MUTED;
    ctx.font = FONT;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(s.noOutput, rect.x + rect.w / 2, rect.y + rect.h / 2);
  }
  ctx.strokeStyle = '#c5cad3';
  ctx.lineWidth = 1;
  ctx.strokeRect(rect.x + 0.5, rect.y + 0.5, rect.w - 1, rect.h - 1);
}

function paintSpark(ctx: CanvasRenderingContext2D, loss: readonly (number | null)[], rect: Rect) {
  ctx.fillStyle = '#f8f9fb';
  ctx.fillRect(rect.x, rect.y, rect.w, rect.h);
  ctx.beginPath();
  let pen = false;
  for (const p of sparkPoints(loss, rect)) {
    if (!p) {
      pen = false;
      continue;
    }
    if (pen) ctx.lineTo(p[0], p[1]);
    else ctx.moveTo(p[0], p[1]);
    pen = true;
  }
  ctx.strokeStyle = LOSS_LINE;
  ctx.lineWidth = 1.5;
  ctx.stroke();
}

/** Paint tile `m` onto `ctx` (CSS pixels, TILE_SIZE): output, sparkline, step and figures. `scratch` is the tile's own;
 * `fresh` false: its view is the one painted last time, whose pixels the scratch still holds. */
export function paintTile(
  ctx: CanvasRenderingContext2D,
  m: TileModel,
  scratch: ScratchCanvases,
  s: TileStrings,
  fresh = true,
  size = TILE_SIZE,
): void {
  const { tile } = m;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size.width, size.height);
  paintOutput(ctx, m.view, outputRect(size), scratch, s, fresh);
  const spark = sparkRect(size);
  paintSpark(ctx, tile.loss, spark);
  const lastLoss = [...tile.loss].reverse().find((v) => v !== null && Number.isFinite(v)) ?? null;
  const lines = [
    tile.steps_total
      ? fmt(s.stepOf, { step: tile.step, total: tile.steps_total })
      : fmt(s.step, { step: tile.step }),
    `${s.loss} ${formatLoss(lastLoss)}`,
    `${s.testLoss} ${formatLoss(tile.test_loss)}`,
    ...(tile.accuracy !== null && tile.accuracy !== undefined ? [`${s.accuracy} ${formatAccuracy(tile.accuracy)}`] : []),
  ];
  ctx.font = FONT;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  lines.forEach((line, i) => {
    ctx.fillStyle = i === 0 ? INK : MUTED;
    ctx.fillText(line, spark.x, spark.y + spark.h + 5 + i * 14, spark.w);
  });
}
