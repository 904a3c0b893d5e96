import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from './api';
import { DEFAULTS } from './fixtures';
import { appParams, buildQuery, decodeConfig, encodeConfig } from './urlstate';

const defaults = DEFAULTS;

function changed(): ExperimentConfig {
  const c = structuredClone(defaults);
  c.dataset.name = 'spiral';
  c.dataset.noise = 0.25;
  c.dataset.features = ['x1', 'x2', 'sin_x1'];
  c.model.hidden = [16, 16, 4];
  c.model.residual = true;
  c.model.layers = [{ index: 1, activation: 'relu', norm: null, residual: null }];
  c.optimizer.lr = 0.003;
  c.optimizer.name = 'momentum';
  c.seed = 7;
  return c;
}

describe('URL state', () => {
  it('holds only what differs from the defaults', () => {
    expect(encodeConfig(defaults, defaults).toString()).toBe('');
    const p = encodeConfig(changed(), defaults);
    expect(p.get('dataset.name')).toBe('spiral');
    expect(p.get('model.hidden')).toBe('16,16,4');
    expect(p.get('model.residual')).toBe('true');
    expect(p.get('seed')).toBe('7');
    expect(p.has('batch_size')).toBe(false);
  });

  it('round-trips a config through the query string', () => {
    const query = buildQuery(changed(), defaults, { lang: 'zh', tab: null });
    expect(query.startsWith('?lang=zh&')).toBe(true);
    expect(query).toContain('model.hidden=16,16,4');
    const params = new URLSearchParams(query);
    const { config, errors } = decodeConfig(params, defaults);
    expect(errors).toEqual([]);
    expect(config).toEqual(changed());
    expect(appParams(params, defaults).get('lang')).toBe('zh');
  });

  it('round-trips an empty list and a set upload id', () => {
    const c = structuredClone(defaults);
    c.model.hidden = [];
    c.dataset.upload = '0123456789ab';
    const { config } = decodeConfig(new URLSearchParams(buildQuery(c, defaults, {})), defaults);
    expect(config.model.hidden).toEqual([]);
    expect(config.dataset.upload).toBe('0123456789ab');
  });

  it('names the keys it cannot use and applies the rest', () => {
    const params = new URLSearchParams('optimizer.lr=fast&model.nope=1&seed=3&lang=en&model=4&model.hidden=8,x');
    const { config, errors, applied } = decodeConfig(params, defaults);
    expect(config.seed).toBe(3);
    expect(config.optimizer.lr).toBe(defaults.optimizer.lr);
    expect(applied).toEqual(['seed']);
    expect(errors).toEqual([
      "optimizer.lr: 'fast' is not a number",
      'model.nope: not a setting',
      'model: not a setting',
      "model.hidden: 'x' is not a number",
    ]);
  });
});

describe('a link that switches a choice', () => {
  const resets = (namePath: string, from: string, to: string): [string, unknown][] =>
    namePath === 'optimizer.name' && to === 'rmsprop' && from !== 'rmsprop' ? [['optimizer.momentum', 0]] : [];

  it("takes the new choice's own defaults unless the link sets them", () => {
    const plain = decodeConfig(new URLSearchParams('optimizer.name=rmsprop'), DEFAULTS, resets).config;
    expect(plain.optimizer.name).toBe('rmsprop');
    expect(plain.optimizer.momentum).toBe(0);
    const withMomentum = decodeConfig(new URLSearchParams('optimizer.momentum=0.5&optimizer.name=rmsprop'), DEFAULTS, resets);
    expect(withMomentum.config.optimizer.momentum).toBe(0.5);
    // without resets (or a choice without defaults of its own) the link's keys are all there is
    expect(decodeConfig(new URLSearchParams('optimizer.name=rmsprop'), DEFAULTS).config.optimizer.momentum).toBe(
      DEFAULTS.optimizer.momentum,
    );
  });
});
