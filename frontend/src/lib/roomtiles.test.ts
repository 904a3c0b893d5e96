import { describe, expect, it } from 'vitest';
import { encodeDense } from './dense';
import { fakeScratch, recordingContext } from './fakecanvas';
import { mergeTiles, paintTile, parseRoomMessage, sparkPoints, viewTask, type RoomMessage, type Tile, type TileModel } from './roomtiles';
import { ScratchCanvases } from './scratch';

const S = { noOutput: 'no output yet', step: 'step {step}', stepOf: 'step {step} / {total}', loss: 'loss', testLoss: 'test', accuracy: 'acc' };

const room = {
  id: 'r',
  title: 'T',
  config: null,
  lesson: null,
  setup_version: 1,
  created_at: '',
  expires_at: '',
  status: 'open' as const,
  students: 2,
  kept: false,
};

function grid(n: number, f: (r: number, c: number) => number) {
  const values = Array.from({ length: n * n }, (_, i) => f(Math.floor(i / n), i % n));
  return encodeDense([n, n], values);
}

function tile(over: Partial<Tile> & { student_id: string }): Tile {
  return {
    run_id: `run-${over.student_id}`,
    student: over.student_id.toUpperCase(),
    status: 'running',
    step: 10,
    steps_total: 100,
    loss: [0.7, 0.6, 0.5],
    test_loss: 0.55,
    accuracy: 0.8,
    view: null,
    ...over,
  };
}

function message(tiles: Tile[], students = ['b', 'a']): RoomMessage {
  return { type: 'room', room, students: students.map((id) => ({ id, name: id, joined_at: '' })), tiles };
}

const planeView = { kind: 'grid' as const, dense: grid(8, (_, c) => (c < 4 ? 0.05 : 0.95)), extent: [-6, 6, -6, 6], classes: 2 };

describe('room messages', () => {
  it('takes a room message and leaves out an error or a malformed tile', () => {
    const m = parseRoomMessage({ ...message([tile({ student_id: 'a' })]), tiles: [tile({ student_id: 'a' }), { nope: 1 }] });
    expect(m?.tiles).toHaveLength(1);
    expect(parseRoomMessage({ type: 'error', detail: 'wrong teacher key' })).toBeNull();
    expect(parseRoomMessage('room')).toBeNull();
  });
});

describe('mergeTiles', () => {
  it('orders the tiles as the students joined', () => {
    const tiles = mergeTiles(new Map(), message([tile({ student_id: 'a' }), tile({ student_id: 'b' })]));
    expect([...tiles.keys()]).toEqual(['b', 'a']);
  });

  it('keeps a run’s last view until a new one comes, and moves the version only on a change', () => {
    const first = mergeTiles(new Map(), message([tile({ student_id: 'a', view: planeView })]));
    const a1 = first.get('a')!;
    expect(a1.view?.kind).toBe('grid');
    expect(a1.view?.dense.shape).toEqual([8, 8]);
    // the next message carries no view (it did not change): the last one stays, nothing to repaint
    const second = mergeTiles(first, message([tile({ student_id: 'a' })]));
    expect(second.get('a')!.view).toBe(a1.view);
    expect(second.get('a')!.version).toBe(a1.version);
    // a new step repaints
    const third = mergeTiles(second, message([tile({ student_id: 'a', step: 11, loss: [0.7, 0.6, 0.5, 0.4] })]));
    expect(third.get('a')!.version).toBe(a1.version + 1);
    expect(third.get('a')!.view).toBe(a1.view);
  });

  it('drops the view of a student’s previous run when a new run comes', () => {
    const first = mergeTiles(new Map(), message([tile({ student_id: 'a', view: planeView })]));
    const next = mergeTiles(first, message([tile({ student_id: 'a', run_id: 'another' })]));
    expect(next.get('a')!.view).toBeNull();
  });

  it('ignores a malformed view', () => {
    const bad = { ...planeView, dense: { shape: [8, 8], lo: 0, hi: 1, q8: 'AAAA' } };
    expect(mergeTiles(new Map(), message([tile({ student_id: 'a', view: bad })])).get('a')!.view).toBeNull();
  });
});

describe('painting a tile', () => {
  const model = (over: Partial<Tile>): TileModel => mergeTiles(new Map(), message([tile({ student_id: 'a', ...over })])).get('a')!;

  it('paints the boundary from the grid in the output colours, the sparkline and the figures', () => {
    const rec = recordingContext();
    const scratch = new ScratchCanvases(fakeScratch);
    paintTile(rec.ctx, model({ view: planeView }), scratch, S);
    expect(rec.of('drawImage')).toHaveLength(1);
    const px = scratch.get(8).img.data;
    // left columns are class 0 (orange), right columns class 1 (blue)
    expect(px[0]).toBeGreaterThan(px[2]);
    expect(px[7 * 4 + 2]).toBeGreaterThan(px[7 * 4]);
    expect(rec.of('lineTo').length).toBeGreaterThanOrEqual(2); // the sparkline's 3 points
    expect(rec.texts()).toEqual(['step 10 / 100', 'loss 0.5', 'test 0.55', 'acc 80.0%']);
  });

  it('works the grid’s pixels out again only for a new view', () => {
    const scratch = new ScratchCanvases(fakeScratch);
    const m = model({ view: planeView });
    paintTile(recordingContext().ctx, m, scratch, S, true);
    const again = recordingContext();
    paintTile(again.ctx, { ...m, tile: { ...m.tile, step: 11 } }, scratch, S, false);
    const puts = (scratch.get(8).canvas as unknown as { put: ImageData[] }).put;
    expect(puts).toHaveLength(1);
    expect(again.of('drawImage')).toHaveLength(1); // the kept image is drawn all the same
    expect(again.texts()[0]).toBe('step 11 / 100');
  });

  it('says when there is no output yet, and draws a 1-D fit as a line', () => {
    const rec = recordingContext();
    paintTile(rec.ctx, model({ accuracy: null }), new ScratchCanvases(fakeScratch), S);
    expect(rec.texts()[0]).toBe('no output yet');
    expect(rec.texts()).not.toContain('acc');
    const curve = recordingContext();
    const view = { kind: 'curve' as const, dense: encodeDense([20], Array.from({ length: 20 }, (_, i) => Math.sin(i / 3))), extent: [-3, 3, -1.2, 1.2], classes: 0 };
    paintTile(curve.ctx, model({ view }), new ScratchCanvases(fakeScratch), S);
    expect(curve.of('drawImage')).toHaveLength(0);
    expect(curve.of('lineTo').length).toBeGreaterThanOrEqual(19);
  });

  it('colours by the task the classes say', () => {
    expect(viewTask(2)).toBe('binary');
    expect(viewTask(5)).toBe('multiclass');
    expect(viewTask(0)).toBe('regression');
  });

  it('breaks the sparkline at a missing loss and spans the finite range', () => {
    const pts = sparkPoints([1, null, 0.5, 0], { x: 0, y: 0, w: 30, h: 10 });
    expect(pts[1]).toBeNull();
    expect(pts[0]).toEqual([0, 0]);
    expect(pts[3]).toEqual([30, 10]);
    expect(sparkPoints([null, null], { x: 0, y: 0, w: 10, h: 10 })).toEqual([null, null]);
  });
});
