// The run's history in the browser: the server's decimated history (hello.history, backend
// runs/history.py), continued with the live frames by the same rules, so a long run's charts stay
// bounded and look the same live, after a reload, and after the run ended.
//
// A Track holds one metric's points in at most `capacity` buckets; each bucket keeps the last value of the
// measurements in it (per layer, time step, ... for array metrics), and how many it took. When a track is
// full, neighbours merge in pairs and a bucket takes twice the points: the same partition as the server's,
// so a hello's history goes on seamlessly. (The server's buckets also keep each one's min and max, for
// /metrics and the exports; the page draws the last values, so the hello leaves them out.) A figure is
// added only at the steps it was measured at: detail figures have points at detail frames only.

import type { components } from './api-types';

export type HistoryWire = components['schemas']['HistoryOut'];
export type TrackWire = components['schemas']['Track'];
/** A measured value: a number, null (not finite), or an array of them (per layer, per time step, ...). */
export type Cell = number | null | Cell[];

export class Track {
  readonly capacity: number;
  perBucket = 1;
  first: number[] = [];
  step: number[] = [];
  count: number[] = [];
  last: Cell[] = [];

  constructor(capacity: number, wire?: TrackWire) {
    this.capacity = capacity;
    if (wire) {
      this.perBucket = wire.per_bucket;
      this.first = [...wire.first];
      this.step = [...wire.step];
      this.count = [...wire.count];
      this.last = [...(wire.last as Cell[])];
    }
  }

  get length(): number {
    return this.step.length;
  }

  /** One measurement at `step` (after the last one). */
  add(step: number, value: Cell): void {
    const i = this.step.length - 1;
    if (i >= 0 && this.count[i] + 1 <= this.perBucket) {
      this.step[i] = step;
      this.count[i] += 1;
      this.last[i] = value;
      return;
    }
    this.first.push(step);
    this.step.push(step);
    this.count.push(1);
    this.last.push(value);
    if (this.step.length > this.capacity) this.#halve();
  }

  /** Merge neighbours pairwise (an odd last bucket stays as it is); a bucket now takes twice the points. */
  #halve(): void {
    const n = this.step.length;
    const pairs = Math.floor(n / 2);
    for (let k = 0; k < pairs; k++) {
      const a = 2 * k;
      const b = a + 1;
      this.first[k] = this.first[a];
      this.step[k] = this.step[b];
      this.count[k] = this.count[a] + this.count[b];
      this.last[k] = this.last[b];
    }
    const keep = pairs + (n % 2);
    if (n % 2) {
      for (const column of [this.first, this.step, this.count, this.last] as unknown[][]) {
        column[pairs] = column[n - 1];
      }
    }
    for (const column of [this.first, this.step, this.count, this.last] as unknown[][]) {
      column.length = keep;
    }
    this.perBucket *= 2;
  }

  /** The last value of each bucket at `index` (a layer, a time step, ...; none for a run metric). */
  column(...index: number[]): (number | null)[] {
    return this.last.map((cell) => {
      let v: Cell = cell;
      for (const i of index) v = Array.isArray(v) ? (v[i] ?? null) : null;
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    });
  }
}

export const CAPACITY = 1024;

export class History {
  readonly capacity: number;
  readonly tracks = new Map<string, Track>();
  /** Bumped on every change, for views that cache what they derive. */
  version = 0;

  constructor(capacity = CAPACITY) {
    this.capacity = capacity;
  }

  static fromWire(wire: HistoryWire): History {
    const history = new History(wire.capacity);
    for (const [name, track] of Object.entries(wire.tracks)) history.tracks.set(name, new Track(wire.capacity, track));
    return history;
  }

  /** The figures measured at `step`, by metric name. */
  add(step: number, values: Record<string, Cell>): void {
    for (const [name, value] of Object.entries(values)) {
      let track = this.tracks.get(name);
      if (!track) {
        track = new Track(this.capacity);
        this.tracks.set(name, track);
      }
      const n = track.step.length;
      if (n && step <= track.step[n - 1]) continue; // measured at this step already, or a stale frame
      track.add(step, value);
    }
    this.version += 1;
  }

  get(name: string): Track | undefined {
    return this.tracks.get(name);
  }
}
