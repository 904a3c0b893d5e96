import { describe, expect, it } from 'vitest';
import type { Choice, Options } from './api';
import { DEFAULTS } from './fixtures';
import { choicesFor, fieldInfo, getPath, paramPaths, schemaProblem, setPath, switchedDefaults } from './schema';

describe('fieldInfo', () => {
  it('reads ranges, kinds and descriptions from the server schema', () => {
    const lr = fieldInfo('optimizer.lr');
    expect(lr?.kind).toBe('number');
    expect(lr?.min).toBeGreaterThan(0);
    expect(lr?.max).toBe(10);
    expect(fieldInfo('batch_size')).toMatchObject({ kind: 'integer', min: 1, max: 4096 });
    expect(fieldInfo('model.residual')?.kind).toBe('boolean');
    expect(fieldInfo('model.activation')?.values).toContain('relu');
    expect(fieldInfo('dataset.features')).toMatchObject({ kind: 'enum-list', minItems: 1 });
    expect(fieldInfo('model.hidden')).toMatchObject({ kind: 'number-list', itemMin: 1, itemMax: 1024 });
    expect(fieldInfo('frame_hz')).toMatchObject({ min: 0, minExclusive: true, max: 30 });
    expect(fieldInfo('dataset.upload')?.kind).toBe('string');
    expect(fieldInfo('model.nope')).toBeNull();
    expect(fieldInfo('optimizer.momentum')?.description).toMatch(/previous update/);
  });
});

describe('choices', () => {
  const choice = (name: string, params: string[] = []): Choice =>
    ({ name, label: name, description: '', tags: {}, params: params.map((p) => ({ name: p })) }) as unknown as Choice;
  const options = {
    activations: [choice('relu'), choice('tanh')],
    optimizers: [choice('sgd', ['lr']), choice('momentum', ['lr', 'momentum', 'nope'])],
  } as unknown as Options;

  it("takes a field's choices from the options list its schema names, never by comparing names", () => {
    expect(fieldInfo('model.activation')?.list).toBe('activations');
    expect(fieldInfo('optimizer.name')?.list).toBe('optimizers');
    expect(fieldInfo('dataset.features')).toMatchObject({ kind: 'enum-list', list: 'features' });
    expect(fieldInfo('model.init.mode')).toMatchObject({ kind: 'enum' }); // an enum with no options list
    expect(fieldInfo('model.init.mode')?.list).toBeUndefined();
    expect(choicesFor(options, fieldInfo('model.activation'))).toBe(options.activations);
    expect(choicesFor(options, fieldInfo('model.init.mode'))).toBeNull();
    expect(choicesFor(options, fieldInfo('seed'))).toBeNull();
    expect(choicesFor(options, null)).toBeNull();
    // two lists with the same names (the norms and the clipping modes could both be none/...): each field still
    // gets its own
    const twins = { ...options, norms: [choice('none'), choice('x')], clipping: [choice('none'), choice('x')] } as unknown as Options;
    expect(choicesFor(twins, fieldInfo('model.norm'))).toBe(twins.norms);
    expect(choicesFor(twins, fieldInfo('clipping.name'))).toBe(twins.clipping);
  });

  it('maps a choice to its parameter fields beside it', () => {
    expect(paramPaths('optimizer.name', options.optimizers[1])).toEqual(['optimizer.lr', 'optimizer.momentum']);
    expect(paramPaths('optimizer.name', undefined)).toEqual([]);
  });

  it('reads and writes dotted paths', () => {
    const c = structuredClone(DEFAULTS);
    setPath(c, 'model.init.gain', 2);
    expect(getPath(c, 'model.init.gain')).toBe(2);
    expect(getPath(c, 'model.x.y')).toBeUndefined();
  });
});

describe('switching a choice', () => {
  const param = (name: string, value: number) => ({ name, default: value }) as unknown as Choice['params'][number];
  const choice = (name: string, params: [string, number][]) =>
    ({ name, params: params.map(([n, v]) => param(n, v)) }) as unknown as Choice;
  const momentum = choice('momentum', [['lr', 0.01], ['momentum', 0.9], ['weight_decay', 0]]);
  const rmsprop = choice('rmsprop', [['lr', 0.01], ['rho', 0.9], ['momentum', 0], ['weight_decay', 0]]);
  const adam = choice('adam', [['lr', 0.01], ['beta1', 0.9], ['weight_decay', 0]]);
  const generic = (name: string) => ({ lr: 0.01, momentum: 0.9, rho: 0.9, weight_decay: 0, beta1: 0.9 })[name];

  it('resets only what the new choice defaults differently', () => {
    expect(switchedDefaults(momentum, rmsprop, generic)).toEqual([['momentum', 0]]);
    expect(switchedDefaults(rmsprop, momentum, generic)).toEqual([['momentum', 0.9]]);
    // from a choice without momentum: the schema's generic 0.9 is what the config holds
    expect(switchedDefaults(adam, rmsprop, generic)).toEqual([['momentum', 0]]);
    expect(switchedDefaults(adam, momentum, generic)).toEqual([]);
  });
});

describe('schemaProblem: what the server would refuse, as its schema says', () => {
  it('checks numbers against their range, integers for wholeness, and lets null through where allowed', () => {
    expect(schemaProblem('optimizer.lr', 0.03)).toBeNull();
    expect(schemaProblem('optimizer.lr', 11, '11')).toEqual({ kind: 'above', text: '11', limit: 10 });
    expect(schemaProblem('batch_size', 0)).toMatchObject({ kind: 'below', limit: 1 });
    expect(schemaProblem('seed', 1.5)).toMatchObject({ kind: 'notInteger' });
    expect(schemaProblem('steps', null)).toBeNull();
  });

  it('checks choices and lists: their names, their items and their length', () => {
    expect(schemaProblem('model.activation', 'relu')).toBeNull();
    expect(schemaProblem('model.activation', 'swish2')).toMatchObject({ kind: 'notChoice', text: 'swish2' });
    expect(schemaProblem('dataset.features', ['x1', 'nope'])).toMatchObject({ kind: 'item', index: 1 });
    const info = fieldInfo('model.hidden')!;
    expect(info.itemKind).toBe('integer');
    expect(schemaProblem('model.hidden', [8, 0])).toMatchObject({ kind: 'item', index: 1, problem: { kind: 'below' } });
    expect(schemaProblem('model.hidden', [8, 2.5])).toMatchObject({ kind: 'item', problem: { kind: 'notInteger' } });
    const tooMany = Array.from({ length: (info.maxItems ?? 0) + 1 }, () => 4);
    expect(schemaProblem('model.hidden', tooMany)).toMatchObject({ kind: 'count', max: info.maxItems });
    expect(schemaProblem('no.such.path', 5)).toBeNull();
  });
});
