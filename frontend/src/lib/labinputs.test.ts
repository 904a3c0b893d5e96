import { describe, expect, it } from 'vitest';
import type { Choice } from './api';
import type { LabSurfaces, Surface } from './lab';
import {
  completeInputs,
  defaultK,
  defaultSettings,
  labRequest,
  lrOf,
  lrParam,
  ownSettings,
  pickSurface,
  setCommonLr,
  setSetting,
  startOutside,
  typedStart,
  type LabInputs,
} from './labinputs';

const lr = { name: 'lr', default: 0.01, min: 1e-6, max: 10, log: true };
const choices = [
  { name: 'sgd', label: 'SGD', description: '', params: [lr, { name: 'weight_decay', default: 0, min: 0, max: 1 }] },
  { name: 'momentum', label: 'Momentum', description: '', params: [lr, { name: 'momentum', default: 0.9, min: 0, max: 0.999 }] },
  { name: 'adam', label: 'Adam', description: '', params: [lr, { name: 'beta1', default: 0.9, min: 0, max: 0.9999 }] },
] as unknown as Choice[];
const defaultsOf = (name: string) => defaultSettings(choices.find((c) => c.name === name)!);

function surface(name: string, over: Partial<Surface> = {}): Surface {
  return {
    name,
    label: { en: name, zh: name },
    description: { en: '', zh: '' },
    extent: [-2, 2, -1, 3],
    start: [0.5, 0.5],
    lr: 0.05,
    minimum: null,
    params: [],
    y_floor: false,
    grid: { size: 2, scale: 'linear', values: [0, 0, 0, 0], display: [0, 0, 0, 0] },
    ...over,
  } as Surface;
}

// a server whose defaults differ from anything the UI could have restated: the UI must take them from here
const LAB = {
  surfaces: [
    surface('bowl', { start: [-1.8, 0.6], lr: 0.02, params: [{ name: 'k', default: 25, min: 1, max: 1000 }] }),
    surface('valley', { start: [-1.2, 1], lr: 0.003 }),
  ],
  limits: { max_steps: 2000, min_k: 1, max_k: 1000, max_start: 10, max_optimizers: 8 },
  defaults: {
    surface: 'valley',
    k: null,
    start: [-1.2, 1],
    steps: 123,
    // as the server sends them: every OptimizerConfig field, Adam at its own rate
    optimizers: [
      { name: 'sgd', lr: 0.003, momentum: 0.9, beta1: 0.9, weight_decay: 0 },
      { name: 'adam', lr: 0.03, momentum: 0.9, beta1: 0.8, weight_decay: 0 },
    ],
  },
} as unknown as LabSurfaces;

function unset(over: Partial<LabInputs> = {}): LabInputs {
  return { surface: '', k: NaN, lr: NaN, steps: NaN, start: [NaN, NaN], ticked: {}, settings: {}, ...over };
}

describe("the server's defaults", () => {
  it('are the whole setup when nothing is set: surface, start, steps, optimizers, each with its own lr', () => {
    const inputs = unset();
    completeInputs(inputs, LAB, defaultsOf);
    expect(inputs.surface).toBe('valley');
    expect(inputs.start).toEqual([-1.2, 1]);
    expect(inputs.steps).toBe(123);
    expect(inputs.lr).toBe(0.003); // the first optimizer's: the step size
    expect(inputs.ticked).toEqual({ sgd: true, adam: true });
    // only what departs from the registry and from the step size: Adam's own lr and beta1; no foreign keys
    expect(inputs.settings).toEqual({ sgd: {}, adam: { lr: 0.03, beta1: 0.8 } });
    expect(inputs.k).toBe(25); // the valley has no k: the bowl's default is kept for when it is picked
    const request = labRequest(inputs, LAB.surfaces[1], choices)!;
    expect(request.optimizers.map((o) => [o.name, o.lr])).toEqual([
      ['sgd', 0.003],
      ['adam', 0.03],
    ]);
    expect(request.k).toBeNull();
  });

  it("fill in what a link left out from the surface it names (start, lr, k) and the default request", () => {
    const inputs = unset({ surface: 'bowl', start: [1, 0.25] });
    completeInputs(inputs, LAB, defaultsOf);
    expect(inputs.start).toEqual([1, 0.25]); // the link's
    expect(inputs.lr).toBe(0.02); // the bowl's, not the default request's (made for the valley)
    expect(inputs.k).toBe(25);
    expect(inputs.steps).toBe(123);
    expect(inputs.ticked).toEqual({ sgd: true, adam: true });
    expect(inputs.settings.adam).toEqual({ beta1: 0.8 }); // the valley's own rate for Adam does not come along
  });

  it('replace a surface the server does not know by the default one, with its start and lr', () => {
    const inputs = unset({ surface: 'moon', start: [3, 3], lr: 0.5, steps: 40, ticked: { momentum: true } });
    completeInputs(inputs, LAB, defaultsOf);
    expect(inputs.surface).toBe('valley');
    expect(inputs.start).toEqual([-1.2, 1]);
    expect(inputs.lr).toBe(0.003);
    expect(inputs.steps).toBe(40); // what is not the surface's stays
    expect(inputs.ticked).toEqual({ momentum: true });
  });

  it('change nothing that is set (a lesson opened the lab)', () => {
    const set = unset({ surface: 'bowl', k: 100, lr: 0.0198, steps: 400, start: [-1.8, 0.6], ticked: { sgd: true }, settings: { sgd: {} } });
    const inputs = structuredClone(set);
    completeInputs(inputs, LAB, defaultsOf);
    expect(inputs).toEqual(set);
  });
});

describe('learning rates', () => {
  it('are the step size unless an optimizer has its own', () => {
    expect(lrOf(undefined, 0.01)).toBe(0.01);
    expect(lrOf({ beta1: 0.9 }, 0.01)).toBe(0.01);
    expect(lrOf({ lr: 0.3 }, 0.01)).toBe(0.3);
    // the surface's step size for the optimizer comes before the lab's, an own lr before both
    expect(lrOf({ beta1: 0.9 }, 0.01, 0.1)).toBe(0.1);
    expect(lrOf({ lr: 0.3 }, 0.01, 0.1)).toBe(0.3);
    expect(defaultSettings(choices[2])).toEqual({ beta1: 0.9 }); // the registry's lr is not a setting here
    expect(lrParam(choices)).toMatchObject({ min: 1e-6, max: 10, log: true });
  });

  it('go into the request per optimizer, in the registry order', () => {
    const inputs = unset({ surface: 'bowl', k: 50, lr: 0.02, steps: 30, start: [1, 1], ticked: { adam: true, sgd: true, momentum: false } });
    setSetting(inputs, choices[2], 'lr', 0.2);
    setSetting(inputs, choices[2], 'beta1', 0.5);
    const request = labRequest(inputs, LAB.surfaces[0], choices)!;
    expect(request).toEqual({
      surface: 'bowl',
      k: 50,
      start: [1, 1],
      steps: 30,
      optimizers: [
        { name: 'sgd', lr: 0.02, weight_decay: 0 },
        { name: 'adam', lr: 0.2, beta1: 0.5 },
      ],
    });
    expect(labRequest({ ...inputs, ticked: {} }, LAB.surfaces[0], choices)).toBeNull();
    expect(labRequest(inputs, null, choices)).toBeNull();
  });

  it('are all set at once by the step size, and by picking a surface (its lr, start and k)', () => {
    const inputs = unset({ surface: 'valley', k: 7, lr: 0.003, start: [0, 0], settings: { adam: { lr: 0.2, beta1: 0.5 } } });
    setCommonLr(inputs, 0.04);
    expect(inputs.lr).toBe(0.04);
    expect(inputs.settings).toEqual({ adam: { beta1: 0.5 } }); // the other settings stay
    setSetting(inputs, choices[2], 'lr', 0.2);
    pickSurface(inputs, LAB.surfaces[0]);
    expect([inputs.surface, inputs.lr, inputs.k, inputs.start]).toEqual(['bowl', 0.02, 25, [-1.8, 0.6]]);
    expect(inputs.settings.adam).toEqual({ beta1: 0.5 });
    pickSurface(inputs, LAB.surfaces[1]); // no k: the slider's value stays
    expect(inputs.k).toBe(25);
  });

  it("of a request's entry become settings only where they depart from the step size or the registry", () => {
    expect(ownSettings({ name: 'adam', lr: 0.1, beta1: 0.9, momentum: 0.5 }, 0.1, { beta1: 0.9 })).toEqual({});
    expect(ownSettings({ name: 'adam', lr: 0.2, beta1: 0.8 }, 0.1, { beta1: 0.9 })).toEqual({ lr: 0.2, beta1: 0.8 });
  });
});

describe('the controls', () => {
  it('keep a typed start within the limit and ignore an entry that is not a number', () => {
    expect(typedStart([1, 2], 0, '99', 10)).toEqual([10, 2]);
    expect(typedStart([1, 2], 1, '-0.5', 10)).toEqual([1, -0.5]);
    expect(typedStart([1, 2], 1, '', 10)).toBeNull();
    expect(typedStart([1, 2], 1, 'abc', 10)).toBeNull();
  });

  it('say when the start is outside the plot', () => {
    expect(startOutside([0, 0], [-2, 2, -1, 3])).toBe(false);
    expect(startOutside([10, 0], [-2, 2, -1, 3])).toBe(true);
    expect(startOutside([0, -1.5], [-2, 2, -1, 3])).toBe(true);
  });

  it("take k's default from the surface, or from any surface that has a k", () => {
    expect(defaultK(LAB.surfaces, LAB.surfaces[0])).toBe(25);
    expect(defaultK(LAB.surfaces, LAB.surfaces[1])).toBe(25);
    expect(defaultK([LAB.surfaces[1]], LAB.surfaces[1])).toBeNaN();
  });
});
