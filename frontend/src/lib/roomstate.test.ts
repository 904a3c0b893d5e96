import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { storedOwner, useRoomOwner } from './api';
import { RoomState } from './roomstate.svelte';
import { RoomStore, type RoomInfo } from './rooms';

const ID = '0123456789abcdef0123456789abcdef';
const KEY = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';

function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (k: string) => data.get(k) ?? null,
    key: (i: number) => [...data.keys()][i] ?? null,
    removeItem: (k: string) => void data.delete(k),
    setItem: (k: string, v: string) => void data.set(k, String(v)),
  };
}

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

  it('keeps a teacher link’s key and shows its room', async () => {
    fakeFetch(() => [200, info(1)]);
    const room = new RoomState(store);
    expect(room.consumeLink(`#room=${ID}&teacher=${KEY}`)?.teacher).toBe(KEY);
    expect(room.teaching).toBe(ID);
    await flush();
    expect(store.taught()).toEqual([{ id: ID, key: KEY, title: 'Monday', expires_at: '' }]);
    room.dispose();
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
