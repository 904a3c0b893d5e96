import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from './api';
import { DEFAULTS } from './fixtures';
import { decodeConfig, decodeLab, decodeUrl, encodeConfig, encodeUrl, type LabSetup, type UrlContext, type UrlState } from './urlstate';

const defaults = DEFAULTS;
const ctx: UrlContext = {
  defaults,
  labDefaults: (name): Record<string, number> => (name === 'momentum' ? { momentum: 0.9, weight_decay: 0 } : {}),
};

/** A state with every part at its default. */
function plain(over: Partial<UrlState> = {}): UrlState {
  return { tab: 'playground', lesson: null, lang: 'en', config: structuredClone(defaults), lab: null, ...over };
}

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
    const query = encodeUrl(plain({ lang: 'zh', config: changed() }), ctx);
    expect(query.startsWith('?lang=zh&')).toBe(true);
    expect(query).toContain('model.hidden=16,16,4');
    const link = decodeUrl(query, ctx);
    expect(link.config?.errors).toEqual([]);
    expect(link.config?.config).toEqual(changed());
    expect(link.lang).toBe('zh');
  });

  it('round-trips an empty list and a set upload id', () => {
    const c = structuredClone(defaults);
    c.model.hidden = [];
    c.dataset.upload = '0123456789ab';
    const { config } = decodeConfig(new URLSearchParams(encodeUrl(plain({ config: c }), ctx)), defaults);
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

describe('a link with values the server would refuse', () => {
  it('applies none of them: each is listed with its limit, the default kept, so nothing runs silently', () => {
    const params = new URLSearchParams(
      'steps=-5&optimizer.lr=1e9&dataset.name=nope&model.hidden=8,5000&seed=3&optimizer.name=warp',
    );
    const { config, applied, errors, refused } = decodeConfig(params, defaults);
    expect(applied).toEqual(['seed']);
    expect(errors).toEqual([]);
    expect(config).toEqual({ ...defaults, seed: 3 });
    const byPath = Object.fromEntries(refused.map((r) => [r.path, r]));
    expect(Object.keys(byPath)).toEqual(['steps', 'optimizer.lr', 'dataset.name', 'model.hidden', 'optimizer.name']);
    expect(byPath.steps).toMatchObject({ text: '-5', scalar: true, problem: { kind: 'below', limit: 1 } });
    expect(byPath['optimizer.lr']).toMatchObject({ text: '1e9', scalar: true, problem: { kind: 'above', limit: 10 } });
    expect(byPath['dataset.name']).toMatchObject({ scalar: false, problem: { kind: 'notChoice', text: 'nope' } });
    expect(byPath['dataset.name'].problem).toMatchObject({ choices: expect.arrayContaining(['circle', 'spiral']) });
    expect(byPath['model.hidden']).toMatchObject({
      scalar: false,
      problem: { kind: 'item', index: 1, problem: { kind: 'above', limit: 1024 } },
    });
    expect(byPath['optimizer.name'].problem.kind).toBe('notChoice');
  });

  it('takes values at their limits and whole numbers only where the schema wants integers', () => {
    const ok = decodeConfig(new URLSearchParams('optimizer.lr=10&steps=1&model.hidden=1,1024'), defaults);
    expect(ok.refused).toEqual([]);
    expect(ok.config.optimizer.lr).toBe(10);
    const half = decodeConfig(new URLSearchParams('steps=2.5'), defaults);
    expect(half.refused[0]).toMatchObject({ path: 'steps', problem: { kind: 'notInteger', text: '2.5' } });
    expect(half.config.steps).toBe(defaults.steps);
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

describe('the whole link', () => {
  const lab: LabSetup = {
    surface: 'quadratic',
    k: 100,
    lr: 0.0198,
    steps: 400,
    start: [-1.8, 0.6],
    ticked: { sgd: true, momentum: true, adam: false },
    settings: { momentum: { momentum: 0.5, weight_decay: 0 } },
    view: 'apart',
  };

  it('is empty when all is default', () => {
    expect(encodeUrl(plain(), ctx)).toBe('');
    const link = decodeUrl('', ctx);
    expect(link).toMatchObject({ tab: 'playground', lesson: null, lang: null, lab: null, extra: [] });
    expect(link.config).toEqual({ config: defaults, applied: [], errors: [], refused: [] });
  });

  it('round-trips every part: language, tab, lesson, lab setup, config and keys of no part', () => {
    const state = plain({
      lang: 'zh',
      tab: 'lab',
      lesson: 'saddle-points',
      config: changed(),
      lab,
      extra: [['utm', 'x']],
    });
    const query = encodeUrl(state, ctx);
    expect(query).toMatch(/^\?lang=zh&tab=lab&lesson=saddle-points&utm=x&lab\.surface=quadratic&/);
    const link = decodeUrl(query, ctx);
    expect(link.lang).toBe('zh');
    expect(link.tab).toBe('lab');
    expect(link.lesson).toBe('saddle-points');
    expect(link.extra).toEqual([['utm', 'x']]);
    expect(link.config?.config).toEqual(changed());
    expect(link.config?.errors).toEqual([]);
    expect(link.lab).toEqual({
      surface: 'quadratic',
      start: [-1.8, 0.6],
      lr: 0.0198,
      steps: 400,
      k: 100,
      optimizers: ['sgd', 'momentum'],
      settings: { momentum: { momentum: 0.5 } }, // weight_decay is at its default: left out
      view: 'apart',
    });
    // and what it decodes to encodes to the same link
    expect(
      encodeUrl(
        {
          tab: link.tab,
          lesson: link.lesson,
          lang: link.lang ?? 'en',
          config: link.config!.config,
          lab: { ...lab, settings: link.lab!.settings },
          extra: link.extra,
        },
        ctx,
      ),
    ).toBe(query);
  });

  it('leaves out the lab numbers it does not have yet', () => {
    const partial = { ...lab, lr: NaN, start: [NaN, NaN] as [number, number], ticked: {}, settings: {}, view: 'overlay' as const };
    expect(encodeUrl(plain({ tab: 'lab', lab: partial }), ctx)).toBe('?tab=lab&lab.surface=quadratic&lab.steps=400&lab.k=100&lab.optimizers=');
  });

  it('writes the lab only while the lab is shown, and keeps the lesson on other tabs', () => {
    const query = encodeUrl(plain({ tab: 'compare', lesson: 'dead-relu', lab }), ctx);
    expect(query).toBe('?tab=compare&lesson=dead-relu');
    expect(encodeUrl(plain({ tab: 'lab', lab: null }), ctx)).toBe('?tab=lab');
  });

  it('holds the sweep shown, and the member of it shown as the run', () => {
    const query = encodeUrl(plain({ tab: 'sweeps', sweep: 'a5b7c035bb28', run: '98ce45ba2914' }), ctx);
    expect(query).toBe('?tab=sweeps&run=98ce45ba2914&sweep=a5b7c035bb28');
    const link = decodeUrl(query, ctx);
    expect([link.tab, link.sweep, link.run]).toEqual(['sweeps', 'a5b7c035bb28', '98ce45ba2914']);
    expect(link.extra).toEqual([]); // a key of the app's, not kept as a stranger
    expect(decodeUrl('?sweep=%20', ctx).sweep).toBeNull();
  });

  it('reads the links users share', () => {
    const shared = decodeUrl('?dataset.name=spiral&model.hidden=8,8,8&seed=3', ctx);
    expect(shared.tab).toBe('playground');
    expect(shared.config?.applied).toEqual(['dataset.name', 'model.hidden', 'seed']);
    expect(shared.config?.config.model.hidden).toEqual([8, 8, 8]);
    expect(shared.config?.config.seed).toBe(3);
    expect(shared.extra).toEqual([]);

    const lesson = decodeUrl('?tab=lessons&lesson=dead-relu', ctx);
    expect([lesson.tab, lesson.lesson, lesson.config?.applied]).toEqual(['lessons', 'dead-relu', []]);

    const lablink = decodeUrl('?tab=lab&lab.surface=saddle&lab.start=1.8,0.001&lab.lr=0.05&lab.optimizers=sgd,adam', ctx);
    expect(lablink.lab).toMatchObject({ surface: 'saddle', start: [1.8, 0.001], lr: 0.05, steps: null, optimizers: ['sgd', 'adam'] });
    expect(lablink.config?.errors).toEqual([]); // lab keys are not config keys
    expect(decodeLab(new URLSearchParams('lab.start=1,2'))).toBeNull(); // no surface, no lab setup

    expect(decodeUrl('?lang=zh', ctx).lang).toBe('zh');
  });

  it('ignores unknown tabs and languages, drops the token, and names a bad key while the rest applies', () => {
    const link = decodeUrl('?tab=nope&lang=xx&lesson=&token=s3cret&foo=bar&optimizer.lr=fast&seed=5&model.nope=1', ctx);
    expect(link.tab).toBe('playground');
    expect(link.lang).toBeNull();
    expect(link.lesson).toBeNull();
    expect(link.extra).toEqual([['foo', 'bar']]);
    expect(link.config?.config.seed).toBe(5);
    expect(link.config?.errors).toEqual(["optimizer.lr: 'fast' is not a number", 'model.nope: not a setting']);
    const again = encodeUrl(plain({ config: link.config!.config, extra: link.extra }), ctx);
    expect(again).toBe('?foo=bar&seed=5');
  });

  it('reads only the app parts without the defaults', () => {
    const link = decodeUrl('?tab=lessons&lesson=x&seed=3&lab.surface=saddle');
    expect(link.config).toBeNull();
    expect(link.extra).toEqual([]);
    expect([link.tab, link.lesson, link.lab?.surface]).toEqual(['lessons', 'x', 'saddle']);
  });
});

describe('the run shown and a run that trains until stopped', () => {
  it('carries the run alongside the config, and reads it back', () => {
    const query = encodeUrl(plain({ run: 'a1b2c3d4', config: changed() }), ctx);
    expect(query).toMatch(/^\?run=a1b2c3d4&/);
    const link = decodeUrl(query, ctx);
    expect(link.run).toBe('a1b2c3d4');
    expect(link.config?.config).toEqual(changed());
    expect(link.config?.errors).toEqual([]);
    expect(link.extra).toEqual([]); // `run` is the link's own key, not an unknown one kept as it came
    expect(decodeUrl('?seed=3', ctx).run).toBeNull();
    expect(decodeUrl('?run=', ctx).run).toBeNull();
    expect(encodeUrl(plain({ run: null }), ctx)).toBe('');
  });

  it('round-trips the view (advanced settings shown) and the panel presented, and leaves them out by default', () => {
    const query = encodeUrl(plain({ advanced: true, present: 'loss-chart', config: changed() }), ctx);
    expect(query).toMatch(/^\?view=advanced&present=loss-chart&/);
    const link = decodeUrl(query, ctx);
    expect(link.advanced).toBe(true);
    expect(link.present).toBe('loss-chart');
    expect(link.extra).toEqual([]); // both are the link's own keys
    expect(link.config?.config).toEqual(changed());
    expect(encodeUrl(plain({ advanced: false, present: null }), ctx)).toBe('');
    // no view: the page's remembered choice; view=basic: the beginner view whatever was remembered
    expect(decodeUrl('', ctx)).toMatchObject({ advanced: null, present: null });
    expect(decodeUrl('?view=basic', ctx).advanced).toBe(false);
    expect(decodeUrl('?view=nonsense&present=', ctx)).toMatchObject({ advanced: null, present: null });
  });

  it('round-trips steps=null (until stopped), and refuses null where the schema does not allow it', () => {
    const c = structuredClone(defaults);
    c.steps = null;
    const query = encodeUrl(plain({ config: c }), ctx);
    expect(query).toBe('?steps=null');
    const link = decodeUrl(query, ctx);
    expect(link.config?.errors).toEqual([]);
    expect(link.config?.config.steps).toBeNull();
    expect(link.config?.config).toEqual(c);
    const bad = decodeUrl('?seed=null&optimizer.lr=null', ctx).config!;
    expect(bad.errors).toEqual(["seed: 'null' is not a number", "optimizer.lr: 'null' is not a number"]);
    expect(bad.config.seed).toBe(defaults.seed);
  });
});
