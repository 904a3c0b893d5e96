// A stand-in for a canvas 2-D context that records what is drawn, for unit tests of the drawing modules (vitest runs
// without a DOM): every method call and every property set, in order, with the style in force at each call.

export interface DrawCall {
  op: string;
  args: unknown[];
  /** fillStyle, strokeStyle, lineWidth, font and textAlign when the call was made */
  style: Record<string, unknown>;
}

const STYLE = ['fillStyle', 'strokeStyle', 'lineWidth', 'font', 'textAlign'];

export function recordingContext(): { ctx: CanvasRenderingContext2D; calls: DrawCall[] } {
  const calls: DrawCall[] = [];
  const props: Record<string, unknown> = {};
  const ctx = new Proxy(props, {
    get(target, key) {
      if (typeof key !== 'string') return undefined;
      if (key in target) return target[key];
      return (...args: unknown[]) => {
        const style = Object.fromEntries(STYLE.map((s) => [s, target[s]]));
        calls.push({ op: key, args, style });
        if (key === 'measureText') return { width: String(args[0]).length * 6 };
        if (key === 'createImageData') return { data: new Uint8ClampedArray(Number(args[0]) * Number(args[1]) * 4) };
        return undefined;
      };
    },
    set(target, key, value) {
      if (typeof key === 'string') target[key] = value;
      return true;
    },
  });
  return { ctx: ctx as unknown as CanvasRenderingContext2D, calls };
}

/** The calls named `op`. */
export function callsOf(calls: readonly DrawCall[], op: string): DrawCall[] {
  return calls.filter((c) => c.op === op);
}
