// Coalesce many "something changed" signals into at most one callback per animation frame.

export interface Coalescer {
  /** Ask for one run of the callback on the next animation frame (no-op if one is pending). */
  schedule(): void;
  /** Drop a pending run. */
  cancel(): void;
  readonly pending: boolean;
}

type RequestFrame = (cb: (t: number) => void) => number;
type CancelFrame = (handle: number) => void;

export function createCoalescer(
  callback: () => void,
  requestFrame: RequestFrame = (cb) => requestAnimationFrame(cb),
  cancelFrame: CancelFrame = (h) => cancelAnimationFrame(h),
): Coalescer {
  let handle: number | null = null;
  return {
    schedule() {
      if (handle !== null) return;
      handle = requestFrame(() => {
        handle = null;
        callback();
      });
    },
    cancel() {
      if (handle !== null) cancelFrame(handle);
      handle = null;
    },
    get pending() {
      return handle !== null;
    },
  };
}
