import { describe, expect, it } from 'vitest';
import {
  aloneNote,
  bandCurves,
  bandOf,
  heatOf,
  isLogAxis,
  lineOf,
  linesOf,
  median,
  medianMember,
  memberCount,
  niceTicks,
  parseNumbers,
  scalePos,
  seedRange,
  sparsePoints,
  stepGrid,
  valueAt,
  waitingForRoom,
  type Curve,
  type Final,
} from './sweepmath';

describe('the median', () => {
  it('is the middle value, or the mean of the middle two, of the finite values only', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5, Infinity, 1])).toBe(3);
    expect(median([])).toBeNull();
  });
});

describe('a curve read at any step', () => {
  const c = { step: [0, 10, 20], value: [1, 3, null] };
  it('is linear between measured points, exact at them, and null outside what was measured', () => {
    expect(valueAt(c, 5)).toBeCloseTo(2);
    expect(valueAt(c, 10)).toBe(3);
    expect(valueAt(c, 15)).toBeNull(); // its last finite point is step 10
    expect(valueAt(c, -1)).toBeNull();
    expect(valueAt({ step: [20, 0], value: [0, 2] }, 5)).toBeCloseTo(1.5); // in step order whatever the input's
  });
});

describe('a band on a common step grid', () => {
  it('takes every measured step when there are few, else evenly spaced whole steps with both ends', () => {
    expect(stepGrid([{ step: [0, 5], value: [1, 1] }, { step: [2, 5], value: [1, 1] }])).toEqual([0, 2, 5]);
    const long = { step: Array.from({ length: 1000 }, (_, i) => i * 3), value: Array(1000).fill(1) };
    const grid = stepGrid([long], 50);
    expect(grid).toHaveLength(50);
    expect(grid[0]).toBe(0);
    expect(grid[49]).toBe(2997);
    expect(stepGrid([long], 50, 300).at(-1)).toBe(300);
    expect(stepGrid([])).toEqual([]);
  });

  it('is the median, min and max of the members measured at different steps, each interpolated onto the grid', () => {
    const a = { step: [0, 10], value: [1, 0] }; // at 5: 0.5
    const b = { step: [0, 4, 10], value: [3, 2, 2] }; // at 5: 2
    const c = { step: [0, 5, 10], value: [2, 1, 0.5] }; // at 5: 1
    const band = bandOf([a, b, c]);
    expect(band.step).toEqual([0, 4, 5, 10]);
    const at5 = band.step.indexOf(5);
    expect(band.median[at5]).toBeCloseTo(1);
    expect(band.min[at5]).toBeCloseTo(0.5);
    expect(band.max[at5]).toBeCloseTo(2);
    expect(band.count[at5]).toBe(3);
    expect(band.median[0]).toBe(2);
    expect(band.min[3]).toBe(0);
    expect(band.max[3]).toBe(2);
  });

  it('leaves out a member beyond its last point (a diverged one, a late starter), and has no value where none is', () => {
    const a = { step: [0, 10], value: [1, 1] };
    const gone = { step: [0, 4, 6], value: [5, 5, null] };
    const band = bandOf([a, gone]);
    expect(band.count[band.step.indexOf(10)]).toBe(1);
    expect(band.max[band.step.indexOf(10)]).toBe(1);
    expect(band.max[band.step.indexOf(4)]).toBe(5);
    expect(bandOf([{ step: [], value: [] }]).step).toEqual([]);
  });

  it('ends at `until` (the slowest member still training), so a band is never one fast member alone', () => {
    const fast = { step: [0, 100], value: [1, 0] };
    const slow = { step: [0, 40], value: [1, 0.5] };
    const band = bandOf([fast, slow], 200, 40);
    expect(band.step.at(-1)).toBe(40);
    expect(band.count.every((n) => n === 2)).toBe(true);
  });
});

function member(index: number, values: Record<string, unknown>, figure: number | null, status = 'finished'): Final {
  return { index, run_id: `r${index}`, values, status, figure };
}

describe('a heat map over two axes', () => {
  const grid = { 'model.hidden': [[8], [8, 8]], 'optimizer.lr': [0.1, 0.01], seed: [0, 1, 2] };
  const members: Final[] = [];
  let i = 0;
  for (const h of grid['model.hidden'])
    for (const lr of grid['optimizer.lr'])
      for (const seed of grid.seed) members.push(member(i++, { 'model.hidden': h, 'optimizer.lr': lr, seed }, 10 * h.length + lr + seed));

  it('takes each cell’s members (the other axes: seeds) by their median and says which axes it aggregated', () => {
    const heat = heatOf(members, grid, 'optimizer.lr', 'model.hidden');
    expect(heat.xs).toEqual([0.1, 0.01]);
    expect(heat.ys).toEqual([[8], [8, 8]]);
    expect(heat.aggregated).toEqual(['seed']);
    const cell = heat.cells[1][0]; // depth 2, lr 0.1: 20.1, 21.1, 22.1
    expect(cell.members).toHaveLength(3);
    expect(cell.median).toBeCloseTo(21.1);
    expect(cell.min).toBeCloseTo(20.1);
    expect(cell.max).toBeCloseTo(22.1);
    expect(cell.pick?.values.seed).toBe(1); // the median member opens on a click
    expect(heat.range![0]).toBeCloseTo(11.01);
    expect(heat.range![1]).toBeCloseTo(21.1);
  });

  it('keeps failed and diverged members apart: no colour for a cell of them only, and not in the median', () => {
    const some = members.map((m) =>
      m.values.seed === 0 && m.values['optimizer.lr'] === 0.1 ? { ...m, status: 'diverged', figure: null } : m,
    );
    const all = some.map((m) => (m.values['optimizer.lr'] === 0.01 && (m.values['model.hidden'] as number[]).length === 1 ? { ...m, status: 'failed' } : m));
    const heat = heatOf(all, grid, 'optimizer.lr', 'model.hidden');
    const partly = heat.cells[0][0];
    expect(partly.broken).toHaveLength(1);
    expect(partly.measured).toBe(2);
    expect(partly.median).toBeCloseTo(11.6); // (11.1 + 12.1) / 2
    const failed = heat.cells[0][1];
    expect(failed.median).toBeNull();
    expect(failed.pick).toBeNull();
    expect(failed.broken).toHaveLength(3);
  });

  it('has no range before any member has its figure', () => {
    const none = members.map((m) => ({ ...m, figure: null, status: 'pending' }));
    expect(heatOf(none, grid, 'seed', 'optimizer.lr').range).toBeNull();
  });
});

describe('a line along one axis', () => {
  it('is the median with the min and max across the members that share each value', () => {
    const grid = { 'optimizer.lr': [0.1, 0.01], seed: [0, 1] };
    const members = [
      member(0, { 'optimizer.lr': 0.1, seed: 0 }, 1),
      member(1, { 'optimizer.lr': 0.1, seed: 1 }, 3),
      member(2, { 'optimizer.lr': 0.01, seed: 0 }, 5),
      member(3, { 'optimizer.lr': 0.01, seed: 1 }, null, 'running'),
    ];
    const line = lineOf(members, grid, 'optimizer.lr');
    expect(line.xs).toEqual([0.1, 0.01]);
    expect(line.groups.map((g) => [g.median, g.min, g.max, g.measured])).toEqual([
      [2, 1, 3, 2],
      [5, 5, 5, 1],
    ]);
  });
});

describe('lines along one axis, one per value of another', () => {
  const grid = { 'optimizer.lr': [0.1, 0.01], 'model.hidden': [[8], [8, 8]], seed: [0, 1] };
  const members = [
    member(0, { 'optimizer.lr': 0.1, 'model.hidden': [8], seed: 0 }, 1),
    member(1, { 'optimizer.lr': 0.1, 'model.hidden': [8], seed: 1 }, 3),
    member(2, { 'optimizer.lr': 0.1, 'model.hidden': [8, 8], seed: 0 }, 10),
    member(3, { 'optimizer.lr': 0.1, 'model.hidden': [8, 8], seed: 1 }, 20),
    member(4, { 'optimizer.lr': 0.01, 'model.hidden': [8], seed: 0 }, 5),
    member(5, { 'optimizer.lr': 0.01, 'model.hidden': [8], seed: 1 }, 7),
    member(6, { 'optimizer.lr': 0.01, 'model.hidden': [8, 8], seed: 0 }, 50),
    member(7, { 'optimizer.lr': 0.01, 'model.hidden': [8, 8], seed: 1 }, null, 'diverged'),
  ];

  it('draws a line per value of the second axis, each with its band over the seeds', () => {
    const { xs, series } = linesOf(members, grid, 'optimizer.lr', 'model.hidden');
    expect(xs).toEqual([0.1, 0.01]);
    expect(series.map((l) => l.value)).toEqual([[8], [8, 8]]);
    expect(series[0].groups.map((g) => [g.median, g.min, g.max])).toEqual([
      [2, 1, 3],
      [6, 5, 7],
    ]);
    expect(series[1].groups.map((g) => [g.median, g.min, g.max, g.broken.length])).toEqual([
      [15, 10, 20, 0],
      [50, 50, 50, 1],
    ]);
  });

  it('is one line over every member without a second axis', () => {
    const { series } = linesOf(members, grid, 'optimizer.lr', null);
    expect(series).toHaveLength(1);
    expect(series[0].groups.map((g) => g.measured)).toEqual([4, 3]);
    expect(linesOf(members, grid, 'optimizer.lr', 'optimizer.lr').series).toHaveLength(1);
  });
});

describe('picking and scales', () => {
  it('opens the member nearest the median', () => {
    const ms = [member(0, {}, 1), member(1, {}, 9), member(2, {}, 4), member(3, {}, 5)];
    expect(medianMember(ms)?.index).toBe(2); // median 4.5: 4 and 5 tie, the first wins
    expect(medianMember([member(0, {}, null, 'diverged')])).toBeNull();
  });

  it('puts round ticks on an axis', () => {
    expect(niceTicks(0, 27.8)).toEqual([0, 10, 20]);
    expect(niceTicks(0.06, 0.7)).toEqual([0.2, 0.4, 0.6]);
    expect(niceTicks(1, 1)).toEqual([1]);
  });

  it('draws learning-rate-like axes on a log scale, and places values on it', () => {
    expect(isLogAxis([0.3, 0.1, 0.03, 0.01, 0.003])).toBe(true);
    expect(isLogAxis([8, 16, 32])).toBe(false);
    expect(isLogAxis([0, 0.001, 0.01])).toBe(false);
    expect(isLogAxis([[8], [8, 8]])).toBe(false);
    expect(scalePos(0.1, [0.01, 1], true)).toBeCloseTo(0.5);
    expect(scalePos(5, [0, 10])).toBe(0.5);
    expect(scalePos(20, [0, 10])).toBe(1);
    expect(scalePos(3, [3, 3])).toBe(0.5);
  });
});

describe('the New sweep form', () => {
  it('reads comma lists and names the piece that is not a number', () => {
    expect(parseNumbers('0.3, 0.1,0.03,')).toEqual({ values: [0.3, 0.1, 0.03] });
    expect(parseNumbers('8, x, 16')).toEqual({ bad: 'x' });
    expect(parseNumbers('8, 2.5', true)).toEqual({ bad: '2.5' });
  });

  it('counts the members as the product of the axes', () => {
    expect(memberCount({ seed: seedRange(3, 5), 'optimizer.lr': [1, 2, 3] })).toBe(15);
    expect(seedRange(3, 5)).toEqual([3, 4, 5, 6, 7]);
  });
});

describe('the seed view', () => {
  const c = (v: number[]): Curve => ({ step: v.map((_, i) => i * 10), value: v });
  const curves = { a: { train_loss: c([1, 0.5]) }, b: { train_loss: c([2, 9]) }, d: { train_loss: c([1.5, 0.7]) } };

  it('draws its band from the seeds that neither diverged nor failed, none of the others’ points', () => {
    const members = [
      { run_id: 'a', status: 'finished' },
      { run_id: 'b', status: 'diverged' },
      { run_id: 'd', status: 'failed' },
    ];
    const kept = bandCurves(members, curves, 'train_loss');
    expect(kept).toEqual([curves.a.train_loss]);
    expect(bandOf(kept).max).toEqual([1, 0.5]);
    expect(bandCurves(members.slice(1), curves, 'train_loss')).toEqual([]);
  });

  it('says why members train alone once every started one does, and how many wait', () => {
    const alone = (status: string, reason: string | null) => ({ run_id: status, status, cohort: { alone: reason } });
    expect(aloneNote([alone('running', 'runs on a GPU'), { run_id: 'p', status: 'pending', cohort: null }])).toEqual({
      reason: 'runs on a GPU',
      headline: 'runs on a GPU',
      waiting: 1,
    });
    expect(aloneNote([alone('running', 'x'), alone('running', null)])).toBeNull();
    expect(aloneNote([{ run_id: 'p', status: 'pending', cohort: null }])).toBeNull();
  });

  it('counts as waiting for room only the members not placed yet, not those whose worker is starting', () => {
    // as the server answers an LSTM seed band on a server with room for 4: one trains, three start, one waits
    const lstm = "an LSTM trains alone: a cohort's batched LSTM time loop measured 0.4x (K=1)";
    const placed = (status: string) => ({ run_id: status, status, cohort: { members: 1, alone: lstm } });
    const members = [placed('running'), placed('pending'), placed('pending'), placed('pending'), { run_id: 'q', status: 'pending', cohort: null }];
    expect(waitingForRoom(members)).toBe(1);
    // the note says what trains alone; the measurement goes in its title
    expect(aloneNote(members)).toEqual({ reason: lstm, headline: 'an LSTM trains alone', waiting: 1 });
  });
});

describe('a figure measured at a few steps only', () => {
  const curve = (n: number): Curve => ({ step: Array.from({ length: n }, (_, i) => 1 + i * 100), value: Array(n).fill(0.5) });
  it('says how many points its seeds hold (their median) when too few for the straight lines to mean much', () => {
    // as a 600-step CNN seed band measured its test loss: at steps 1 and 600 on most seeds, 4 steps on one
    expect(sparsePoints([curve(2), curve(2), curve(4), curve(2), curve(2)])).toBe(2);
    expect(sparsePoints([curve(40), curve(41), curve(3)])).toBeNull();
    expect(sparsePoints([])).toBeNull();
  });
});
