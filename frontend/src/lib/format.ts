// Number formatting and small pure helpers for the display.

export const DASH = '–';

/** A value to `digits` significant digits; exponent notation when very small or large. */
export function formatSig(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return DASH;
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) {
    // 1.235e-5, not 1.235e-05
    return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  }
  // toPrecision keeps trailing zeros ("0.5000"); they carry no meaning here.
  const s = v.toPrecision(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A loss to 4 significant digits. */
export function formatLoss(v: number | null | undefined): string {
  return formatSig(v, 4);
}

/** An accuracy in [0, 1] as a percentage with one decimal: 0.9734 -> "97.3%". */
export function formatAccuracy(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return `${(v * 100).toFixed(1)}%`;
}

/** "step 1234 / 3000"; without a total, "step 1234" (the wording from `words`, for other languages). */
export function formatStep(
  step: number | null | undefined,
  total?: number | null,
  words: { of: string; one: string } = { of: 'step {step} / {total}', one: 'step {step}' },
): string {
  const s = step === null || step === undefined || !Number.isFinite(step) ? 0 : Math.max(0, Math.floor(step));
  if (total === null || total === undefined || !Number.isFinite(total)) return words.one.replace('{step}', String(s));
  return words.of.replace('{step}', String(s)).replace('{total}', String(Math.floor(total)));
}

const MANTISSAS = [1, 2, 5];

/**
 * The next value on the 1-2-5 ladder (…, 0.001, 0.002, 0.005, 0.01, …) above (dir = +1) or
 * below (dir = -1) `v`: the log-ish step of the learning-rate input. A `v` that is not a positive
 * number gives `fallback`.
 */
export function logStep(v: number, dir: 1 | -1, fallback: number): number {
  if (!Number.isFinite(v) || v <= 0) return fallback;
  const exp = Math.floor(Math.log10(v));
  const candidates: number[] = [];
  for (let e = exp - 1; e <= exp + 1; e++) {
    for (const m of MANTISSAS) candidates.push(roundSig(m * 10 ** e));
  }
  const eps = v * 1e-9;
  if (dir > 0) return candidates.find((c) => c > v + eps) ?? roundSig(v * 10);
  for (let i = candidates.length - 1; i >= 0; i--) if (candidates[i] < v - eps) return candidates[i];
  return roundSig(v / 10);
}

/** Strip float noise: 0.30000000000000004 -> 0.3. */
function roundSig(v: number): number {
  return Number(v.toPrecision(12));
}

/** A limit as a person reads it, exactly: 1e-6, 0.5, 10, 1,024, 2,147,483,647 (no rounding: it is a bound). */
export function formatLimit(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e15) return v.toLocaleString('en-US');
  if (a < 1e-3 || a >= 1e15) return v.toExponential().replace('e+', 'e');
  return String(v);
}

// Tableau 10: distinct, print-friendly, fine on a light background.
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** `n` distinct colours: the palette first, then evenly spaced hues for more layers. */
export function seriesColors(n: number): string[] {
  if (n <= PALETTE.length) return PALETTE.slice(0, n);
  return Array.from({ length: n }, (_, i) => `hsl(${Math.round((i * 360) / n)}, 65%, 45%)`);
}
