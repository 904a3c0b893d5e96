// A taught room as the Class tab shows it: the tiles from the room's stream (the teacher key is its first message), the
// results table read every few seconds, and the teacher's actions (a new setup for everyone, pause / resume / stop all,
// the results as CSV, end the room).

import { ApiError } from './api';
import { download } from './png';
import { mergeTiles, parseRoomMessage, type TileModel } from './roomtiles';
import { csvFileName, roomsApi, roomStreamUrl, type RoomInfo, type RoomRunAction, type RoomSetup, type RoomTeacherView, type Student } from './rooms';

const TABLE_MS = 3000;
const RECONNECT_MS = 1500;

export type Connection = 'connecting' | 'open' | 'lost' | 'refused' | 'gone';

export class TeacherRoom {
  readonly id: string;
  readonly key: string;
  room = $state.raw<RoomInfo | null>(null);
  students = $state.raw<Student[]>([]);
  tiles = $state.raw<Map<string, TileModel>>(new Map());
  table = $state.raw<RoomTeacherView | null>(null);
  connection = $state<Connection>('connecting');
  /** why the room cannot be shown (a wrong key, a room gone) */
  error = $state<string | null>(null);
  /** the stream was lost and is not back yet: the tiles hold the last figures received (stale) */
  reconnecting = $state(false);
  #ws: WebSocket | null = null;
  #tableTimer: ReturnType<typeof setInterval> | null = null;
  #reconnect: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(id: string, key: string) {
    this.id = id;
    this.key = key;
    this.#connect();
    void this.refreshTable();
    this.#tableTimer = setInterval(() => void this.refreshTable(), TABLE_MS);
  }

  #connect(): void {
    if (this.#closed) return;
    this.connection = 'connecting';
    const ws = new WebSocket(roomStreamUrl(this.id));
    this.#ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ teacher_key: this.key }));
    ws.onmessage = (e) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(e.data));
      } catch {
        return;
      }
      const msg = parseRoomMessage(parsed);
      if (msg) {
        this.connection = 'open';
        this.reconnecting = false;
        this.room = msg.room;
        this.students = msg.students;
        this.tiles = mergeTiles(this.tiles, msg);
      } else if ((parsed as { type?: string })?.type === 'error') {
        this.error = String((parsed as { detail?: unknown }).detail ?? 'error');
      }
    };
    ws.onclose = (e) => {
      if (this.#ws !== ws || this.#closed) return;
      if (e.code === 4403 || e.code === 4404) {
        this.connection = e.code === 4403 ? 'refused' : 'gone';
        this.reconnecting = false;
        return;
      }
      this.connection = 'lost';
      this.reconnecting = true;
      this.#reconnect = setTimeout(() => this.#connect(), RECONNECT_MS);
    };
  }

  /** Read the results table (every run of the room, with how it differs from the setup). */
  async refreshTable(): Promise<void> {
    try {
      const view = await roomsApi.teacherView(this.id, this.key);
      if (this.#closed) return;
      this.table = view;
      this.room ??= view.room;
      if (!this.students.length) this.students = view.students;
      if (this.error && this.connection !== 'refused') this.error = null;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
        this.error = e.message;
        this.connection = e.status === 404 ? 'gone' : 'refused';
        this.reconnecting = false;
        // nothing more to read: an ended room that was not kept, or a key that is not this room's
        if (this.#tableTimer) clearInterval(this.#tableTimer);
        this.#tableTimer = null;
      }
    }
  }

  /** Send a setup to every student (their pages switch to it); returns the room's new state. */
  async sendSetup(setup: RoomSetup): Promise<RoomInfo> {
    const info = await roomsApi.setSetup(this.id, this.key, setup);
    this.room = info;
    return info;
  }

  async act(action: RoomRunAction): Promise<number> {
    const done = await roomsApi.act(this.id, this.key, action);
    void this.refreshTable();
    return done.affected;
  }

  /** Download the results as a CSV file. */
  async downloadCsv(): Promise<void> {
    save(await roomsApi.resultsCsv(this.id, this.key), 'text/csv', csvFileName(this.room?.title ?? 'room'));
  }

  /** Download everything the room holds as JSON; from then on the server keeps the room's data past its end. */
  async downloadExport(): Promise<void> {
    const text = await roomsApi.exportJson(this.id, this.key);
    save(text, 'application/json', csvFileName(this.room?.title ?? 'room').replace(/\.csv$/, '.json'));
    if (this.room) this.room = { ...this.room, kept: true };
  }

  async end(): Promise<void> {
    await roomsApi.end(this.id, this.key);
    this.dispose();
    this.connection = 'gone';
    this.reconnecting = false;
    if (this.room) this.room = { ...this.room, status: 'expired' };
  }

  dispose(): void {
    this.#closed = true;
    if (this.#tableTimer) clearInterval(this.#tableTimer);
    if (this.#reconnect) clearTimeout(this.#reconnect);
    this.#ws?.close();
    this.#ws = null;
  }
}

/** Hand `text` to the browser as a downloaded file. */
function save(text: string, type: string, name: string): void {
  download(new Blob([text], { type }), name);
}
