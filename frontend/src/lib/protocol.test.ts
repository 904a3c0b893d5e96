import { describe, expect, it } from 'vitest';
import { frame, frameText, helloText, LAYERS, RUN, statusText } from './fixtures';
import { isActive, parseMessage, ProtocolError, replaceNonFiniteTokens } from './protocol';
import { encodeDense } from './dense';

describe('parseMessage', () => {
  it('accepts a hello with layers and history', () => {
    const msg = parseMessage(helloText());
    expect(msg.type).toBe('hello');
    if (msg.type !== 'hello') throw new Error('unreachable');
    expect(msg.protocol).toBe(1);
    expect(msg.run.id).toBe('r1');
    expect(msg.run.status).toBe('running');
    expect(msg.layers.map((l) => l.name)).toEqual(['hidden 1', 'hidden 2', 'output']);
    expect(msg.layers[2].activation).toBe('none');
    expect(msg.frames.map((f) => f.seq)).toEqual([0, 1]);
    expect(msg.frames[1]).toEqual(frame(1, 20));
  });

  it('accepts a hello with an empty history', () => {
    const msg = parseMessage(helloText([]));
    expect(msg.type === 'hello' && msg.frames).toEqual([]);
  });

  it('accepts a frame', () => {
    const f = frame(7, 140);
    const msg = parseMessage(frameText(f));
    expect(msg).toEqual({ type: 'frame', ...f });
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
    ['an unknown type', JSON.stringify({ type: 'event', name: 'dead units' })],
    ['a frame without seq', JSON.stringify({ ...JSON.parse(frameText(frame(1, 1))), seq: undefined })],
    ['a frame without grad_norm', JSON.stringify({ ...JSON.parse(frameText(frame(1, 1))), grad_norm: undefined })],
    ['a frame with a string step', JSON.stringify({ ...JSON.parse(frameText(frame(1, 1))), step: '1' })],
    ['a frame with a negative seq', JSON.stringify({ ...JSON.parse(frameText(frame(1, 1))), seq: -1 })],
    ['a frame with a non-list grad_norm', JSON.stringify({ ...JSON.parse(frameText(frame(1, 1))), grad_norm: 0.5 })],
    ['a frame with a string in grad_norm', JSON.stringify({ ...JSON.parse(frameText(frame(1, 1))), grad_norm: ['x'] })],
    ['a frame with a string loss', JSON.stringify({ ...JSON.parse(frameText(frame(1, 1))), test_loss: 'low' })],
    ['a status with an unknown status', statusText('exploded', 3)],
    ['a status without step', JSON.stringify({ type: 'status', status: 'running', error: null })],
    ['a status without error', JSON.stringify({ type: 'status', status: 'running', step: 3 })],
    ['a hello without layers', JSON.stringify({ type: 'hello', protocol: 1, run: RUN, frames: [] })],
    ['a hello without run', JSON.stringify({ type: 'hello', protocol: 1, layers: LAYERS, frames: [] })],
    ['a hello of another protocol', JSON.stringify({ type: 'hello', protocol: 2, run: RUN, layers: LAYERS, frames: [] })],
    ['a hello with a bad layer', JSON.stringify({ type: 'hello', protocol: 1, run: RUN, layers: [{ index: 0 }], frames: [] })],
    ['a hello with a bad frame', JSON.stringify({ type: 'hello', protocol: 1, run: RUN, layers: LAYERS, frames: [{ seq: 0 }] })],
    ['a hello whose run has a bad status', JSON.stringify({ type: 'hello', protocol: 1, run: { ...RUN, status: 'x' }, layers: LAYERS, frames: [] })],
  ];
  it.each(bad)('rejects %s', (_name, text) => {
    expect(() => parseMessage(text)).toThrow(ProtocolError);
  });

  it('names the missing field in the error', () => {
    const text = JSON.stringify({ ...JSON.parse(frameText(frame(1, 1))), test_acc: undefined });
    expect(() => parseMessage(text)).toThrow(/frame\.test_acc is missing/);
    expect(() =>
      parseMessage(JSON.stringify({ type: 'hello', protocol: 1, run: RUN, layers: LAYERS, frames: [{ ...frame(0, 0), step: undefined }] })),
    ).toThrow(/hello\.frames\[0\]\.step is missing/);
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
    const event = { kind: 'dead_units', step: 120, layer: 'hidden 2', message: 'hidden 2: 70% dead', explanation: 'why' };
    const msg = parseMessage(JSON.stringify({ type: 'event', ...event, layer_index: 1 }));
    expect(msg).toEqual({ type: 'event', ...event, layer_index: 1 });
    const hello = parseMessage(
      JSON.stringify({ type: 'hello', protocol: 1, run: RUN, layers: LAYERS, frames: [], events: [event] }),
    );
    expect(hello.type === 'hello' && hello.events).toEqual([event]);
    expect(hello.type === 'hello' && hello.data).toBeNull();
    expect(() => parseMessage(JSON.stringify({ type: 'event', kind: 'x' }))).toThrow();
  });
});

describe('detail frames', () => {
  it('decodes the per-layer detail figures, the gates and the dense arrays', () => {
    const dense = {
      hist: encodeDense([3, 2], [0, 0.5, 1, 0, 0.25, 0.75]),
      unit_maps: { '0': encodeDense([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]) },
      weights: { '2': encodeDense([1, 2], [-1, 1]) },
    };
    const raw = {
      type: 'frame',
      ...frame(3, 30),
      lr: 0.01,
      update_ratio: [-3, -2.5, null],
      percentiles: [[-1, -0.5, -0.2, -0.1, 0, 0.1, 0.2, 0.5, 1], null, [0, 0, 0, 0, 0, 0, 0, 0, 0]],
      dead_fraction: [0.5, null, null],
      gates: [{ forget: 0.7, input: 0.4 }],
      dense,
    };
    const msg = parseMessage(JSON.stringify(raw));
    if (msg.type !== 'frame') throw new Error('not a frame');
    expect(msg.lr).toBe(0.01);
    expect(msg.update_ratio).toEqual([-3, -2.5, null]);
    expect(msg.percentiles?.[1]).toEqual([]);
    expect(msg.dead_fraction).toEqual([0.5, null, null]);
    expect(msg.gates).toEqual([{ forget: 0.7, input: 0.4 }]);
    const hist = msg.dense?.hist;
    expect(hist?.shape).toEqual([3, 2]);
    const expected = [0, 0.5, 1, 0, 0.25, 0.75].map((v) => Math.round(v * 255) / 255);
    Array.from(hist!.data).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    expect(msg.dense?.unit_maps?.[0].shape).toEqual([2, 2, 2]);
    expect(msg.dense?.weights?.[2].data[0]).toBeCloseTo(-1);
    expect(() => parseMessage(JSON.stringify({ ...raw, update_ratio: 'x' }))).toThrow(ProtocolError);
    expect(() => parseMessage(JSON.stringify({ ...raw, gates: [3] }))).toThrow(ProtocolError);
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
    const hello = parseMessage(JSON.stringify({ type: 'hello', protocol: 1, run: RUN, layers: LAYERS, frames: [], data }));
    expect(hello.type === 'hello' && hello.data).toEqual(data);
  });
});
