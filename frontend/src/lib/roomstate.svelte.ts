// The page's rooms: the student's side (the join form a join link opens, the room the page is in, its setup polled
// every 2 s) and which taught room the Class tab shows. The links' secrets come from the fragment once (consumeLink),
// then live in localStorage (rooms.ts RoomStore); nothing of a room ever goes into location.search.

import { ApiError, useRoomOwner } from './api';
import { hasRoomFragment, parseRoomFragment, RoomStore, roomsApi, type JoinedRoom, type RoomInfo, type RoomLink } from './rooms';

export const POLL_MS = 2000;

/** Why a join or a room could not be used, for the words next to the form. */
export type RoomProblem =
  | { kind: 'gone'; message: string } // unknown or expired (404)
  | { kind: 'name'; message: string } // the name was refused (422)
  | { kind: 'busy'; message: string } // too many joins (429)
  | { kind: 'bad-link' } // a fragment that is not a room link
  | { kind: 'bad-teacher-key' } // a room link whose teacher part is garbled (the room id is fine: joining works)
  | { kind: 'other'; message: string };

export function problemOf(e: unknown): RoomProblem {
  if (e instanceof ApiError) {
    if (e.status === 404) return { kind: 'gone', message: e.message };
    if (e.status === 422) return { kind: 'name', message: e.message };
    if (e.status === 429) return { kind: 'busy', message: e.message };
  }
  return { kind: 'other', message: (e as Error).message };
}

/** A teacher link being checked with the server before its key is kept (a wrong key never replaces a good one). */
export type TeacherLinkCheck =
  | { room: string; state: 'checking' }
  | { room: string; state: 'refused' } // 403: not this room's teacher key
  | { room: string; state: 'gone'; message: string } // 404: unknown, or ended (and not kept)
  | { room: string; state: 'failed'; message: string }; // the server could not be asked

export class RoomState {
  readonly store: RoomStore;
  /** a join link's room, waiting for the student's name (the join form shows) */
  joining = $state<string | null>(null);
  /** that room, as the server describes it (null until read, or when it is gone) */
  joiningInfo = $state.raw<RoomInfo | null>(null);
  /** the room the page is a student in */
  joined = $state.raw<JoinedRoom | null>(null);
  /** the room, as last polled */
  info = $state.raw<RoomInfo | null>(null);
  /** what went wrong with the join link, the join or the room */
  problem = $state.raw<RoomProblem | null>(null);
  busy = $state(false);
  /** the setup version applied to the page */
  appliedVersion = $state(-1);
  /** bumped when the teacher sent a new setup (the banner says so) */
  newSetups = $state(0);
  /** the taught room the Class tab shows */
  teaching = $state<string | null>(null);
  /** a taught room just created or opened by its teacher link: its links show (the teacher key is shown once) */
  fresh = $state.raw<{ id: string; joinPath: string; teacherPath: string } | null>(null);
  /** the teacher link this page opened, while and after the server checks its key */
  teacherLink = $state.raw<TeacherLinkCheck | null>(null);
  /** bumped when a teacher key is kept or replaced (the Class tab reads the store again) */
  keys = $state(0);
  #linkKey: string | null = null;

  /** the page applies a room's setup (its config into the playground, or its lesson opened) */
  onsetup: ((room: RoomInfo, first: boolean) => void) | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(store: RoomStore = new RoomStore()) {
    this.store = store;
    this.teaching = store.shown();
    const active = store.active();
    if (active) this.#enter(store.joined(active)!);
  }

  /** Read a room link's fragment once: a teacher link keeps the key and shows the room in the Class tab; a join link
   * opens the join form (or re-enters a room this browser already joined). Returns whether the fragment was a room's
   * (the caller then clears it from the address bar). */
  consumeLink(hash: string): RoomLink | null {
    if (!hasRoomFragment(hash)) return null;
    const link = parseRoomFragment(hash);
    if (!link) {
      this.problem = { kind: 'bad-link' };
      return null;
    }
    if (link.teacher) {
      void this.checkTeacherLink(link.room, link.teacher);
      return link;
    }
    const known = this.store.joined(link.room);
    if (known && this.joined?.room === link.room) return link; // already in it
    this.joining = link.room;
    this.joiningInfo = null;
    this.problem = link.malformedTeacher ? { kind: 'bad-teacher-key' } : null;
    void roomsApi
      .get(link.room)
      .then((r) => {
        if (this.joining === link.room) this.joiningInfo = r;
      })
      .catch((e) => {
        if (this.joining === link.room) this.problem = problemOf(e);
      });
    return link;
  }

  /** Keep a teacher link's key only once the server accepts it (GET /teacher answers 200): a wrong key (403) leaves the
   * key this browser already keeps for the room, whose view then shows. */
  async checkTeacherLink(id: string, key: string): Promise<void> {
    const stored = this.store.teacherKey(id);
    if (stored) this.showTaught(id);
    if (stored === key) {
      this.teacherLink = null;
      return;
    }
    this.#linkKey = key;
    this.teacherLink = { room: id, state: 'checking' };
    try {
      const view = await roomsApi.teacherView(id, key);
      this.store.teach({ id, key, title: view.room.title, expires_at: view.room.expires_at, ended: view.room.status === 'expired' });
      this.keys += 1;
      this.teacherLink = null;
      this.#linkKey = null;
      this.showTaught(id);
    } catch (e) {
      const status = e instanceof ApiError ? e.status : 0;
      const message = (e as Error).message;
      if (status === 403) this.teacherLink = { room: id, state: 'refused' };
      else if (status === 404) this.teacherLink = { room: id, state: 'gone', message };
      else this.teacherLink = { room: id, state: 'failed', message };
      if (status === 404 && stored) this.store.markEnded(id);
    }
  }

  /** Ask the server again about the teacher link that could not be checked. */
  retryTeacherLink(): void {
    if (this.teacherLink && this.#linkKey) void this.checkTeacherLink(this.teacherLink.room, this.#linkKey);
  }

  dismissTeacherLink(): void {
    this.teacherLink = null;
    this.#linkKey = null;
  }

  /** Join the room of the join form as `name` (a student already in it is renamed). */
  async join(name: string): Promise<boolean> {
    const id = this.joining;
    if (!id || this.busy) return false;
    this.busy = true;
    this.problem = null;
    try {
      const known = this.store.joined(id)?.owner_key ?? null;
      const joined = await roomsApi.join(id, name, known);
      // a student already in the room (its key sent) is renamed: the answer then carries no new key
      const key = joined.owner_key ?? known;
      if (!key) throw new Error('the server returned no owner key for this student');
      const record: JoinedRoom = {
        room: id,
        owner_key: key,
        student: joined.student,
        title: joined.room.title,
        version: -1,
      };
      this.store.join(record);
      this.joining = null;
      this.joiningInfo = null;
      this.#enter(record, joined.room);
      return true;
    } catch (e) {
      this.problem = problemOf(e);
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Close the join form without joining. */
  cancelJoin(): void {
    this.joining = null;
    this.joiningInfo = null;
    this.problem = null;
  }

  #enter(record: JoinedRoom, info: RoomInfo | null = null): void {
    this.joined = record;
    this.store.setActive(record.room);
    useRoomOwner({ key: record.owner_key, owner: record.student.id });
    // a reload keeps the setup the page had (the student's own changes to it too) until the teacher sends a new one
    this.appliedVersion = record.version ?? -1;
    this.info = info;
    if (info) this.#apply(info);
    this.#stopPolling();
    this.#timer = setInterval(() => void this.poll(), POLL_MS);
    if (!info) void this.poll();
  }

  /** Leave the room: the page goes back to this browser's own owner key (the room's key stays stored, so the join link
   * brings the same student back). */
  leave(): void {
    this.#stopPolling();
    this.store.setActive(null);
    useRoomOwner(null);
    this.joined = null;
    this.info = null;
    this.appliedVersion = -1;
    this.newSetups = 0;
  }

  /** Read the room; a new setup version is applied to the page. A room that is gone ends the stay. */
  async poll(): Promise<void> {
    const id = this.joined?.room;
    if (!id) return;
    try {
      const info = await roomsApi.get(id);
      if (this.joined?.room !== id) return;
      this.info = info;
      if (this.problem?.kind !== 'name') this.problem = null;
      this.#apply(info);
    } catch (e) {
      if (this.joined?.room !== id) return;
      this.problem = problemOf(e);
      if (this.problem.kind === 'gone') this.#stopPolling();
    }
  }

  #apply(info: RoomInfo): void {
    if (info.setup_version === this.appliedVersion) return;
    const first = this.appliedVersion < 0;
    this.appliedVersion = info.setup_version;
    if (this.joined) {
      this.joined = { ...this.joined, version: info.setup_version, title: info.title };
      this.store.join(this.joined);
    }
    if (!first) this.newSetups += 1;
    this.onsetup?.(info, first);
  }

  #stopPolling(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Show taught room `id` in the Class tab (null: the form and the list). */
  showTaught(id: string | null): void {
    this.teaching = id;
    this.store.show(id);
  }

  dispose(): void {
    this.#stopPolling();
  }
}
