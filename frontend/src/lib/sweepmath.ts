// The numbers a sweep is drawn from, as pure functions (sweepmath.test.ts checks them against hand-made cases):
// - a band: the median, min and max of several members' curves on one common grid of steps (each member's figures
//   were measured at steps of its own, so each is read on the grid by linear interpolation between its points);
// - a heat map: a final figure over two axes, the members that share a cell (the other axes: seeds, say) taken by
//   their median, failed and diverged members kept apart (they have no figure to colour);
// - a line: the same over one axis, with the min and max across the members that share a value.

/** One member's series: the steps it was measured at and the values (null: not finite, or not measured). */
export interface Curve {
  step: readonly number[];
  value: readonly (number | null)[];
}

/** The median of finite numbers (the mean of the middle two for an even count); null for none. */
export function median(xs: readonly number[]): number | null {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** The last step a curve measured (null: none). */
export function lastStep(c: Curve): number | null {
  const p = points(c);
  return p.length ? p[p.length - 1][0] : null;
}

/** The curve's finite points, in step order. */
function points(c: Curve): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < c.step.length; i++) {
    const v = c.value[i];
    if (v !== null && v !== undefined && Number.isFinite(v) && Number.isFinite(c.step[i])) out.push([c.step[i], v]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** The curve at step `x`: linear between the measured points around it; null outside its first..last measured step. */
export function valueAt(c: Curve, x: number): number | null {
  const p = points(c);
  return interpolate(p, x);
}

function interpolate(p: readonly [number, number][], x: number): number | null {
  if (!p.length || x < p[0][0] || x > p[p.length - 1][0]) return null;
  let lo = 0;
  let hi = p.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (p[mid][0] <= x) lo = mid;
    else hi = mid;
  }
  const [x0, y0] = p[lo];
  const [x1, y1] = p[hi];
  if (x1 === x0 || x === x0) return y0;
  if (x === x1) return y1;
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** The band of several curves: at each step of the grid, the median, min and max of the members measured around it,
 * and how many were. */
export interface Band {
  step: number[];
  median: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
  count: number[];
}

/** A common grid of whole steps from the earliest first step to `until` (default: the latest last step), at most
 * `size` of them, evenly spaced, both ends included; every measured step when there are fewer than `size`. */
export function stepGrid(curves: readonly Curve[], size = 200, until?: number): number[] {
  const all = curves.flatMap((c) => points(c).map(([s]) => s));
  if (!all.length) return [];
  const first = Math.min(...all);
  const last = Math.min(until ?? Infinity, Math.max(...all));
  if (last < first) return [];
  const distinct = [...new Set(all.filter((s) => s <= last))].sort((a, b) => a - b);
  if (distinct.length <= size) return distinct;
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    const s = Math.round(first + ((last - first) * i) / (size - 1));
    if (out[out.length - 1] !== s) out.push(s);
  }
  return out;
}

/** The median, min and max of `curves` on one grid (stepGrid): each curve read at each grid step by linear
 * interpolation, leaving out a curve where the step lies outside what it measured. */
export function bandOf(curves: readonly Curve[], size = 200, until?: number): Band {
  return bandOnGrid(curves, stepGrid(curves, size, until));
}

/** The band of `curves` on a given grid (two figures drawn on one chart share theirs). */
export function bandOnGrid(curves: readonly Curve[], grid: readonly number[]): Band {
  const pts = curves.map(points);
  const band: Band = { step: [...grid], median: [], min: [], max: [], count: [] };
  for (const x of grid) {
    const vs = pts.map((p) => interpolate(p, x)).filter((v): v is number => v !== null);
    band.median.push(median(vs));
    band.min.push(vs.length ? Math.min(...vs) : null);
    band.max.push(vs.length ? Math.max(...vs) : null);
    band.count.push(vs.length);
  }
  return band;
}

// ---------------------------------------------------------------------------------------------------------------
// final figures over the axes

/** A sweep member as the views need it: its axis values, status and the final figure shown (null: none). */
export interface Final {
  index: number;
  run_id: string;
  values: Record<string, unknown>;
  status: string;
  figure: number | null;
}

/** Statuses whose members have no figure to colour: drawn apart, never as a colour of the scale. */
export const BROKEN = ['failed', 'diverged'] as const;
export const isBroken = (m: Final) => (BROKEN as readonly string[]).includes(m.status) || (m.figure !== null && !Number.isFinite(m.figure));

/** One value of an axis as a key (values may be lists: model.hidden). */
export const valueKey = (v: unknown): string => JSON.stringify(v);

/** The median member of a group: the one whose figure is nearest the group's median (ties: the lower grid index). */
export function medianMember(members: readonly Final[]): Final | null {
  const ok = members.filter((m) => !isBroken(m) && m.figure !== null);
  const mid = median(ok.map((m) => m.figure!));
  if (mid === null) return null;
  return ok.reduce((best, m) => (Math.abs(m.figure! - mid) < Math.abs(best.figure! - mid) ? m : best));
}

/** The members that share an axis value (or two): their median figure, range, and who failed. */
export interface Group {
  members: Final[];
  /** members with a figure (not failed, not diverged) */
  measured: number;
  /** failed or diverged members */
  broken: Final[];
  median: number | null;
  min: number | null;
  max: number | null;
  /** the member whose figure is nearest the median (the one a click opens) */
  pick: Final | null;
}

export function groupOf(members: Final[]): Group {
  const broken = members.filter(isBroken);
  const figures = members.filter((m) => !isBroken(m) && m.figure !== null).map((m) => m.figure!);
  return {
    members,
    measured: figures.length,
    broken,
    median: median(figures),
    min: figures.length ? Math.min(...figures) : null,
    max: figures.length ? Math.max(...figures) : null,
    pick: medianMember(members),
  };
}

export interface Heat {
  x: string;
  y: string;
  xs: unknown[];
  ys: unknown[];
  /** cells[row][col]: row = a value of `y`, col = a value of `x` */
  cells: Group[][];
  /** the other axes, whose members each cell takes by their median */
  aggregated: string[];
  /** the range of the cells' medians (null: none measured yet) */
  range: [number, number] | null;
}

/** A figure over two axes of a grid: each cell the members with those two values (whatever the other axes'), by
 * their median. */
export function heatOf(members: readonly Final[], grid: Record<string, readonly unknown[]>, x: string, y: string): Heat {
  const xs = [...(grid[x] ?? [])];
  const ys = [...(grid[y] ?? [])];
  const col = new Map(xs.map((v, i) => [valueKey(v), i]));
  const row = new Map(ys.map((v, i) => [valueKey(v), i]));
  const buckets: Final[][][] = ys.map(() => xs.map(() => []));
  for (const m of members) {
    const c = col.get(valueKey(m.values[x]));
    const r = row.get(valueKey(m.values[y]));
    if (c !== undefined && r !== undefined) buckets[r][c].push(m);
  }
  const cells = buckets.map((r) => r.map(groupOf));
  const medians = cells.flat().flatMap((g) => (g.median === null ? [] : [g.median]));
  return {
    x,
    y,
    xs,
    ys,
    cells,
    aggregated: Object.keys(grid).filter((a) => a !== x && a !== y),
    range: medians.length ? [Math.min(...medians), Math.max(...medians)] : null,
  };
}

/** A figure along one axis: per value, the members with it (whatever the other axes'), their median, min and max. */
export function lineOf(members: readonly Final[], grid: Record<string, readonly unknown[]>, axis: string): { xs: unknown[]; groups: Group[] } {
  const xs = [...(grid[axis] ?? [])];
  return {
    xs,
    groups: xs.map((v) => groupOf(members.filter((m) => valueKey(m.values[axis]) === valueKey(v)))),
  };
}

/** One line of a sweep's line view: the members with one value of the `by` axis (null: all members), grouped along
 * the line's axis. */
export interface LineSeries {
  value: unknown;
  groups: Group[];
}

/** A figure along `axis`, one line per value of `by` (each with its median, min and max over the other axes: seeds);
 * `by` null: one line over every member. */
export function linesOf(
  members: readonly Final[],
  grid: Record<string, readonly unknown[]>,
  axis: string,
  by: string | null,
): { xs: unknown[]; series: LineSeries[] } {
  if (!by || by === axis || !(by in grid)) {
    const line = lineOf(members, grid, axis);
    return { xs: line.xs, series: [{ value: null, groups: line.groups }] };
  }
  const xs = [...(grid[axis] ?? [])];
  return {
    xs,
    series: grid[by].map((value) => lineOf(members.filter((m) => valueKey(m.values[by]) === valueKey(value)), grid, axis)).map((line, i) => ({
      value: grid[by][i],
      groups: line.groups,
    })),
  };
}

/** A numeric axis whose values span a factor of 10 or more, all positive (learning rates, weight decays): drawn on a
 * log scale. */
export function isLogAxis(values: readonly unknown[]): boolean {
  const nums = values.filter((v): v is number => typeof v === 'number');
  if (nums.length !== values.length || nums.length < 2 || nums.some((v) => v <= 0)) return false;
  return Math.max(...nums) / Math.min(...nums) >= 10;
}

/** About `n` round tick values (1, 2 or 5 times a power of ten apart) inside [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return Number.isFinite(lo) ? [lo] : [];
  const raw = (hi - lo) / Math.max(1, n - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Where `v` sits in `range` (0..1), on a log scale when `log` (and every value is positive). */
export function scalePos(v: number, range: [number, number], log = false): number {
  const [lo, hi] = range;
  if (hi <= lo) return 0.5;
  const t = log && lo > 0 ? (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (v - lo) / (hi - lo);
  return Math.max(0, Math.min(1, t));
}

// ---------------------------------------------------------------------------------------------------------------
// the New sweep form

/** A comma list of numbers ("0.3, 0.1,0.03"): the numbers, or the first piece that is not one. */
export function parseNumbers(text: string, integer = false): { values: number[] } | { bad: string } {
  const pieces = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const values: number[] = [];
  for (const p of pieces) {
    const v = Number(p);
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) return { bad: p };
    values.push(v);
  }
  return { values };
}

/** Seeds [first, first + n) as the grid's seed axis. */
export const seedRange = (first: number, n: number): number[] => Array.from({ length: n }, (_, i) => first + i);

/** Members of a grid: the product of its axes' lengths. */
export const memberCount = (grid: Record<string, readonly unknown[]>): number =>
  Object.values(grid).reduce((n, v) => n * v.length, 1);

// ---------------------------------------------------------------------------------------------------------------
// the seed view

/** A member of a seed sweep as the seed view reads it. */
export interface SeedMember {
  run_id: string;
  status: string;
  cohort?: { alone?: string | null } | null;
}

/** The curves a seed band is drawn from: each member's `name` curve, leaving out every member that diverged or failed
 * (all of its points, the early ones too: the panel says it is left out). */
export function bandCurves<K extends string>(
  members: readonly SeedMember[],
  curves: Readonly<Record<string, Partial<Record<K, Curve>> | undefined>>,
  name: K,
): Curve[] {
  return members.flatMap((m) => {
    if ((BROKEN as readonly string[]).includes(m.status)) return [];
    const c = curves[m.run_id]?.[name];
    return c && c.step.length ? [c] : [];
  });
}

/** How many points the seeds' curves of a figure hold (their median), when under `fewer`: the band joins them with
 * straight lines, which say nothing of the steps between (a figure measured on detail readings only, as the test
 * loss and the accuracies are, may have a handful in a short run); null when there are enough, or no curve. */
export function sparsePoints(curves: readonly Curve[], fewer = 6): number | null {
  const n = median(curves.map((c) => c.step.length));
  return n !== null && n < fewer ? Math.round(n) : null;
}

/** Members that wait for room on the server: pending and not placed yet (one placed says where it trains, and is
 * pending only while its worker starts). */
export function waitingForRoom(members: readonly SeedMember[]): number {
  return members.filter((m) => m.status === 'pending' && !m.cohort).length;
}

/** Members that cannot batch (every one that started trains alone): why (the reasons, each once) and how many wait
 * for room on the server; null when one batches, or none started yet (a member says where it trains once started). */
export function aloneNote(
  members: readonly SeedMember[],
): { reason: string; headline: string; waiting: number } | null {
  const noted = members.filter((m) => m.cohort);
  if (!noted.length || noted.some((m) => !m.cohort?.alone)) return null;
  const reasons = [...new Set(noted.map((m) => m.cohort!.alone!))];
  // a reason reads "<what trains alone>: <what was measured>"; the note says the first part, its title the whole
  const headlines = [...new Set(reasons.map((r) => r.split(': ')[0]))];
  return { reason: reasons.join('; '), headline: headlines.join('; '), waiting: waitingForRoom(members) };
}
