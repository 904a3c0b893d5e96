// Messages of the run stream, `WS /api/runs/{id}/stream`. Their types are generated from the server's
// pydantic models (backend/glassnet/protocol.py, in the OpenAPI document) like the REST types; this module
// only decodes text into them: JSON (with Python's NaN tokens as null), the message type, the protocol
// version, and the dense views of a frame.

import type { components } from './api-types';
import type { RunStatus } from './api';
import { decodeDenseFrame, type DenseFrame } from './dense';

type Schemas = components['schemas'];

export const PROTOCOL_VERSION: Schemas['Hello']['protocol'] = 2;

/** Every run status the UI knows; `diverged` ends a run like `failed`, and `interrupted` is a run whose
 * server stopped while it trained. */
export const RUN_STATUSES = [
  'pending',
  'running',
  'paused',
  'finished',
  'stopped',
  'failed',
  'diverged',
  'interrupted',
] as const satisfies readonly RunStatus[];
// `npm run check` fails here when the server's RunStatus gains a value this list does not have.
type UnknownStatus = Exclude<RunStatus, (typeof RUN_STATUSES)[number]>;
const allStatusesKnown: [UnknownStatus] extends [never] ? true : UnknownStatus = true;
void allStatusesKnown;

/** Statuses in which a run can still produce frames. */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['pending', 'running', 'paused'];

export function isActive(status: string | null | undefined): boolean {
  return status != null && (ACTIVE_STATUSES as readonly string[]).includes(status);
}

export type Layer = Schemas['Layer'];
export type DataInfo = Schemas['DataInfo'];
export type InsightEvent = Omit<Schemas['Event'], 'type'>;
/** A metric the server could not compute, or that was not finite, arrives as null. */
export type Metric = number | null;

/** A frame as the UI holds it: the server's Frame with its dense views decoded. Figures not measured at the
 * frame's step are absent (detail figures come only with `detail`). */
export type Frame = Omit<Schemas['Frame'], 'type' | 'dense'> & { dense?: DenseFrame };

export type HelloMessage = Omit<Schemas['Hello'], 'latest'> & { latest: Frame | null };
export type FrameMessage = Frame & { type: 'frame' };
export type EventMessage = Schemas['Event'];
export type StatusMessage = Schemas['Status'];
export type ErrorMessage = Schemas['ErrorMessage'];
export type StreamMessage = HelloMessage | FrameMessage | StatusMessage | EventMessage | ErrorMessage;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Python's json module writes non-finite floats as the bare tokens NaN, Infinity and -Infinity,
 * which JSON.parse rejects. A diverged run must still be displayable, so those tokens (outside
 * strings) become null.
 */
export function replaceNonFiniteTokens(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[++i] ?? '';
      } else if (c === '"') {
        inString = false;
      }
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (text.startsWith('NaN', i)) {
      out += 'null';
      i += 2;
    } else if (text.startsWith('-Infinity', i)) {
      out += 'null';
      i += 8;
    } else if (text.startsWith('Infinity', i)) {
      out += 'null';
      i += 7;
    } else {
      out += c;
    }
  }
  return out;
}

function decodeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return JSON.parse(replaceNonFiniteTokens(text));
    } catch {
      throw new ProtocolError(`stream message is not JSON: ${text.slice(0, 80)}`);
    }
  }
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function step(o: Obj, key: string, where: string): void {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ProtocolError(`${where}.${key} must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
}

function status(o: Obj, where: string): void {
  if (!(RUN_STATUSES as readonly unknown[]).includes(o.status)) {
    throw new ProtocolError(`${where}.status is not a run status: ${JSON.stringify(o.status)}`);
  }
}

function needString(o: Obj, key: string, where: string): void {
  if (typeof o[key] !== 'string') throw new ProtocolError(`${where}.${key} must be a string`);
}

/** A frame, checked where the UI relies on it (its seq and step), with its dense views decoded. */
export function decodeFrame(v: unknown, where = 'frame'): Frame {
  if (!isObject(v)) throw new ProtocolError(`${where} must be an object`);
  step(v, 'seq', where);
  step(v, 'step', where);
  const frame = { ...v } as Frame & { type?: string };
  delete frame.type;
  if (isObject(v.dense)) frame.dense = decodeDenseFrame(v.dense);
  else delete frame.dense;
  return frame;
}

/** Decode one text message of the stream. Throws ProtocolError when it is not a valid message. */
export function parseMessage(text: string): StreamMessage {
  const v = decodeJson(text);
  if (!isObject(v)) throw new ProtocolError('stream message must be a JSON object');
  switch (v.type) {
    case 'hello': {
      if (v.protocol !== PROTOCOL_VERSION) {
        throw new ProtocolError(`unsupported stream protocol ${v.protocol} (this UI speaks ${PROTOCOL_VERSION})`);
      }
      for (const key of ['run', 'layers', 'history', 'events']) {
        if (!(key in v)) throw new ProtocolError(`hello.${key} is missing`);
      }
      if (!isObject(v.run) || !Array.isArray(v.layers) || !isObject(v.history) || !Array.isArray(v.events)) {
        throw new ProtocolError('hello: run and history must be objects, layers and events lists');
      }
      status(v.run, 'hello.run');
      const latest = v.latest == null ? null : decodeFrame(v.latest, 'hello.latest');
      return { ...(v as unknown as HelloMessage), latest };
    }
    case 'frame':
      return { type: 'frame', ...decodeFrame(v) };
    case 'event':
      needString(v, 'kind', 'event');
      needString(v, 'message', 'event');
      step(v, 'step', 'event');
      return v as unknown as EventMessage;
    case 'status':
      status(v, 'status');
      step(v, 'step', 'status');
      if (v.error !== null && typeof v.error !== 'string') throw new ProtocolError('status.error must be a string or null');
      return v as unknown as StatusMessage;
    case 'error':
      needString(v, 'detail', 'error');
      return v as unknown as ErrorMessage;
    default:
      throw new ProtocolError(`unknown stream message type ${JSON.stringify(v.type)}`);
  }
}
