import { describe, expect, it } from 'vitest';
import { css, diverging, layerColor, sequential } from './colors';

describe('colour scales', () => {
  it('diverge from white to orange (negative) and blue (positive), clamped', () => {
    expect(css(diverging(-1))).toBe('rgb(245, 147, 34)');
    expect(css(diverging(1))).toBe('rgb(8, 119, 189)');
    expect(css(diverging(0))).toBe('rgb(232, 234, 235)');
    expect(diverging(5)).toEqual(diverging(1));
    expect(diverging(NaN)).toEqual(diverging(0));
  });

  it('run the sequential ramp from dark to yellow', () => {
    expect(css(sequential(0))).toBe('rgb(68, 1, 84)');
    expect(css(sequential(1))).toBe('rgb(253, 231, 37)');
    expect(sequential(-1)).toEqual(sequential(0));
  });

  it('colour layers from input blue to output red', () => {
    expect(layerColor(0, 3)).toBe('rgb(49, 104, 180)');
    expect(layerColor(2, 3)).toBe('rgb(214, 56, 62)');
    expect(layerColor(0, 1)).toBe('rgb(49, 104, 180)');
  });
});
