// WebSocket client of `WS /api/runs/{id}/stream`: decodes messages, hands them to callbacks and
// reconnects with exponential backoff when the socket drops while the run is still active.
// After a reconnect the server sends a fresh `hello` whose history replaces what the client had.

import {
  isActive,
  parseMessage,
  ProtocolError,
  type EventMessage,
  type FrameMessage,
  type HelloMessage,
  type StatusMessage,
} from './protocol';

export { parseMessage, ProtocolError } from './protocol';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StreamHandlers {
  onHello(msg: HelloMessage): void;
  onFrame(msg: FrameMessage): void;
  onStatus(msg: StatusMessage): void;
  /** A detector's event (optional: a view that shows no events may leave it out). */
  onEvent?(msg: EventMessage): void;
  /** Connection state changes; `delayMs` is set while waiting to reconnect. */
  onConnection?(state: ConnectionState, delayMs?: number): void;
  /** A malformed message, a refused stream, or giving up on reconnecting. */
  onError?(error: Error): void;
}

export interface Backoff {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** Consecutive failed connection attempts before giving up. */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, factor: 2, maxMs: 10_000, maxAttempts: 12 };

/** Delay before reconnect attempt number `attempt` (0-based): initial * factor^attempt, capped. */
export function backoffDelay(attempt: number, b: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(b.maxMs, b.initialMs * b.factor ** Math.max(0, attempt));
}

/** The subset of the browser WebSocket this client uses (so tests can pass a fake). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface StreamOptions {
  createSocket?: (url: string) => SocketLike;
  backoff?: Backoff;
  setTimer?: (cb: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface StreamHandle {
  /** Close for good; no callback is called afterwards. */
  close(): void;
  /** The run status last seen on the stream (null before the first hello/status). */
  readonly runStatus: string | null;
  readonly state: ConnectionState;
}

/** Close codes after which reconnecting is pointless: policy violation, application codes (unknown run ...). */
function isFinalClose(code: number): boolean {
  return code === 1008 || (code >= 4000 && code <= 4999);
}

export function openStream(url: string, handlers: StreamHandlers, options: StreamOptions = {}): StreamHandle {
  const createSocket = options.createSocket ?? ((u: string) => new WebSocket(u) as unknown as SocketLike);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const setTimer = options.setTimer ?? ((cb: () => void, ms: number) => setTimeout(cb, ms));
  const clearTimer = options.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));

  let socket: SocketLike | null = null;
  let timer: unknown = null;
  let closed = false;
  let failures = 0;
  let runStatus: string | null = null;
  /** The server said why it refuses the stream; the close that follows needs no second message. */
  let refused = false;
  let state: ConnectionState = 'connecting';

  const setState = (s: ConnectionState, delayMs?: number) => {
    state = s;
    handlers.onConnection?.(s, delayMs);
  };

  const handleText = (data: unknown) => {
    if (typeof data !== 'string') {
      handlers.onError?.(new ProtocolError('binary stream messages are not supported by this UI'));
      return;
    }
    let msg;
    try {
      msg = parseMessage(data);
    } catch (e) {
      handlers.onError?.(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    switch (msg.type) {
      case 'hello':
        failures = 0;
        runStatus = msg.run.status;
        handlers.onHello(msg);
        break;
      case 'frame':
        handlers.onFrame(msg);
        break;
      case 'status':
        runStatus = msg.status;
        handlers.onStatus(msg);
        break;
      case 'event':
        handlers.onEvent?.(msg);
        break;
      case 'error':
        refused = true;
        handlers.onError?.(new Error(msg.detail));
        break;
    }
  };

  const connect = () => {
    timer = null;
    if (closed) return;
    setState(failures === 0 ? 'connecting' : 'reconnecting');
    const ws = createSocket(url);
    socket = ws;
    ws.onopen = () => {
      if (!closed && socket === ws) setState('open');
    };
    ws.onmessage = (ev) => {
      if (!closed && socket === ws) handleText(ev.data);
    };
    ws.onerror = () => {
      // Always followed by a close event; the decision is taken there.
    };
    ws.onclose = (ev) => {
      if (closed || socket !== ws) return;
      socket = null;
      if (isFinalClose(ev.code) || refused) {
        setState('closed');
        if (!refused) handlers.onError?.(new Error(`the server closed the stream: ${ev.reason || `code ${ev.code}`}`));
        return;
      }
      // Before the first hello the status is unknown: the run was just created, so it is active.
      if (runStatus !== null && !isActive(runStatus)) {
        setState('closed');
        return;
      }
      if (failures >= backoff.maxAttempts) {
        setState('closed');
        handlers.onError?.(new Error(`lost the connection to the run stream (${failures} reconnect attempts failed)`));
        return;
      }
      const delay = backoffDelay(failures, backoff);
      failures += 1;
      setState('reconnecting', delay);
      timer = setTimer(connect, delay);
    };
  };

  connect();

  return {
    close() {
      if (closed) return;
      closed = true;
      if (timer !== null) clearTimer(timer);
      timer = null;
      const ws = socket;
      socket = null;
      if (ws) {
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        try {
          ws.close(1000, 'client closed');
        } catch {
          // already closing
        }
      }
      setState('closed');
    },
    get runStatus() {
      return runStatus;
    },
    get state() {
      return state;
    },
  };
}
