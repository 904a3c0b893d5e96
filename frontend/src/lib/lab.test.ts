import { describe, expect, it } from 'vitest';
import type { Choice } from './api';
import {
  BANDS,
  CASING,
  at,
  contrast,
  defaultSettings,
  haloFor,
  heatmapPixels,
  LAB_COLORS,
  lossScale,
  lossTransform,
  mapper,
  optimizerConfig,
  symlogTicks,
  ticks,
  type LabPath,
} from './lab';
import { sequential } from './colors';

const adam = {
  name: 'adam',
  label: 'Adam',
  description: '',
  params: [
    { name: 'lr', default: 0.001, min: 1e-6, max: 10 },
    { name: 'beta1', default: 0.9, min: 0, max: 0.9999 },
  ],
} as unknown as Choice;

describe('lab helpers', () => {
  it('maps plot coordinates to pixels and back, y upwards', () => {
    const m = mapper([-2, 2, -1, 3], 400, 200);
    expect(m.px(-2)).toBe(0);
    expect(m.px(2)).toBe(400);
    expect(m.py(3)).toBe(0);
    expect(m.py(-1)).toBe(200);
    expect(m.x(m.px(0.5))).toBeCloseTo(0.5);
    expect(m.y(m.py(1.25))).toBeCloseTo(1.25);
  });

  it('colours the heatmap in bands with the lowest values at the bottom left', () => {
    const size = 2;
    const px = heatmapPixels({ size, scale: 'linear', values: [0, 1, 2, 3], display: [0, 1, 2, 3] }, 10, 10);
    expect(px.length).toBe(400);
    const bottomLeft = 90 * 4;
    const topRight = 9 * 4;
    // viridis: low values are purple (blue > green), high values yellow (green > blue)
    expect(px[bottomLeft + 2]).toBeGreaterThan(px[bottomLeft + 1]);
    expect(px[topRight + 1]).toBeGreaterThan(px[topRight + 2]);
    expect(BANDS).toBeGreaterThan(4);
  });

  it('builds an optimizer config from the registry settings, at the step size or at its own learning rate', () => {
    const settings = defaultSettings(adam);
    expect(settings).toEqual({ beta1: 0.9 }); // the lr is set apart: the lab's step size unless the optimizer has its own
    expect(optimizerConfig(adam, { ...settings, beta1: 0.5 }, 0.05)).toEqual({ name: 'adam', lr: 0.05, beta1: 0.5 });
    expect(optimizerConfig(adam, { ...settings, lr: 0.2 }, 0.05)).toEqual({ name: 'adam', lr: 0.2, beta1: 0.9 });
  });

  it('picks nice ticks, a log loss scale only for positive losses, and clamps the animation index', () => {
    expect(ticks(-2, 2, 4)).toEqual([-2, -1, 0, 1, 2]);
    const path = { x: [0, 1, 2], loss: [3, 2, 1] } as unknown as LabPath;
    expect(lossScale([path])).toBe('log');
    expect(lossScale([{ ...path, loss: [1, -1] }])).toBe('linear');
    // a loss without a bottom (the saddle) falls to -1e12: a signed log axis keeps the start readable
    expect(lossScale([{ ...path, loss: [3.2, -5, -1e12] }])).toBe('symlog');
    expect(at(path, 10)).toBe(2);
    expect(at(path, 1.7)).toBe(1);
  });
});

describe('signed log axis', () => {
  const f = lossTransform('symlog');
  it('is odd, monotonic and log-like far from 0', () => {
    expect(f(0)).toBe(0);
    expect(f(-99)).toBeCloseTo(-2, 12);
    expect(f(99)).toBeCloseTo(2, 12);
    const xs = [-1e12, -1e3, -1, -0.5, 0, 0.5, 1, 1e3];
    for (let i = 1; i < xs.length; i++) expect(f(xs[i])).toBeGreaterThan(f(xs[i - 1]));
  });

  it('ticks at 0 and powers of ten, thinned to a readable few on a wide range', () => {
    const wide = symlogTicks(f(-1e12), f(3.24));
    expect(wide).toContain(0);
    expect(wide).toContain(-1e12);
    expect(wide.length).toBeLessThanOrEqual(8);
    expect(wide).not.toContain(-1); // it would crowd 0
    for (const v of wide) if (v !== 0) expect(Number.isInteger(Math.log10(Math.abs(v)))).toBe(true);
    expect(symlogTicks(f(-1000), f(3))).toEqual([-1000, -100, -10, -1, 0, 1]);
  });
});

describe('line colours', () => {
  const hex = ([r, g, b]: number[]) => `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
  // every colour the contour plot's heatmap paints: each band's, and its darker contour line
  const heatmap = Array.from({ length: BANDS }, (_, k) => sequential((k + 0.5) / BANDS)).flatMap((c) => [
    hex(c),
    hex(c.map((v) => v * 0.7)),
  ]);

  it('outlines dark colours in white and light ones in black', () => {
    expect(haloFor('#ffffff')).toBe('#000000');
    expect(haloFor('#000000')).toBe('#ffffff');
    expect(contrast('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrast('#767676', '#ffffff')).toBeCloseTo(4.54, 2); // WCAG's grey at the 4.5:1 line
  });

  it('gives every optimizer a colour that reads on the white loss chart and on every band of the contour plot', () => {
    expect(new Set(LAB_COLORS).size).toBe(LAB_COLORS.length);
    for (const c of LAB_COLORS) {
      expect(contrast(c, '#ffffff'), c).toBeGreaterThanOrEqual(3); // the loss chart
      const halo = haloFor(c);
      expect(contrast(c, halo), c).toBeGreaterThanOrEqual(3); // the line against its own halo
      for (const band of heatmap) {
        // on each band of the contour plot, the cased line (colour, white halo, dark edge) stands out by 3:1
        const best = Math.max(contrast(c, band), contrast(halo, band), contrast(CASING, band));
        expect(best, `${c} on ${band}`).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it('keeps the colours apart from each other', () => {
    const rgb = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
    for (const [i, a] of LAB_COLORS.entries()) {
      for (const b of LAB_COLORS.slice(i + 1)) {
        const d = Math.hypot(...rgb(a).map((v, k) => v - rgb(b)[k]));
        expect(d, `${a} vs ${b}`).toBeGreaterThan(70);
      }
    }
  });
});
