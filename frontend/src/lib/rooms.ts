// Rooms (a teacher's class): the links' fragments, what this browser keeps of its rooms, and the REST calls.
//
// A room's links carry their secrets in the FRAGMENT, never in the query (query strings get logged):
//   /#room=<32 hex>                      a student's join link
//   /#room=<32 hex>&teacher=<43 chars>   the teacher's link (the teacher key is shown once)
// The page reads the fragment once, moves what it holds into localStorage and clears it from the address bar.
// Students call the run routes with the owner key their join returned (api.ts useRoomOwner); the teacher's routes
// take the teacher key as a header.

import { accessToken, errorMessage, OWNER_HEADER, parseBody, reach } from './api';
import type { components } from './api-types';

export const TEACHER_HEADER = 'X-Glassnet-Teacher';

type Schemas = components['schemas'];

// the REST shapes of rooms, generated from the server's OpenAPI schema
/** A room as anyone with its id sees it (GET /api/rooms/{id}). */
export type RoomInfo = Schemas['RoomInfo'];
export type RoomCreate = Schemas['RoomCreate'];
export type RoomCreated = Schemas['RoomCreated'];
export type Student = Schemas['StudentOut'];
export type Joined = Schemas['Joined'];
export type RoomSetup = Schemas['RoomSetup'];
/** How a run's config differs from the room's setup at one leaf: {field, setup, run}. */
export type Change = Schemas['ConfigChange'];
export type RoomRun = Schemas['RoomRun'];
export type RoomTeacherView = Schemas['RoomTeacherView'];
export type RoomAction = Schemas['RoomAction'];
export type RoomRunAction = 'pause' | 'resume' | 'stop';


// ---------------------------------------------------------------------------------------------------------------
// the fragment

const ROOM_ID = /^[0-9a-f]{32}$/;
const TEACHER_KEY = /^[A-Za-z0-9_-]{43}$/;

export interface RoomLink {
  room: string;
  /** the teacher key (a teacher link), else null */
  teacher: string | null;
  /** the link had a teacher part that is not a teacher key (garbled): the room id alone is used, to join as a student */
  malformedTeacher?: true;
}

/** A room link's fragment (`#room=<id>` or `#room=<id>&teacher=<key>`); null when the fragment is not one. A
 * malformed id is refused (null), so that nothing but a room's secrets moves into storage; a malformed teacher key
 * with a valid id gives the id alone, marked `malformedTeacher`. */
export function parseRoomFragment(hash: string): RoomLink | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const room = params.get('room')?.trim().toLowerCase() ?? '';
  if (!ROOM_ID.test(room)) return null;
  const teacher = params.get('teacher')?.trim() ?? '';
  if (teacher && !TEACHER_KEY.test(teacher)) return { room, teacher: null, malformedTeacher: true };
  return { room, teacher: teacher || null };
}

// ---------------------------------------------------------------------------------------------------------------
// a student's name (the server's rule: 1-40 characters after trimming, counted as code points, as Python counts)

export const NAME_MAX = 40;

/** The length of a name as the server counts it: code points (an emoji is one), after trimming. */
export function nameLength(name: string): number {
  return [...name.trim()].length;
}

/** Why a name cannot be sent yet: empty, or over NAME_MAX characters; null when it can. */
export function nameProblem(name: string): 'empty' | 'long' | null {
  const n = nameLength(name);
  return n === 0 ? 'empty' : n > NAME_MAX ? 'long' : null;
}

/** Whether the fragment names a room at all (well formed or not): the page clears such a fragment either way. */
export function hasRoomFragment(hash: string): boolean {
  return new URLSearchParams(hash.replace(/^#/, '')).has('room');
}

/** A link of the page at `origin` with `path` (`/#room=...`), for the copy buttons. */
export function absoluteLink(origin: string, path: string): string {
  return `${origin.replace(/\/$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}

// ---------------------------------------------------------------------------------------------------------------
// what this browser keeps

const TEACHING = 'glassnet-rooms-teaching';
const STUDENT_PREFIX = 'glassnet-room-student:';
const ACTIVE = 'glassnet-room-active';
const SHOWN = 'glassnet-room-shown';

/** A room this browser teaches: its key (the only copy after the page that showed it), title and end. */
export interface TaughtRoom {
  id: string;
  key: string;
  title: string;
  expires_at: string;
  /** the room was seen ended (its teacher ended it, or it expired) */
  ended?: boolean;
}

/** Whether a taught room has ended: seen ended, or past its end. */
export function taughtEnded(room: TaughtRoom, now: number = Date.now()): boolean {
  if (room.ended) return true;
  const end = Date.parse(room.expires_at);
  return Number.isFinite(end) && end <= now;
}

/** A room this browser joined: the owner key its runs go under and the student it is. */
export interface JoinedRoom {
  room: string;
  owner_key: string;
  student: Student;
  title: string;
  /** the room's setup version the page applied last (-1: none yet) */
  version?: number;
}

function readJson<T>(store: Storage | undefined, key: string): T | null {
  try {
    return JSON.parse(store?.getItem(key) ?? 'null') as T | null;
  } catch {
    return null;
  }
}

function writeJson(store: Storage | undefined, key: string, value: unknown): void {
  try {
    if (value === null) store?.removeItem(key);
    else store?.setItem(key, JSON.stringify(value));
  } catch {
    // storage refused (a private window): the room lasts for this page only
  }
}

export class RoomStore {
  readonly #store: Storage | undefined;

  constructor(store: Storage | undefined = globalThis.localStorage) {
    this.#store = store;
  }

  /** The rooms this browser teaches, newest first. */
  taught(): TaughtRoom[] {
    const list = readJson<TaughtRoom[]>(this.#store, TEACHING);
    return Array.isArray(list) ? list.filter((r) => r && ROOM_ID.test(r.id) && typeof r.key === 'string') : [];
  }

  /** Keep (or update) a room this browser teaches. */
  teach(room: TaughtRoom): void {
    writeJson(this.#store, TEACHING, [room, ...this.taught().filter((r) => r.id !== room.id)].slice(0, 50));
  }

  /** Mark taught room `id` ended (the list then says so). */
  markEnded(id: string): void {
    const room = this.taught().find((r) => r.id === id);
    if (room && !room.ended) writeJson(this.#store, TEACHING, this.taught().map((r) => (r.id === id ? { ...r, ended: true } : r)));
  }

  teacherKey(id: string): string | null {
    return this.taught().find((r) => r.id === id)?.key ?? null;
  }

  forgetTaught(id: string): void {
    writeJson(this.#store, TEACHING, this.taught().filter((r) => r.id !== id));
  }

  /** The room the Class tab shows (a room of this browser's teaching), if any. */
  shown(): string | null {
    const id = this.#store?.getItem(SHOWN) ?? null;
    return id && this.teacherKey(id) ? id : null;
  }

  show(id: string | null): void {
    try {
      if (id) this.#store?.setItem(SHOWN, id);
      else this.#store?.removeItem(SHOWN);
    } catch {
      // storage refused
    }
  }

  /** What this browser is in room `id` (its owner key and student), if it joined it. */
  joined(id: string): JoinedRoom | null {
    const j = readJson<JoinedRoom>(this.#store, STUDENT_PREFIX + id);
    return j && j.room === id && typeof j.owner_key === 'string' && j.student ? j : null;
  }

  join(j: JoinedRoom): void {
    writeJson(this.#store, STUDENT_PREFIX + j.room, j);
  }

  forgetJoined(id: string): void {
    writeJson(this.#store, STUDENT_PREFIX + id, null);
  }

  /** The room this browser is a student in now (its pages use that room's owner key), if any. */
  active(): string | null {
    const id = this.#store?.getItem(ACTIVE) ?? null;
    return id && this.joined(id) ? id : null;
  }

  setActive(id: string | null): void {
    try {
      if (id) this.#store?.setItem(ACTIVE, id);
      else this.#store?.removeItem(ACTIVE);
    } catch {
      // storage refused
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// the results table

export type Column = 'student' | 'run' | 'status' | 'steps' | 'test_loss' | 'test_accuracy' | 'changes';
export const COLUMNS: readonly Column[] = ['student', 'run', 'status', 'steps', 'test_loss', 'test_accuracy', 'changes'];

export interface Sort {
  column: Column;
  descending: boolean;
}

/** The results table's runs with the newest figures of the live tiles (the stream is newer than the table, which the
 * page asks for every few seconds): a run that has a tile takes its status, step, test loss and accuracy. */
export function withLiveTiles(runs: readonly RoomRun[], tiles: Iterable<Schemas['Tile']>): RoomRun[] {
  const live = new Map<string, Schemas['Tile']>();
  for (const tile of tiles) live.set(tile.run_id, tile);
  return runs.map((run) => {
    const tile = live.get(run.run_id);
    if (!tile || tile.step < run.step) return run;
    const summary = { ...run.summary };
    if (tile.test_loss !== null && tile.test_loss !== undefined) summary.test_loss = { value: tile.test_loss, step: tile.step };
    if (tile.accuracy !== null && tile.accuracy !== undefined) summary.test_acc = { value: tile.accuracy, step: tile.step };
    return { ...run, status: tile.status, step: tile.step, summary };
  });
}

/** A run's step as the teacher reads it: "120 / 500", or "120" for a run that trains until stopped (no total). */
export function stepText(step: number, total: number | null | undefined): string {
  return total ? `${step} / ${total}` : String(step);
}

/** A summary figure of a run (null when it has none). */
export function figure(run: RoomRun, name: string): number | null {
  const v = run.summary?.[name]?.value;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A run's test accuracy (the summary names it `test_acc`, as RunInfo.summary does). */
export function accuracyOf(run: RoomRun): number | null {
  return figure(run, 'test_acc') ?? figure(run, 'test_accuracy');
}

function cell(run: RoomRun, column: Column): string | number | null {
  switch (column) {
    case 'student':
      return run.student;
    case 'run':
      return run.name;
    case 'status':
      return run.status;
    case 'steps':
      return run.step;
    case 'test_loss':
      return figure(run, 'test_loss');
    case 'test_accuracy':
      return accuracyOf(run);
    case 'changes':
      return run.changes.length;
  }
}

const ACTIVE_STATUSES = new Set(['pending', 'running', 'paused']);

/** Each student's newest run (the runs come newest first, as GET /teacher lists them). */
export function newestPerStudent(runs: readonly RoomRun[]): RoomRun[] {
  const seen = new Set<string>();
  return runs.filter((r) => !seen.has(r.student_id) && seen.add(r.student_id));
}

/** What the teacher's run buttons act on: the active runs (pending, running, paused: what pause / resume / stop all
 * apply to) and the students' newest runs that a server restart interrupted (only their students can start them again). */
export function runCounts(runs: readonly RoomRun[]): { active: number; interrupted: number } {
  return {
    active: runs.filter((r) => ACTIVE_STATUSES.has(r.status)).length,
    interrupted: newestPerStudent(runs).filter((r) => r.status === 'interrupted').length,
  };
}

/** The runs sorted by `sort` (a stable sort; a run without the figure goes last either way; ties by student). */
export function sortRuns(runs: readonly RoomRun[], sort: Sort): RoomRun[] {
  const sign = sort.descending ? -1 : 1;
  return runs
    .map((run, i) => ({ run, i }))
    .sort((a, b) => {
      const x = cell(a.run, sort.column);
      const y = cell(b.run, sort.column);
      if (x === null || y === null) return x === y ? a.i - b.i : x === null ? 1 : -1;
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true, sensitivity: 'base' });
      return c !== 0 ? sign * c : a.i - b.i;
    })
    .map((e) => e.run);
}

/** The sort after a click on `column`'s header: the same column flips, another starts ascending (losses, names) or
 * descending (accuracy, steps: the best first). */
export function nextSort(current: Sort, column: Column): Sort {
  if (current.column === column) return { column, descending: !current.descending };
  return { column, descending: column === 'test_accuracy' || column === 'steps' };
}

/** A setting's value as the table writes it: numbers short, lists comma-joined, null as "none". */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) return `[${v.map(valueText).join(', ')}]`;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** How a run differs from the room's setup, in one line: "optimizer.lr 0.03 → 0.3; model.hidden [8, 8] → [4]". */
export function changesText(changes: readonly Change[], same = '—'): string {
  if (!changes.length) return same;
  return changes.map((c) => `${c.field} ${valueText(c.setup)} → ${valueText(c.run)}`).join('; ');
}

/** A file name for the room's results: "results-<title>.csv" (letters, digits and dashes only). */
export function csvFileName(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/[\s_]+/g, '-')
    .slice(0, 40)
    .toLowerCase();
  return `results-${slug || 'room'}.csv`;
}

// ---------------------------------------------------------------------------------------------------------------
// REST

const roomPath = (id: string) => `/api/rooms/${encodeURIComponent(id)}`;

async function call<T>(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<T> {
  const all: Record<string, string> = { Accept: 'application/json', ...headers };
  if (body !== undefined) all['Content-Type'] = 'application/json';
  const res = await reach(method, path, { headers: all, body: body === undefined ? undefined : JSON.stringify(body) });
  const parsed = parseBody(await res.text());
  if (!res.ok) throw errorMessage(res.status, parsed);
  return parsed as T;
}

const teacher = (key: string) => ({ [TEACHER_HEADER]: key });

/** A teacher route's answer as text (a download: the teacher key travels as a header, so not as a plain link). */
async function teacherText(path: string, key: string): Promise<string> {
  const res = await reach('GET', path, { headers: teacher(key) });
  const text = await res.text();
  if (!res.ok) throw errorMessage(res.status, parseBody(text));
  return text;
}

export const roomsApi = {
  /** Create a room (needs the server's token when it has one). */
  create: (room: RoomCreate) => {
    const token = accessToken();
    return call<RoomCreated>('POST', '/api/rooms', token ? { Authorization: `Bearer ${token}` } : {}, room);
  },
  get: (id: string) => call<RoomInfo>('GET', roomPath(id)),
  /** Join as `name`; with the owner key of a student already in the room, the same student renamed. */
  join: (id: string, name: string, ownerKey?: string | null) =>
    call<Joined>('POST', `${roomPath(id)}/join`, ownerKey ? { [OWNER_HEADER]: ownerKey } : {}, { name }),
  me: (id: string, ownerKey: string) => call<Student>('GET', `${roomPath(id)}/me`, { [OWNER_HEADER]: ownerKey }),
  teacherView: (id: string, key: string) => call<RoomTeacherView>('GET', `${roomPath(id)}/teacher`, teacher(key)),
  setSetup: (id: string, key: string, setup: RoomSetup) => call<RoomInfo>('PUT', `${roomPath(id)}/setup`, teacher(key), setup),
  act: (id: string, key: string, action: RoomRunAction) =>
    call<RoomAction>('POST', `${roomPath(id)}/runs/${action}`, teacher(key)),
  end: (id: string, key: string) => call<void>('DELETE', roomPath(id), teacher(key)),
  /** The results table as CSV text (one row per run). */
  resultsCsv: (id: string, key: string): Promise<string> => teacherText(`${roomPath(id)}/results.csv`, key),
  /** Everything the room holds as JSON text (its runs with their histories); the room is kept from then on. */
  exportJson: (id: string, key: string): Promise<string> => teacherText(`${roomPath(id)}/export`, key),
};

/** `ws(s)://host/api/rooms/{id}/stream` on the page's own host (its first message carries the teacher key). */
export function roomStreamUrl(id: string, loc: { protocol: string; host: string } = location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${roomPath(id)}/stream`;
}
