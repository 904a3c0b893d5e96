import { describe, expect, it } from 'vitest';
import { frame, frameText, helloText, historyOf, LAYERS, RUN, statusText } from './fixtures';
import { isActive, parseMessage, PROTOCOL_VERSION, ProtocolError, replaceNonFiniteTokens } from './protocol';
import { encodeDense } from './dense';

const hello = (over: object = {}) =>
  JSON.stringify({
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    run: RUN,
    layers: LAYERS,
    data: null,
    metrics: [],
    history: historyOf([]),
    latest: null,
    events: [],
    ...over,
  });

describe('parseMessage', () => {
  it('accepts a hello with layers, the history and the newest detail frame', () => {
    const msg = parseMessage(helloText([frame(0, 0), frame(1, 20, { detail: false })]));
    if (msg.type !== 'hello') throw new Error('expected a hello');
    expect(msg.protocol).toBe(2);
    expect(msg.run.id).toBe('r1');
    expect(msg.layers.map((l) => l.name)).toEqual(['hidden 1', 'hidden 2', 'output']);
    expect(msg.history.tracks.train_loss.step).toEqual([0, 20]);
    expect(msg.history.tracks.test_loss.step).toEqual([0]); // measured at the detail frame only
    expect(msg.latest).toEqual(frame(0, 0));
  });

  it('accepts a hello with an empty history and no frame yet', () => {
    const msg = parseMessage(helloText([]));
    expect(msg.type === 'hello' && msg.history.tracks).toEqual({});
    expect(msg.type === 'hello' && msg.latest).toBeNull();
  });

  it('accepts a frame, light or detail', () => {
    const detail = frame(7, 140);
    expect(parseMessage(frameText(detail))).toEqual({ type: 'frame', ...detail });
    const light = frame(8, 160, { detail: false });
    const msg = parseMessage(frameText(light));
    expect(msg).toEqual({ type: 'frame', ...light });
    expect(msg.type === 'frame' && 'test_loss' in msg).toBe(false);
  });

  it('accepts a status, with and without an error', () => {
    expect(parseMessage(statusText('paused', 120))).toEqual({ type: 'status', status: 'paused', step: 120, error: null });
    expect(parseMessage(statusText('failed', 5, 'CUDA out of memory'))).toEqual({
      type: 'status',
      status: 'failed',
      step: 5,
      error: 'CUDA out of memory',
    });
  });

  it('turns NaN / Infinity written by Python into null metrics', () => {
    const text = frameText(frame(3, 60, { train_loss: 12345, grad_norm: [23456, 34567, 1.5] }))
      .replace('12345', 'NaN')
      .replace('23456', 'Infinity')
      .replace('34567', '-Infinity');
    expect(text).toContain('NaN');
    const msg = parseMessage(text);
    if (msg.type !== 'frame') throw new Error('expected a frame');
    expect(msg.train_loss).toBeNull();
    expect(msg.grad_norm).toEqual([null, null, 1.5]);
  });

  it('leaves NaN inside strings alone', () => {
    expect(replaceNonFiniteTokens('{"a":"NaN \\"Infinity\\"","b":NaN}')).toBe('{"a":"NaN \\"Infinity\\"","b":null}');
    const msg = parseMessage(statusText('failed', 1, 'loss is NaN'));
    expect(msg.type === 'status' && msg.error).toBe('loss is NaN');
  });

  const bad: [string, string][] = [
    ['not JSON', '{"type": "frame", '],
    ['empty text', ''],
    ['a JSON array', '[1, 2]'],
    ['a JSON string', '"hello"'],
    ['no type', JSON.stringify({ status: 'running', step: 1, error: null })],
    ['an unknown type', JSON.stringify({ type: 'gossip' })],
    ['an event without a message', JSON.stringify({ type: 'event', kind: 'dead_units', step: 1 })],
    ['a frame without seq', JSON.stringify({ ...JSON.parse(frameText(frame(1, 1))), seq: undefined })],
    ['a frame with a string step', JSON.stringify({ ...JSON.parse(frameText(frame(1, 1))), step: '1' })],
    ['a frame with a negative seq', JSON.stringify({ ...JSON.parse(frameText(frame(1, 1))), seq: -1 })],
    ['a status with an unknown status', statusText('exploded', 3)],
    ['a status without step', JSON.stringify({ type: 'status', status: 'running', error: null })],
    ['a status with a numeric error', JSON.stringify({ type: 'status', status: 'running', step: 3, error: 4 })],
    ['a hello without layers', hello({ layers: undefined })],
    ['a hello without run', hello({ run: undefined })],
    ['a hello without history', hello({ history: undefined })],
    ['a hello of another protocol', hello({ protocol: 1 })],
    ['a hello with a bad latest frame', hello({ latest: { seq: 0 } })],
    ['a hello whose run has a bad status', hello({ run: { ...RUN, status: 'x' } })],
  ];
  it.each(bad)('rejects %s', (_name, text) => {
    expect(() => parseMessage(text)).toThrow(ProtocolError);
  });

  it('names the field in the error', () => {
    expect(() => parseMessage(hello({ latest: { ...frame(0, 0), step: undefined } }))).toThrow(/hello\.latest\.step/);
    expect(() => parseMessage(hello({ protocol: 1 }))).toThrow(/protocol 1 \(this UI speaks 2\)/);
  });
});

describe('isActive', () => {
  it('is true for pending, running and paused only', () => {
    expect(['pending', 'running', 'paused'].every(isActive)).toBe(true);
    expect(['finished', 'stopped', 'failed', 'idle', null, undefined].some(isActive)).toBe(false);
  });
});

describe('server extras', () => {
  it('accepts the diverged status (terminal)', () => {
    const msg = parseMessage(statusText('diverged', 120, 'loss is not finite'));
    expect(msg).toEqual({ type: 'status', status: 'diverged', step: 120, error: 'loss is not finite' });
    expect(isActive('diverged')).toBe(false);
  });

  it('accepts the error message sent before a refused stream', () => {
    expect(parseMessage('{"type":"error","detail":"run \'x\' not found"}')).toEqual({ type: 'error', detail: "run 'x' not found" });
    expect(() => parseMessage('{"type":"error"}')).toThrow(ProtocolError);
  });
});

describe('events', () => {
  it('parses a detector event and the events in hello', () => {
    const event = {
      kind: 'dead_units',
      step: 120,
      layer: 'hidden 2',
      layer_index: 1,
      message: 'hidden 2: 70% dead',
      message_zh: 'hidden 2：70% 死亡',
      explanation: 'why',
      explanation_zh: '为什么',
    };
    expect(parseMessage(JSON.stringify({ type: 'event', ...event }))).toEqual({ type: 'event', ...event });
    const msg = parseMessage(hello({ events: [event] }));
    expect(msg.type === 'hello' && msg.events).toEqual([event]);
  });
});

describe('detail frames', () => {
  it('decodes the dense views, whatever the registry names them', () => {
    const dense = {
      hist: encodeDense([3, 2], [0, 0.5, 1, 0, 0.25, 0.75]),
      unit_maps: { '0': encodeDense([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]) },
      weights: { '2': encodeDense([1, 2], [-1, 1]) },
    };
    const raw = { type: 'frame', ...frame(3, 30), gate_forget: [0.7, null, null], dense };
    const msg = parseMessage(JSON.stringify(raw));
    if (msg.type !== 'frame') throw new Error('not a frame');
    expect(msg.gate_forget).toEqual([0.7, null, null]);
    const hist = msg.dense?.hist;
    expect(hist?.shape).toEqual([3, 2]);
    const expected = [0, 0.5, 1, 0, 0.25, 0.75].map((v) => Math.round(v * 255) / 255);
    Array.from(hist!.data).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    expect(msg.dense?.unit_maps?.[0].shape).toEqual([2, 2, 2]);
    expect(msg.dense?.weights?.[2].data[0]).toBeCloseTo(-1);
    const latest = parseMessage(hello({ latest: raw }));
    expect(latest.type === 'hello' && latest.latest?.dense?.hist?.shape).toEqual([3, 2]);
  });

  it('drops a dense array whose bytes do not match its shape, keeping the rest', () => {
    const bad = { ...encodeDense([2, 2], [0, 1, 2, 3]), shape: [3, 3] };
    const msg = parseMessage(
      JSON.stringify({ type: 'frame', ...frame(0, 1), dense: { grid: bad, hist: encodeDense([1, 2], [0, 1]) } }),
    );
    if (msg.type !== 'frame') throw new Error('not a frame');
    expect(msg.dense?.grid).toBeUndefined();
    expect(msg.dense?.hist?.shape).toEqual([1, 2]);
  });

  it('reads hello.data', () => {
    const data = {
      input: 'plane',
      task: 'binary',
      classes: 2,
      extent: [-1, 1, -2, 2],
      train: { x: [[0, 1]], y: [1] },
      test: null,
      features: ['x1', 'x2'],
      images: null,
      parameters: 113,
      mlp_parameters: null,
    };
    const msg = parseMessage(hello({ data }));
    expect(msg.type === 'hello' && msg.data).toEqual(data);
  });
});
