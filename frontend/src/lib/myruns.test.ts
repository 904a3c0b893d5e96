import { describe, expect, it } from 'vitest';
import type { Options, RunInfo, SweepInfo } from './api';
import { DEFAULTS } from './fixtures';
import {
  activeRuns,
  activeSweeps,
  checkName,
  continuedEnd,
  createdLabel,
  displayName,
  endedSweeps,
  figures,
  idleFor,
  isBareId,
  maxMoreSteps,
  parseMoreSteps,
  progress,
  runActions,
  sortNewest,
  tabFor,
} from './myruns';

function run(over: Partial<RunInfo> = {}): RunInfo {
  return {
    id: '13bfba3ca029',
    name: 'circle · mlp 8-8 tanh · 14:03 UTC',
    status: 'finished',
    step: 300,
    config: structuredClone(DEFAULTS),
    created_at: '2026-12-02T14:03:00+00:00',
    updated_at: '2026-12-02T14:04:00+00:00',
    device: 'cpu',
    error: null,
    parent: null,
    summary: {},
    owner: 'dc5d6ef32d951634',
    mine: true,
    can_change: true,
    lease: false,
    idle: null,
    // as the server says it: the ended statuses that keep a training state
    continuable: ['finished', 'stopped', 'interrupted'].includes(over.status ?? 'finished'),
    ...over,
  } as RunInfo;
}

describe('names', () => {
  it('shows the run’s own name, never a bare id', () => {
    expect(displayName(run({ name: 'baseline adam' }))).toBe('baseline adam');
    expect(isBareId('13bfba3ca029')).toBe(true);
    expect(isBareId('baseline')).toBe(false);
    expect(isBareId('circle · mlp 8-8 tanh')).toBe(false);
    // a run with no name, or one that is only its id, is named by its data and model
    expect(displayName(run({ name: '' }))).toBe('circle · mlp 8-8 tanh');
    expect(displayName(run({ name: '13bfba3ca029' }))).toBe('circle · mlp 8-8 tanh');
    expect(displayName(run({ name: '  ' }))).toBe('circle · mlp 8-8 tanh');
  });

  it('checks a typed name as the server does: trimmed, 1 to 80 characters', () => {
    expect(checkName('  my run ')).toEqual({ ok: true, name: 'my run' });
    expect(checkName('   ')).toEqual({ ok: false, error: 'empty' });
    expect(checkName('x'.repeat(80))).toEqual({ ok: true, name: 'x'.repeat(80) });
    expect(checkName('x'.repeat(81))).toEqual({ ok: false, error: 'long' });
    expect(checkName('训练'.repeat(40))).toEqual({ ok: true, name: '训练'.repeat(40) });
  });
});

describe('continuing', () => {
  it('checks the steps typed: a whole number from 1 to the limit', () => {
    expect(parseMoreSteps('1000', 5000)).toEqual({ ok: true, steps: 1000 });
    expect(parseMoreSteps(' 250 ', 5000)).toEqual({ ok: true, steps: 250 });
    expect(parseMoreSteps('', 5000)).toEqual({ ok: false, error: 'empty' });
    expect(parseMoreSteps('abc', 5000)).toEqual({ ok: false, error: 'number' });
    expect(parseMoreSteps('12.5', 5000)).toEqual({ ok: false, error: 'integer' });
    expect(parseMoreSteps('0', 5000)).toEqual({ ok: false, error: 'range' });
    expect(parseMoreSteps('-5', 5000)).toEqual({ ok: false, error: 'range' });
    expect(parseMoreSteps('5001', 5000)).toEqual({ ok: false, error: 'range' });
  });

  it('says where the run will end, counting as the server does', () => {
    const finished = run({ step: 300, config: { ...DEFAULTS, steps: 300 } });
    expect(continuedEnd(finished, 1000)).toBe(1300);
    // stopped early: the steps are added to where it stopped (POST /continue: "from where it ended")
    const stopped = run({ status: 'stopped', step: 120, config: { ...DEFAULTS, steps: 300 } });
    expect(continuedEnd(stopped, 1000)).toBe(1120);
    expect(maxMoreSteps(stopped, 1_000_000)).toBe(999_880);
    // an until-stopped run that was stopped: from where it stopped
    expect(continuedEnd(run({ status: 'stopped', step: 420, config: { ...DEFAULTS, steps: null } }), 100)).toBe(520);
    expect(continuedEnd(finished, null)).toBeNull();
    expect(maxMoreSteps(finished, 1_000_000)).toBe(999_700);
  });
});

describe('what a run offers', () => {
  it('follows its status and who owns it', () => {
    const running = runActions(run({ status: 'running' }));
    expect(running).toEqual({ pause: true, resume: false, stop: true, continue: false, fork: true, delete: true });
    const paused = runActions(run({ status: 'paused' }));
    expect(paused).toMatchObject({ pause: false, resume: true, stop: true, continue: false, fork: true });
    for (const status of ['finished', 'stopped'] as const) {
      expect(runActions(run({ status }))).toMatchObject({ pause: false, resume: false, stop: false, continue: true, fork: true });
    }
    // a diverged run cannot continue (its state is not finite), but forks from an earlier step
    expect(runActions(run({ status: 'diverged', step: 40 }))).toMatchObject({ continue: false, fork: true, stop: false });
    expect(runActions(run({ status: 'failed', step: 0 }))).toMatchObject({ continue: false, fork: false });
    // someone else's run: watch and fork only
    expect(runActions(run({ status: 'running', can_change: false }))).toEqual({
      pause: false,
      resume: false,
      stop: false,
      continue: false,
      fork: true,
      delete: false,
    });
  });

  it('lists the active runs (what Stop all mine stops)', () => {
    const list = [run({ id: 'a', status: 'running' }), run({ id: 'b', status: 'finished' }), run({ id: 'c', status: 'paused' })];
    expect(activeRuns(list).map((r) => r.id)).toEqual(['a', 'c']);
  });
});

describe('progress and figures', () => {
  it('reads the step against the planned end, or none for until-stopped', () => {
    expect(progress(run({ step: 150, config: { ...DEFAULTS, steps: 300 } }))).toEqual({ step: 150, total: 300, fraction: 0.5 });
    expect(progress(run({ step: 150, config: { ...DEFAULTS, steps: null } }))).toEqual({ step: 150, total: null, fraction: null });
  });

  it('takes the headline figures from the summary, null where none', () => {
    const r = run({
      summary: {
        train_loss: { value: 0.57, step: 300 },
        test_loss: { value: 0.6, step: 300 },
        test_acc: { value: 0.765, step: 300 },
        time: { value: 0.3, step: 300 },
      },
    });
    expect(figures(r)).toEqual({ testLoss: 0.6, testAcc: 0.765, trainLoss: 0.57, step: 300 });
    expect(figures(run({ summary: { train_loss: { value: 1.2, step: 10 } } }))).toEqual({
      testLoss: null,
      testAcc: null,
      trainLoss: 1.2,
      step: 10,
    });
    expect(figures(run())).toEqual({ testLoss: null, testAcc: null, trainLoss: null, step: null });
  });
});

describe('listing', () => {
  it('puts the newest first', () => {
    const list = [
      run({ id: 'old', created_at: '2026-12-01T10:00:00+00:00' }),
      run({ id: 'new', created_at: '2026-12-02T10:00:00+00:00' }),
      run({ id: 'mid', created_at: '2026-12-01T12:00:00+00:00' }),
    ];
    expect(sortNewest(list).map((r) => r.id)).toEqual(['new', 'mid', 'old']);
  });

  it('says when a run was made: the time alone today, the date otherwise', () => {
    const now = new Date(2026, 11, 2, 18, 0);
    const today = new Date(2026, 11, 2, 14, 3).toISOString();
    const earlier = new Date(2026, 10, 28, 9, 5).toISOString();
    const lastYear = new Date(2025, 10, 28, 9, 5).toISOString();
    expect(createdLabel(today, now, 'en')).toBe('14:03');
    expect(createdLabel(earlier, now, 'en')).toBe('28 Nov 09:05');
    expect(createdLabel(lastYear, now, 'en')).toMatch(/2025/);
    expect(createdLabel(earlier, now, 'zh')).toMatch(/11月28日 09:05/);
    expect(createdLabel('not a date', now, 'en')).toBe('not a date');
  });

  it('says how long an idle run went unwatched', () => {
    expect(idleFor(60.4)).toEqual({ unit: 'seconds', n: 60 });
    expect(idleFor(1800)).toEqual({ unit: 'minutes', n: 30 });
  });

  it('opens a run on the tab that draws it', () => {
    const options = {
      datasets: [
        { name: 'circle', tags: { task: 'binary', input: 'plane' } },
        { name: 'digits', tags: { task: 'multiclass', input: 'image' } },
        { name: 'adding', tags: { task: 'regression', input: 'sequence' } },
      ],
    } as unknown as Options;
    expect(tabFor(options, DEFAULTS)).toBe('playground');
    expect(tabFor(options, { ...DEFAULTS, dataset: { ...DEFAULTS.dataset, name: 'digits' }, model: { ...DEFAULTS.model, kind: 'cnn' } })).toBe(
      'images',
    );
    expect(tabFor(options, { ...DEFAULTS, dataset: { ...DEFAULTS.dataset, name: 'adding' }, model: { ...DEFAULTS.model, kind: 'rnn' } })).toBe(
      'sequences',
    );
  });
});

describe('the owner\'s sweeps in My runs', () => {
  const sweep = (status: string, mine = true) => ({ id: status, status, mine }) as unknown as SweepInfo;
  it('lists the active ones and counts the ended ones of the owner (their runs are in the Sweeps tab)', () => {
    const sweeps = [sweep('running'), sweep('pending'), sweep('done'), sweep('stopped'), sweep('done', false)];
    expect(activeSweeps(sweeps).map((w) => w.status)).toEqual(['running', 'pending']);
    expect(endedSweeps(sweeps)).toBe(2);
    expect(endedSweeps([sweep('running')])).toBe(0);
  });
});
