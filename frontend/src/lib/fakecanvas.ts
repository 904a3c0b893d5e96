// Test doubles for canvas drawing in Node (the tests have no DOM): a 2-D context that records every
// call with the state it was made in, and scratch canvases whose pixels can be read back.

import type { Scratch } from './scratch';

/** One drawing call: the method, its arguments and the style state when it was made. */
export interface DrawCall {
  name: string;
  args: unknown[];
  fillStyle: unknown;
  strokeStyle: unknown;
  font: string;
  imageSmoothingEnabled: boolean;
}

export interface Recorder {
  ctx: CanvasRenderingContext2D;
  calls: DrawCall[];
  /** The calls of method `name`. */
  of(name: string): DrawCall[];
  /** The text of every fillText call, in order. */
  texts(): string[];
}

/** A recording 2-D context; measureText is 6 px a character, gradients record their stops. */
export function recordingContext(): Recorder {
  const calls: DrawCall[] = [];
  const state: Record<string, unknown> = {
    fillStyle: '#000',
    strokeStyle: '#000',
    font: '10px sans-serif',
    lineWidth: 1,
    textAlign: 'start',
    textBaseline: 'alphabetic',
    imageSmoothingEnabled: true,
    imageSmoothingQuality: 'low',
  };
  const record = (name: string, args: unknown[]) =>
    calls.push({
      name,
      args,
      fillStyle: state.fillStyle,
      strokeStyle: state.strokeStyle,
      font: String(state.font),
      imageSmoothingEnabled: Boolean(state.imageSmoothingEnabled),
    });
  const special: Record<string, (...args: unknown[]) => unknown> = {
    measureText: (text) => ({ width: String(text).length * 6 }),
    createLinearGradient: (...args) => {
      const stops: [number, string][] = [];
      record('createLinearGradient', args);
      return { stops, addColorStop: (t: number, c: string) => stops.push([t, c]) };
    },
  };
  const ctx = new Proxy(state, {
    get(target, prop: string) {
      if (prop in special) return special[prop];
      if (prop in target) return target[prop];
      return (...args: unknown[]) => record(prop, args);
    },
    set(target, prop: string, value) {
      target[prop] = value;
      return true;
    },
  }) as unknown as CanvasRenderingContext2D;
  return {
    ctx,
    calls,
    of: (name) => calls.filter((c) => c.name === name),
    texts: () => calls.filter((c) => c.name === 'fillText').map((c) => String(c.args[0])),
  };
}

/** A scratch canvas without a DOM: its pixels stay readable after they are put. */
export function fakeScratch(n: number): Scratch {
  const img = { width: n, height: n, data: new Uint8ClampedArray(n * n * 4) } as ImageData;
  const put: ImageData[] = [];
  const canvas = { width: n, height: n, put, getContext: () => ({ putImageData: (i: ImageData) => put.push(i) }) };
  return { canvas: canvas as unknown as HTMLCanvasElement, img };
}
