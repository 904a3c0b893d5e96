// Messages of the run stream, `WS /api/runs/{id}/stream` (docs/protocol.md, "Stream").
// They are not part of the OpenAPI schema, so they are typed and validated here by hand.

import type { RunInfo, RunStatus } from './api';
import { decodeDenseFrame, type DenseFrame } from './dense';

export const PROTOCOL_VERSION = 1;

/** Every run status the UI knows (docs/protocol.md); `diverged` ends a run like `failed`, and
 * `interrupted` is a run whose server stopped while it trained. */
export const RUN_STATUSES = [
  'pending',
  'running',
  'paused',
  'finished',
  'stopped',
  'failed',
  'diverged',
  'interrupted',
] as const;
// `npm run check` fails here when the server's RunStatus gains a value this UI does not know.
type UnknownStatus = Exclude<RunStatus, (typeof RUN_STATUSES)[number]>;
const allStatusesKnown: [UnknownStatus] extends [never] ? true : UnknownStatus = true;
void allStatusesKnown;

/** Statuses in which a run can still produce frames. */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['pending', 'running', 'paused'];

export function isActive(status: string | null | undefined): boolean {
  return status != null && (ACTIVE_STATUSES as readonly string[]).includes(status);
}

export interface Layer {
  index: number;
  name: string;
  kind: string;
  fan_in: number;
  fan_out: number;
  activation: string | null;
  /** 'none' | 'batch' | 'layer' (absent from older servers). */
  norm?: string;
  residual?: boolean;
}

/** A metric the server could not compute, or that was not finite, arrives as null. */
export type Metric = number | null;

export interface Frame {
  seq: number;
  step: number;
  epoch: number;
  time: number;
  train_loss: Metric;
  test_loss: Metric;
  train_acc: Metric;
  test_acc: Metric;
  /** One entry per layer, in the order of `hello.layers`. */
  act_mean: Metric[];
  act_std: Metric[];
  grad_norm: Metric[];
  /** The step the test figures and activation statistics were measured at: they are measured at most
   * 10 times a second and repeated in the frames between. Absent in a stored history (all measured). */
  detail_step?: number;
  /** The learning rate of the step (absent from a stored history). */
  lr?: Metric;
  act_grad_norm?: Metric[];
  weight_norm?: Metric[];
  /** log10 ||dW|| / ||W|| of the step; healthy is about -3. */
  update_ratio?: Metric[];
  /** Per layer: the 9 percentiles 0, 7, 16, 31, 50, 69, 84, 93, 100 of its output. */
  percentiles?: Metric[][];
  hist_range?: Metric[][];
  dead_fraction?: Metric[];
  saturation?: Metric[];
  unit_diversity?: Metric[];
  bn_batch_mean?: Metric[];
  bn_batch_var?: Metric[];
  bn_running_mean?: Metric[];
  bn_running_var?: Metric[];
  /** RNNs: ||dL/dh_t|| of the last recurrent layer for t = 1..T. */
  grad_time?: Metric[];
  /** RNNs: per recurrent layer, gate name -> mean activation (LSTM input/forget/output, GRU update/reset). */
  gates?: Record<string, Metric>[];
  first_bad_step?: number | null;
  /** Decoded dense arrays; only detail frames (and a hello's newest frame) carry them. */
  dense?: DenseFrame;
}

/** The percentiles each `percentiles` entry holds, in order. */
export const PERCENTILES = [0, 7, 16, 31, 50, 69, 84, 93, 100] as const;

/** What the run trains on (hello.data); absent from older servers. */
export interface DataInfo {
  input: string;
  task: string;
  classes: number;
  /** plane: [x1min, x1max, x2min, x2max]; curve: [xmin, xmax, ymin, ymax]. */
  extent: [number, number, number, number] | null;
  train: { x: number[][]; y: number[] } | null;
  test: { x: number[][]; y: number[] } | null;
  features: string[] | null;
  images: { x: number[][][]; y: number[] } | null;
  parameters: number | null;
  mlp_parameters: number | null;
}

export interface HelloMessage {
  type: 'hello';
  protocol: number;
  run: RunInfo;
  layers: Layer[];
  /** The history so far, oldest first. */
  frames: Frame[];
  /** The detectors' events so far (absent from older servers). */
  events: InsightEvent[];
  data: DataInfo | null;
}

/** What a detector saw (dead units, vanishing gradients, overfitting, ...), with a one-line explanation. */
export interface InsightEvent {
  kind: string;
  step: number;
  layer: string | null;
  /** Index of the layer in hello.layers, when the event is about one. */
  layer_index?: number | null;
  message: string;
  explanation: string;
  /** The same in Simplified Chinese (absent from older servers). */
  message_zh?: string;
  explanation_zh?: string;
}

export interface EventMessage extends InsightEvent {
  type: 'event';
}

export interface FrameMessage extends Frame {
  type: 'frame';
}

export interface StatusMessage {
  type: 'status';
  status: RunStatus;
  step: number;
  error: string | null;
}

/** Sent by the server before it refuses a stream (unknown run: then it closes with code 4404). */
export interface ErrorMessage {
  type: 'error';
  detail: string;
}

export type StreamMessage = HelloMessage | FrameMessage | StatusMessage | EventMessage | ErrorMessage;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

// ---------------------------------------------------------------------------------------------
// JSON decoding

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

// ---------------------------------------------------------------------------------------------
// Field validation

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function need(o: Obj, key: string, where: string): unknown {
  if (!(key in o)) throw new ProtocolError(`${where}.${key} is missing`);
  return o[key];
}

function num(o: Obj, key: string, where: string): number {
  const v = need(o, key, where);
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ProtocolError(`${where}.${key} must be a finite number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function int(o: Obj, key: string, where: string): number {
  const v = num(o, key, where);
  if (!Number.isInteger(v) || v < 0) {
    throw new ProtocolError(`${where}.${key} must be a non-negative integer, got ${v}`);
  }
  return v;
}

function str(o: Obj, key: string, where: string): string {
  const v = need(o, key, where);
  if (typeof v !== 'string') throw new ProtocolError(`${where}.${key} must be a string`);
  return v;
}

function optStr(o: Obj, key: string, where: string): string | null {
  const v = need(o, key, where);
  if (v !== null && typeof v !== 'string') throw new ProtocolError(`${where}.${key} must be a string or null`);
  return v;
}

function metric(o: Obj, key: string, where: string): Metric {
  const v = need(o, key, where);
  if (v === null) return null;
  if (typeof v !== 'number') throw new ProtocolError(`${where}.${key} must be a number or null`);
  return Number.isFinite(v) ? v : null;
}

function metricList(o: Obj, key: string, where: string): Metric[] {
  const v = need(o, key, where);
  if (!Array.isArray(v)) throw new ProtocolError(`${where}.${key} must be a list`);
  return v.map((x, i) => {
    if (x === null) return null;
    if (typeof x !== 'number') throw new ProtocolError(`${where}.${key}[${i}] must be a number or null`);
    return Number.isFinite(x) ? x : null;
  });
}

function status(o: Obj, key: string, where: string): RunStatus {
  const v = str(o, key, where);
  if (!(RUN_STATUSES as readonly string[]).includes(v)) {
    throw new ProtocolError(`${where}.${key} is not a run status: ${JSON.stringify(v)}`);
  }
  return v as RunStatus;
}

function optMetricList(o: Obj, key: string, where: string): Metric[] | undefined {
  return key in o && o[key] !== null ? metricList(o, key, where) : undefined;
}

function optMetricRows(o: Obj, key: string, where: string): Metric[][] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ProtocolError(`${where}.${key} must be a list`);
  return v.map((row, i) => (row === null ? [] : metricList({ row }, 'row', `${where}.${key}[${i}]`)));
}

function optGates(o: Obj, where: string): Record<string, Metric>[] | undefined {
  const v = o.gates;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ProtocolError(`${where}.gates must be a list`);
  return v.map((g, i) => {
    if (!isObject(g)) throw new ProtocolError(`${where}.gates[${i}] must be an object`);
    const out: Record<string, Metric> = {};
    for (const k of Object.keys(g)) out[k] = metric(g, k, `${where}.gates[${i}]`);
    return out;
  });
}

const OPTIONAL_LISTS = [
  'act_grad_norm',
  'weight_norm',
  'update_ratio',
  'dead_fraction',
  'saturation',
  'unit_diversity',
  'bn_batch_mean',
  'bn_batch_var',
  'bn_running_mean',
  'bn_running_var',
  'grad_time',
] as const;

export function parseFrame(v: unknown, where = 'frame'): Frame {
  if (!isObject(v)) throw new ProtocolError(`${where} must be an object`);
  return {
    seq: int(v, 'seq', where),
    step: int(v, 'step', where),
    epoch: num(v, 'epoch', where),
    time: num(v, 'time', where),
    train_loss: metric(v, 'train_loss', where),
    test_loss: metric(v, 'test_loss', where),
    train_acc: metric(v, 'train_acc', where),
    test_acc: metric(v, 'test_acc', where),
    act_mean: metricList(v, 'act_mean', where),
    act_std: metricList(v, 'act_std', where),
    grad_norm: metricList(v, 'grad_norm', where),
    ...(typeof v.detail_step === 'number' ? { detail_step: v.detail_step } : {}),
    ...optionalFields(v, where),
  };
}

function optionalFields(v: Obj, where: string): Partial<Frame> {
  const out: Partial<Frame> = {};
  if ('lr' in v) out.lr = metric(v, 'lr', where);
  if (typeof v.first_bad_step === 'number' || v.first_bad_step === null) out.first_bad_step = v.first_bad_step;
  for (const key of OPTIONAL_LISTS) {
    const list = optMetricList(v, key, where);
    if (list) out[key] = list;
  }
  const percentiles = optMetricRows(v, 'percentiles', where);
  if (percentiles) out.percentiles = percentiles;
  const range = optMetricRows(v, 'hist_range', where);
  if (range) out.hist_range = range;
  const gates = optGates(v, where);
  if (gates) out.gates = gates;
  if (isObject(v.dense)) out.dense = decodeDenseFrame(v.dense);
  return out;
}

function parseData(v: unknown): DataInfo | null {
  if (!isObject(v)) return null;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  const points = (p: unknown) =>
    isObject(p) && Array.isArray(p.x) && Array.isArray(p.y) ? { x: p.x as number[][], y: p.y as number[] } : null;
  const extent = Array.isArray(v.extent) && v.extent.length === 4 && v.extent.every((x) => typeof x === 'number');
  return {
    input: typeof v.input === 'string' ? v.input : 'unknown',
    task: typeof v.task === 'string' ? v.task : 'unknown',
    classes: num(v.classes) ?? 0,
    extent: extent ? (v.extent as [number, number, number, number]) : null,
    train: points(v.train),
    test: points(v.test),
    features: Array.isArray(v.features) ? v.features.map(String) : null,
    images: isObject(v.images) && Array.isArray(v.images.x) ? (v.images as DataInfo['images']) : null,
    parameters: num(v.parameters),
    mlp_parameters: num(v.mlp_parameters),
  };
}

export function parseLayer(v: unknown, where = 'layer'): Layer {
  if (!isObject(v)) throw new ProtocolError(`${where} must be an object`);
  const activation = 'activation' in v ? v.activation : null;
  return {
    index: int(v, 'index', where),
    name: str(v, 'name', where),
    kind: str(v, 'kind', where),
    fan_in: int(v, 'fan_in', where),
    fan_out: int(v, 'fan_out', where),
    activation: typeof activation === 'string' ? activation : null,
    ...(typeof v.norm === 'string' ? { norm: v.norm } : {}),
    ...(typeof v.residual === 'boolean' ? { residual: v.residual } : {}),
  };
}

function parseRun(v: unknown, where: string): RunInfo {
  if (!isObject(v)) throw new ProtocolError(`${where} must be an object`);
  str(v, 'id', where);
  status(v, 'status', where);
  int(v, 'step', where);
  if (!isObject(need(v, 'config', where))) throw new ProtocolError(`${where}.config must be an object`);
  // The rest of RunInfo is typed by the OpenAPI schema; it is passed through as sent.
  return v as unknown as RunInfo;
}

function list<T>(o: Obj, key: string, where: string, item: (v: unknown, where: string) => T): T[] {
  const v = need(o, key, where);
  if (!Array.isArray(v)) throw new ProtocolError(`${where}.${key} must be a list`);
  return v.map((x, i) => item(x, `${where}.${key}[${i}]`));
}

/** Decode one text message of the stream. Throws ProtocolError when it is not a valid message. */
export function parseEvent(v: unknown, where = 'event'): InsightEvent {
  if (!isObject(v)) throw new ProtocolError(`${where} must be an object`);
  return {
    kind: str(v, 'kind', where),
    step: int(v, 'step', where),
    layer: optStr(v, 'layer', where),
    ...(typeof v.layer_index === 'number' || v.layer_index === null ? { layer_index: v.layer_index } : {}),
    message: str(v, 'message', where),
    explanation: str(v, 'explanation', where),
    ...(typeof v.message_zh === 'string' ? { message_zh: v.message_zh } : {}),
    ...(typeof v.explanation_zh === 'string' ? { explanation_zh: v.explanation_zh } : {}),
  };
}

export function parseMessage(text: string): StreamMessage {
  const v = decodeJson(text);
  if (!isObject(v)) throw new ProtocolError('stream message must be a JSON object');
  const type = v.type;
  switch (type) {
    case 'hello': {
      const protocol = int(v, 'protocol', 'hello');
      if (protocol !== PROTOCOL_VERSION) {
        throw new ProtocolError(`unsupported stream protocol ${protocol} (this UI speaks ${PROTOCOL_VERSION})`);
      }
      return {
        type: 'hello',
        protocol,
        run: parseRun(need(v, 'run', 'hello'), 'hello.run'),
        layers: list(v, 'layers', 'hello', parseLayer),
        frames: list(v, 'frames', 'hello', parseFrame),
        events: 'events' in v ? list(v, 'events', 'hello', parseEvent) : [],
        data: parseData(v.data),
      };
    }
    case 'event':
      return { type: 'event', ...parseEvent(v, 'event') };
    case 'frame':
      return { type: 'frame', ...parseFrame(v) };
    case 'status':
      return {
        type: 'status',
        status: status(v, 'status', 'status'),
        step: int(v, 'step', 'status'),
        error: optStr(v, 'error', 'status'),
      };
    case 'error':
      return { type: 'error', detail: str(v, 'detail', 'error') };
    default:
      throw new ProtocolError(`unknown stream message type ${JSON.stringify(type)}`);
  }
}
