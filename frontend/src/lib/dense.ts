import type { components } from './api-types';

// Dense arrays of detail frames (histograms, grids, unit maps, feature maps, weights) travel as
// 8-bit quantized base64: value = lo + q / 255 * (hi - lo) (docs/protocol.md, "Stream").

export interface DenseJson {
  shape: number[];
  lo: number;
  hi: number;
  q8: string;
}

export interface Dense {
  shape: number[];
  lo: number;
  hi: number;
  /** Row-major values. */
  data: Float32Array;
}

function base64Bytes(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function isDenseJson(v: unknown): v is DenseJson {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    Array.isArray(o.shape) &&
    o.shape.every((n) => Number.isInteger(n) && (n as number) >= 0) &&
    typeof o.lo === 'number' &&
    typeof o.hi === 'number' &&
    typeof o.q8 === 'string'
  );
}

/** Decode one dense array; throws when the byte count does not match the shape. */
export function decodeDense(d: DenseJson): Dense {
  const bytes = base64Bytes(d.q8);
  const size = d.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== size) throw new Error(`dense array: ${bytes.length} bytes for shape [${d.shape.join(', ')}]`);
  const data = new Float32Array(size);
  const span = (d.hi - d.lo) / 255;
  for (let i = 0; i < size; i++) data[i] = d.lo + bytes[i] * span;
  return { shape: [...d.shape], lo: d.lo, hi: d.hi, data };
}

/** Encode (for tests and fixtures): the inverse of decodeDense within (hi - lo) / 255. */
export function encodeDense(shape: number[], values: ArrayLike<number>): DenseJson {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      lo = Math.min(lo, values[i]);
      hi = Math.max(hi, values[i]);
    }
  }
  if (lo > hi) lo = hi = 0;
  const span = hi - lo;
  let bin = '';
  for (let i = 0; i < values.length; i++) {
    const v = Number.isFinite(values[i]) ? values[i] : lo;
    bin += String.fromCharCode(span === 0 ? 0 : Math.round(((v - lo) / span) * 255));
  }
  return { shape, lo, hi, q8: btoa(bin) };
}

/** Slice `index` of the first axis: a (shape[1:]) array sharing no memory with `d`. */
export function slice(d: Dense, index: number): Dense {
  const inner = d.shape.slice(1);
  const size = inner.reduce((a, b) => a * b, 1);
  return { shape: inner, lo: d.lo, hi: d.hi, data: d.data.slice(index * size, (index + 1) * size) };
}

/** Value at a multi-index (row-major). */
export function at(d: Dense, ...index: number[]): number {
  let offset = 0;
  for (let k = 0; k < d.shape.length; k++) offset = offset * d.shape[k] + (index[k] ?? 0);
  return d.data[offset];
}

/**
 * The `dense` part of a detail frame, decoded: a single array per name, or per layer index for the
 * names that are dicts (`unit_maps`, `feature_maps`, `weights`). Malformed entries are dropped.
 */
type Views = components['schemas']['Views'];

/** A detail frame's dense views, decoded: one array, or one per layer (keyed by the layer's index). */
export type DenseFrame = {
  [K in keyof Views]?: NonNullable<Views[K]> extends { q8: string } ? Dense : Record<number, Dense>;
};

/** Decode every view of a frame (the registry's views: whatever the server sends); a malformed array is left
 * out, and the panel shows it as missing. */
export function decodeDenseFrame(v: unknown): DenseFrame {
  const out: Record<string, Dense | Record<number, Dense>> = {};
  if (typeof v !== 'object' || v === null) return out;
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    if (isDenseJson(value)) {
      const decoded = tryDecode(value);
      if (decoded) out[key] = decoded;
    } else if (typeof value === 'object' && value !== null) {
      const layers: Record<number, Dense> = {};
      for (const [k, d] of Object.entries(value as Record<string, unknown>)) {
        const decoded = /^\d+$/.test(k) && isDenseJson(d) ? tryDecode(d) : null;
        if (decoded) layers[Number(k)] = decoded;
      }
      out[key] = layers;
    }
  }
  return out as DenseFrame;
}

function tryDecode(d: DenseJson): Dense | null {
  try {
    return decodeDense(d);
  } catch {
    return null;
  }
}
