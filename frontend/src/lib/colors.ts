// Colour scales shared by the panels. Diverging orange–white–blue as TensorFlow Playground uses for
// outputs and weights (orange: negative / class 0, blue: positive / class 1), a sequential scale
// for magnitudes, and a palette for layers and classes.

export type RGB = [number, number, number];

const ORANGE: RGB = [245, 147, 34];
const WHITE: RGB = [232, 234, 235];
const BLUE: RGB = [8, 119, 189];

function mix(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** t in [-1, 1]: -1 orange, 0 near white, 1 blue (clamped; NaN is white). */
export function diverging(t: number): RGB {
  if (!Number.isFinite(t)) return WHITE;
  const c = Math.max(-1, Math.min(1, t));
  return c < 0 ? mix(WHITE, ORANGE, -c) : mix(WHITE, BLUE, c);
}

const VIRIDIS: RGB[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** t in [0, 1] on a viridis-like ramp (clamped; NaN is the low end). */
export function sequential(t: number): RGB {
  const c = Number.isFinite(t) ? Math.max(0, Math.min(1, t)) : 0;
  const x = c * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  return mix(VIRIDIS[i], VIRIDIS[i + 1], x - i);
}

export function css([r, g, b]: RGB, alpha = 1): string {
  return alpha === 1
    ? `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`
    : `rgba(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)}, ${alpha})`;
}

/** Distinct colours for lines (layers) and classes; from the input side to the output side. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** Layer `i` of `n` on a blue (input) to red (output) ramp, so depth reads at a glance. */
export function layerColor(i: number, n: number): string {
  const t = n <= 1 ? 0 : i / (n - 1);
  const [r, g, b] = mix([49, 104, 180], [214, 56, 62], t);
  return css([r, g, b]);
}

export const CLASS_COLORS = { negative: css(ORANGE), positive: css(BLUE) } as const;
