import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { storedOwner, useRoomOwner } from './api';
import { RoomState } from './roomstate.svelte';
import { RoomStore, type RoomInfo } from './rooms';
import { memoryStorage } from './fixtures';

const ID = '0123456789abcdef0123456789abcdef';
const KEY = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';

function info(version: number, over: Partial<RoomInfo> = {}): RoomInfo {
  return {
    id: ID,
    title: 'Monday',
    config: null,
    lesson: null,
    setup_version: version,
    created_at: '',
    expires_at: '',
    status: 'open',
    students: 1,
    kept: false,
    ...over,
  };
}

/** A fetch that answers each call from `answer` (method and path), recording the calls. */
function fakeFetch(answer: (method: string, path: string, headers: Record<string, string>) => [number, unknown]) {
  const calls: { method: string; path: string; headers: Record<string, string> }[] = [];
  const fn = vi.fn(async (path: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const headers = (init.headers ?? {}) as Record<string, string>;
    calls.push({ method, path, headers });
    const [status, body] = answer(method, path, headers);
    return new Response(JSON.stringify(body), { status });
  });
  vi.stubGlobal('fetch', fn);
  return calls;
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('RoomState', () => {
  let store: RoomStore;
  let version: number;
  beforeEach(() => {
    store = new RoomStore(memoryStorage());
    version = 1;
  });
  afterEach(() => {
    useRoomOwner(null);
    vi.unstubAllGlobals();
  });

  const view = (over: Partial<RoomInfo> = {}) => ({ room: info(1, over), students: [], runs: [] });

  it('keeps a teacher link’s key once the server accepts it, and shows its room', async () => {
    const calls = fakeFetch(() => [200, view()]);
    const room = new RoomState(store);
    expect(room.consumeLink(`#room=${ID}&teacher=${KEY}`)?.teacher).toBe(KEY);
    expect(store.taught()).toEqual([]); // not before the server said yes
    expect(room.teacherLink).toEqual({ room: ID, state: 'checking' });
    await flush();
    expect(calls[0].path).toBe(`/api/rooms/${ID}/teacher`);
    expect(calls[0].headers['X-Glassnet-Teacher']).toBe(KEY);
    expect(store.taught()).toEqual([{ id: ID, key: KEY, title: 'Monday', expires_at: '', ended: false }]);
    expect(room.teaching).toBe(ID);
    expect(room.teacherLink).toBeNull();
    room.dispose();
  });

  it('keeps the good key when a wrong teacher link is opened, and says the link’s key is not accepted', async () => {
    const WRONG = 'Z'.repeat(43);
    store.teach({ id: ID, key: KEY, title: 'Monday', expires_at: '' });
    fakeFetch((_m, _p, headers) => (headers['X-Glassnet-Teacher'] === KEY ? [200, view()] : [403, { detail: 'not this room’s teacher key' }]));
    const room = new RoomState(store);
    room.consumeLink(`#room=${ID}&teacher=${WRONG}`);
    await flush();
    expect(store.teacherKey(ID)).toBe(KEY);
    expect(room.teaching).toBe(ID); // the room shows, with the key kept
    expect(room.teacherLink).toEqual({ room: ID, state: 'refused' });
    room.dispose();

    // a fresh browser: nothing kept, nothing shown but the refusal
    const fresh = new RoomState(new RoomStore(memoryStorage()));
    fresh.consumeLink(`#room=${ID}&teacher=${WRONG}`);
    await flush();
    expect(fresh.store.taught()).toEqual([]);
    expect(fresh.teaching).toBeNull();
    expect(fresh.teacherLink?.state).toBe('refused');
    fresh.dispose();
  });

  it('does not keep the key of a teacher link whose room is gone; retries one the server could not check', async () => {
    let answer: [number, unknown] = [404, { detail: 'room 01234567… has ended (at 2026-01-01 10:00 UTC)' }];
    fakeFetch(() => answer);
    const room = new RoomState(store);
    room.consumeLink(`#room=${ID}&teacher=${KEY}`);
    await flush();
    expect(room.teacherLink).toMatchObject({ state: 'gone', message: expect.stringContaining('has ended') });
    expect(store.taught()).toEqual([]);
    answer = [502, { detail: 'bad gateway' }];
    room.consumeLink(`#room=${ID}&teacher=${KEY}`);
    await flush();
    expect(room.teacherLink?.state).toBe('failed');
    answer = [200, view()];
    room.retryTeacherLink();
    await flush();
    expect(store.teacherKey(ID)).toBe(KEY);
    expect(room.teacherLink).toBeNull();
    room.dispose();
  });

  it('opens the join form for a link whose teacher key is garbled, saying so', async () => {
    fakeFetch(() => [200, info(1)]);
    const room = new RoomState(store);
    expect(room.consumeLink(`#room=${ID}&teacher=wrong`)?.malformedTeacher).toBe(true);
    expect(room.joining).toBe(ID);
    expect(room.problem?.kind).toBe('bad-teacher-key');
    await flush();
    expect(room.joiningInfo?.title).toBe('Monday');
    expect(store.taught()).toEqual([]);
    room.dispose();
  });

  it('applies on load a setup the teacher sent while the page was closed, and only then', async () => {
    fakeFetch(() => [200, info(version)]);
    const student = { id: 'st1', name: 'Ada', joined_at: '' };
    store.join({ room: ID, owner_key: 'room-key', student, title: 'Monday', version: 1 });
    store.setActive(ID);
    // a plain reload: the room's version is the one applied, nothing is applied again
    const same = new RoomState(store);
    const seen: [number, boolean][] = [];
    same.onsetup = (r, first) => seen.push([r.setup_version, first]);
    await flush();
    expect(seen).toEqual([]);
    same.dispose();
    // the teacher sent setup 3 meanwhile: the next load applies it (not as a first setup) and says so, once
    version = 3;
    const later = new RoomState(store);
    later.onsetup = (r, first) => seen.push([r.setup_version, first]);
    await flush();
    expect(seen).toEqual([[3, false]]);
    expect(later.newSetups).toBe(1);
    expect(store.joined(ID)?.version).toBe(3);
    later.dispose();
    const again = new RoomState(store);
    again.onsetup = (r, first) => seen.push([r.setup_version, first]);
    await flush();
    expect(seen).toEqual([[3, false]]);
    again.dispose();
  });

  it('joins by a join link, uses the room’s owner key, applies new setups, survives a reload and leaves', async () => {
    const calls = fakeFetch((method, path) => {
      if (method === 'POST' && path.endsWith('/join'))
        return [201, { room: info(version), student: { id: 'st1', name: 'Ada', joined_at: '' }, owner_key: 'room-key' }];
      return [200, info(version)];
    });
    const setups: [number, boolean][] = [];
    const room = new RoomState(store);
    room.onsetup = (r, first) => setups.push([r.setup_version, first]);
    room.consumeLink(`#room=${ID}`);
    expect(room.joining).toBe(ID);
    await flush();
    expect(room.joiningInfo?.title).toBe('Monday');
    expect(await room.join('Ada')).toBe(true);
    expect(calls.find((c) => c.path.endsWith('/join'))?.headers['X-Glassnet-Owner']).toBeUndefined();
    expect(room.joined?.student.name).toBe('Ada');
    expect(storedOwner()?.key).toBe('room-key');
    expect(setups).toEqual([[1, true]]);

    // the teacher sends a new setup: the next poll applies it, and says so
    version = 2;
    await room.poll();
    expect(setups).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(room.newSetups).toBe(1);
    room.dispose();

    // a reload: the same room, the same key, and no setup applied again
    useRoomOwner(null);
    const again = new RoomState(store);
    const after: number[] = [];
    again.onsetup = (r) => after.push(r.setup_version);
    expect(again.joined?.student.name).toBe('Ada');
    expect(storedOwner()?.key).toBe('room-key');
    await flush();
    expect(after).toEqual([]);

    // the join link while in the room changes nothing
    expect(again.consumeLink(`#room=${ID}`)).not.toBeNull();
    expect(again.joining).toBeNull();

    again.leave();
    expect(again.joined).toBeNull();
    expect(storedOwner()).toBeNull(); // back to the browser's own key (none in this test)
    expect(store.active()).toBeNull();

    // the link after leaving: joining again sends the room's key, so the server renames the same student
    again.consumeLink(`#room=${ID}`);
    expect(await again.join('Ada L.')).toBe(true);
    expect(calls.filter((c) => c.path.endsWith('/join')).pop()?.headers['X-Glassnet-Owner']).toBe('room-key');
    again.dispose();
  });

  it('says why a join failed: an unknown room, a refused name, too many joins', async () => {
    let status = 404;
    fakeFetch((method) => (method === 'GET' ? [200, info(1)] : [status, { detail: `HTTP ${status} detail` }]));
    const room = new RoomState(store);
    room.consumeLink(`#room=${ID}`);
    for (const [code, kind] of [
      [404, 'gone'],
      [422, 'name'],
      [429, 'busy'],
    ] as const) {
      status = code;
      expect(await room.join('x')).toBe(false);
      expect(room.problem?.kind).toBe(kind);
    }
    expect(room.joined).toBeNull();
    room.consumeLink('#room=nope');
    expect(room.problem?.kind).toBe('bad-link');
    room.dispose();
  });
});
