import { describe, expect, it } from 'vitest';
import { frame, frameText, helloText, RUN, statusText } from './fixtures';
import type { FrameMessage, HelloMessage, StatusMessage } from './protocol';
import { backoffDelay, openStream, parseMessage, type Backoff, type ConnectionState, type SocketLike } from './stream';

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closedByClient = false;
  constructor(readonly url: string) {}
  open() {
    this.onopen?.({});
  }
  send(text: string) {
    this.onmessage?.({ data: text });
  }
  drop(code = 1006, reason = '') {
    this.onclose?.({ code, reason });
  }
  close() {
    this.closedByClient = true;
  }
}

function harness(backoff: Backoff = { initialMs: 100, factor: 2, maxMs: 1000, maxAttempts: 3 }) {
  const sockets: FakeSocket[] = [];
  const timers: { cb: () => void; ms: number; cleared: boolean }[] = [];
  const hellos: HelloMessage[] = [];
  const frames: FrameMessage[] = [];
  const statuses: StatusMessage[] = [];
  const states: ConnectionState[] = [];
  const errors: Error[] = [];
  const handle = openStream(
    'ws://host/api/runs/r1/stream',
    {
      onHello: (m) => hellos.push(m),
      onFrame: (m) => frames.push(m),
      onStatus: (m) => statuses.push(m),
      onConnection: (s) => states.push(s),
      onError: (e) => errors.push(e),
    },
    {
      createSocket: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      backoff,
      setTimer: (cb, ms) => {
        const t = { cb, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clearTimer: (t) => {
        (t as { cleared: boolean }).cleared = true;
      },
    },
  );
  const fire = () => {
    const t = timers.at(-1);
    if (!t || t.cleared) throw new Error('no pending timer');
    t.cb();
  };
  return { handle, sockets, timers, hellos, frames, statuses, states, errors, fire };
}

describe('parseMessage (as exported by stream.ts)', () => {
  it('accepts the three message types', () => {
    expect(parseMessage(helloText()).type).toBe('hello');
    expect(parseMessage(frameText(frame(2, 40))).type).toBe('frame');
    expect(parseMessage(statusText('running', 40)).type).toBe('status');
  });
  it('throws on malformed input', () => {
    expect(() => parseMessage('not json')).toThrow();
    expect(() => parseMessage('{"type":"nope"}')).toThrow(/unknown stream message type/);
    expect(() => parseMessage('{"type":"status","status":"running"}')).toThrow(/status.step must be a non-negative integer/);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially and is capped', () => {
    const b = { initialMs: 500, factor: 2, maxMs: 10_000, maxAttempts: 5 };
    expect([0, 1, 2, 3, 4, 5, 9].map((a) => backoffDelay(a, b))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});

describe('openStream', () => {
  it('connects to the url and dispatches hello, frame and status', () => {
    const h = harness();
    expect(h.sockets).toHaveLength(1);
    expect(h.sockets[0].url).toBe('ws://host/api/runs/r1/stream');
    h.sockets[0].open();
    h.sockets[0].send(helloText());
    h.sockets[0].send(frameText(frame(2, 40)));
    h.sockets[0].send(statusText('paused', 40));
    expect(h.hellos).toHaveLength(1);
    expect(h.frames.map((f) => f.seq)).toEqual([2]);
    expect(h.statuses.map((s) => s.status)).toEqual(['paused']);
    expect(h.handle.runStatus).toBe('paused');
    expect(h.states).toEqual(['connecting', 'open']);
    expect(h.errors).toEqual([]);
  });

  it('reports a malformed message and keeps going', () => {
    const h = harness();
    h.sockets[0].send('{"type":"frame"}');
    h.sockets[0].send(frameText(frame(0, 0)));
    expect(h.errors).toHaveLength(1);
    expect(h.frames).toHaveLength(1);
  });

  it('reconnects with backoff while the run is active; a new hello is delivered', () => {
    const h = harness();
    h.sockets[0].open();
    h.sockets[0].send(helloText());
    h.sockets[0].drop();
    expect(h.states.at(-1)).toBe('reconnecting');
    expect(h.timers.map((t) => t.ms)).toEqual([100]);
    h.fire();
    expect(h.sockets).toHaveLength(2);
    // the second attempt fails before any hello: the delay doubles
    h.sockets[1].drop();
    expect(h.timers.map((t) => t.ms)).toEqual([100, 200]);
    h.fire();
    h.sockets[2].open();
    h.sockets[2].send(helloText([frame(0, 0), frame(1, 20), frame(2, 40)]));
    expect(h.hellos).toHaveLength(2);
    expect(h.hellos[1].history.tracks.train_loss.step).toEqual([0, 20, 40]);
    // a hello resets the backoff
    h.sockets[2].drop();
    expect(h.timers.at(-1)!.ms).toBe(100);
  });

  it('reconnects before the first hello (status unknown, run just created)', () => {
    const h = harness();
    h.sockets[0].drop();
    expect(h.timers).toHaveLength(1);
  });

  it('does not reconnect once the run is over', () => {
    const h = harness();
    h.sockets[0].send(helloText());
    h.sockets[0].send(statusText('finished', 3000));
    h.sockets[0].drop(1000);
    expect(h.timers).toHaveLength(0);
    expect(h.states.at(-1)).toBe('closed');
    expect(h.errors).toEqual([]);
  });

  it('does not reconnect when the hello already says the run is over', () => {
    const h = harness();
    h.sockets[0].send(helloText([], { ...RUN, status: 'stopped' }));
    h.sockets[0].drop(1000);
    expect(h.timers).toHaveLength(0);
  });

  it('gives up after maxAttempts failed attempts and says so', () => {
    const h = harness();
    h.sockets[0].drop();
    h.fire();
    h.sockets[1].drop();
    h.fire();
    h.sockets[2].drop();
    h.fire();
    h.sockets[3].drop();
    expect(h.sockets).toHaveLength(4);
    expect(h.timers).toHaveLength(3);
    expect(h.states.at(-1)).toBe('closed');
    expect(h.errors.at(-1)?.message).toMatch(/lost the connection/);
  });

  it('does not reconnect after an application close code (e.g. unknown run)', () => {
    const h = harness();
    h.sockets[0].drop(4404, 'unknown run r1');
    expect(h.timers).toHaveLength(0);
    expect(h.errors.at(-1)?.message).toMatch(/unknown run r1/);
  });

  it('reports a refused stream once and does not reconnect', () => {
    const h = harness();
    h.sockets[0].open();
    h.sockets[0].send('{"type":"error","detail":"run \'r1\' not found"}');
    h.sockets[0].drop(4404, '');
    expect(h.errors.map((e) => e.message)).toEqual(["run 'r1' not found"]);
    expect(h.timers).toHaveLength(0);
    expect(h.states.at(-1)).toBe('closed');
  });

  it('does not reconnect after a diverged run closes the stream', () => {
    const h = harness();
    h.sockets[0].send(helloText());
    h.sockets[0].send(statusText('diverged', 77, 'loss is not finite'));
    h.sockets[0].drop(1000);
    expect(h.timers).toHaveLength(0);
  });

  it('close() stops everything: no reconnect, no callbacks', () => {
    const h = harness();
    h.sockets[0].send(helloText());
    h.sockets[0].drop();
    expect(h.timers).toHaveLength(1);
    h.handle.close();
    expect(h.timers[0].cleared).toBe(true);
    expect(h.states.at(-1)).toBe('closed');
    const n = h.states.length;
    h.handle.close();
    expect(h.states.length).toBe(n);
  });

  it('close() closes the live socket and ignores its late messages', () => {
    const h = harness();
    const s = h.sockets[0];
    s.open();
    h.handle.close();
    expect(s.closedByClient).toBe(true);
    s.send(frameText(frame(0, 0)));
    expect(h.frames).toHaveLength(0);
  });
});
