// The page's run session without a browser: the REST client and the stream are fakes, so what is tested is what the
// session decides: which runs it may stop, what a link's run id does, what a refused start leaves for the page.

import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExperimentConfig, RunInfo } from './api';
import { DEFAULTS, frame, LAYERS } from './fixtures';
import type { HelloMessage } from './protocol';
import type { StreamHandlers } from './stream';

const calls: string[] = [];
const streams: { url: string; handlers: StreamHandlers; closed: boolean }[] = [];
const runs = new Map<string, RunInfo>();

function info(id: string, over: Partial<RunInfo> = {}): RunInfo {
  return {
    id,
    name: `run ${id}`,
    status: 'running',
    step: 0,
    config: DEFAULTS,
    created_at: '',
    updated_at: '',
    device: 'cpu',
    error: null,
    parent: null,
    summary: {},
    owner: 'me',
    mine: true,
    can_change: true,
    lease: true,
    idle: null,
    // as the server says it: the ended statuses that keep a training state
    continuable: ['finished', 'stopped', 'interrupted'].includes(over.status ?? 'running'),
    ...over,
  };
}

vi.mock('./api', async (importOriginal) => {
  const real = await importOriginal<typeof import('./api')>();
  const answer = (id: string, status?: RunInfo['status']) => {
    const run = runs.get(id);
    if (!run) return Promise.reject(new real.ApiError(404, `run '${id}' not found`));
    if (!run.can_change && status) return Promise.reject(new real.ApiError(403, `run ${id} belongs to another owner`));
    if (status) runs.set(id, { ...run, status });
    return Promise.resolve(runs.get(id)!);
  };
  return {
    ...real,
    streamUrl: (id: string) => `ws://test/api/runs/${id}/stream`,
    api: {
      getRun: (id: string) => (calls.push(`get ${id}`), answer(id)),
      createRun: (config: ExperimentConfig, lease = false, start = 'run') => {
        calls.push(`create lease=${lease}${start !== 'run' ? ` start=${start}` : ''}`);
        if (runs.has('full')) {
          const active = [info('a1', { step: 120 }), info('a2', { status: 'paused', step: 7 })];
          return Promise.reject(
            new real.ApiError(429, 'you have 2 active runs, the limit', [], { detail: 'limit', limit: 'owner', active }),
          );
        }
        const run = info(`new${runs.size}`, { status: 'pending', config });
        runs.set(run.id, run);
        return Promise.resolve(run);
      },
      // the server's preview: step 0 of the config it was given (seed 99 is over a limit)
      preview: (config: ExperimentConfig) => {
        calls.push(`preview seed=${config.seed}`);
        if (config.seed === 99) return Promise.reject(new real.ApiError(422, 'model: 9,000,000 parameters is over the limit'));
        const data = { input: 'plane', task: 'binary', classes: 2, extent: [-1, 1, -1, 1], seed: config.seed };
        return Promise.resolve({ config, device: 'cpu', layers: LAYERS, data, metrics: [], frame: { type: 'frame', ...frame(0, 0) } });
      },
      stopRun: (id: string) => (calls.push(`stop ${id}`), answer(id, 'stopped')),
      pauseRun: (id: string) => (calls.push(`pause ${id}`), answer(id, 'paused')),
      resumeRun: (id: string) => (calls.push(`resume ${id}`), answer(id, 'running')),
      stepRun: (id: string) => (calls.push(`step ${id}`), answer(id, 'paused')),
      patchRun: (id: string) => (calls.push(`patch ${id}`), answer(id)),
      continueRun: (id: string, steps: number | null) => {
        calls.push(`continue ${id} ${steps}`);
        const run = runs.get(id)!;
        const total = (run.config.steps ?? run.step) + (steps ?? 0);
        runs.set(id, { ...run, status: 'pending', idle: null, config: { ...run.config, steps: steps === null ? null : total } });
        return Promise.resolve(runs.get(id)!);
      },
    },
  };
});

vi.mock('./stream', () => ({
  openStream: (url: string, handlers: StreamHandlers) => {
    const s = { url, handlers, closed: false };
    streams.push(s);
    return {
      close: () => (s.closed = true),
      runStatus: null,
      state: 'open',
    };
  },
}));

const { RunSession } = await import('./session.svelte');

function hello(run: RunInfo): HelloMessage {
  return {
    type: 'hello',
    protocol: 2,
    run,
    layers: LAYERS,
    data: null,
    metrics: [],
    history: { capacity: 64, tracks: {} },
    latest: null,
    events: [],
  } as unknown as HelloMessage;
}

const lastStream = () => streams[streams.length - 1];

beforeEach(() => {
  calls.length = 0;
  streams.length = 0;
  runs.clear();
  vi.stubGlobal('requestAnimationFrame', (cb: (t: number) => void) => setTimeout(() => cb(0), 0));
  vi.stubGlobal('cancelAnimationFrame', (h: number) => clearTimeout(h));
});

describe('a run from a link', () => {
  it('attaches to the run the link names: the id at once, then its stream', async () => {
    runs.set('r1', info('r1', { step: 500 }));
    const session = new RunSession();
    const done = session.attach('r1');
    expect(session.runId).toBe('r1'); // the page's link keeps the run while it is asked for
    await done;
    expect(session.status).toBe('running');
    expect(session.step).toBe(500);
    expect(lastStream().url).toContain('/api/runs/r1/stream');
    expect(calls).toEqual(['get r1']); // nothing created, nothing stopped
  });

  it('names an unknown run and stays usable', async () => {
    const session = new RunSession();
    await session.attach('nope');
    expect(session.runId).toBeNull();
    expect(session.status).toBe('idle');
    expect(session.error).toContain('nope');
    expect(streams).toHaveLength(0);
    await session.start(DEFAULTS);
    expect(session.runId).toMatch(/^new/);
    expect(session.error).toBeNull();
  });

  it("shows an ended run's final state from its hello, without creating a run", async () => {
    runs.set('done', info('done', { status: 'finished', step: 3000 }));
    const session = new RunSession();
    await session.attach('done');
    lastStream().handlers.onHello(hello(runs.get('done')!));
    expect(session.status).toBe('finished');
    expect(session.step).toBe(3000);
    expect(session.layers).toHaveLength(LAYERS.length);
    expect(calls.filter((c) => c.startsWith('create'))).toEqual([]);
  });
});

describe("someone else's run", () => {
  beforeEach(() => {
    runs.set('theirs', info('theirs', { owner: 'them', mine: false, can_change: false, step: 40 }));
  });

  it('is watched, never changed: Play starts a run of ours and leaves theirs running', async () => {
    const session = new RunSession();
    await session.attach('theirs');
    expect(session.canChange).toBe(false);
    await session.setLr(0.5);
    await session.start(DEFAULTS);
    expect(calls).toEqual(['get theirs', 'create lease=true']);
    expect(runs.get('theirs')!.status).toBe('running');
    expect(session.canChange).toBe(true); // the new run is ours
  });

  it('Reset forgets it without stopping it', async () => {
    const session = new RunSession();
    await session.attach('theirs');
    await session.reset();
    expect(session.runId).toBeNull();
    expect(calls).toEqual(['get theirs']);
  });

  it('learns from the hello that it is not ours', async () => {
    runs.set('x', info('x'));
    const session = new RunSession();
    await session.attach('x');
    expect(session.canChange).toBe(true);
    lastStream().handlers.onHello(hello(info('x', { can_change: false, mine: false })));
    expect(session.canChange).toBe(false);
  });
});

describe('runs of ours', () => {
  it('start with a lease, and a new Play stops the run it replaces', async () => {
    const session = new RunSession();
    await session.start(DEFAULTS);
    const first = session.runId!;
    await session.start(DEFAULTS);
    expect(calls).toEqual(['create lease=true', `stop ${first}`, 'create lease=true']);
    expect(session.runId).not.toBe(first);
  });

  it('a refused start leaves the limit and our active runs; stopping one takes it off the list', async () => {
    runs.set('full', info('full'));
    runs.set('a1', info('a1', { step: 120 }));
    const session = new RunSession();
    await session.start(DEFAULTS);
    expect(session.error).toContain('limit');
    expect(session.limit?.limit).toBe('owner');
    expect(session.limit?.active.map((r) => r.id)).toEqual(['a1', 'a2']);
    await session.stopOther('a1');
    expect(calls).toContain('stop a1');
    expect(session.limit?.active.map((r) => r.id)).toEqual(['a2']);
    runs.delete('full');
    await session.start(DEFAULTS);
    expect(session.limit).toBeNull();
    expect(session.error).toBeNull();
  });

  it('Continue trains an ended run on as the same run: it goes back to active and reattaches', async () => {
    runs.set('done', info('done', { status: 'stopped', step: 1500, idle: { action: 'stopped', step: 1500, after_s: 1800 } }));
    const session = new RunSession();
    await session.attach('done');
    expect(session.canContinue).toBe(true);
    expect(session.idle?.action).toBe('stopped');
    const before = streams.length;
    await session.continueRun(1000);
    expect(calls).toContain('continue done 1000');
    expect(session.runId).toBe('done');
    expect(session.status).toBe('pending'); // an ended run may go back to active through Continue
    expect(session.totalSteps).toBe(4000);
    expect(session.idle).toBeNull();
    expect(streams.length).toBe(before + 1);
    expect(streams[before - 1].closed).toBe(true);
  });

  it('trains until stopped: no total', async () => {
    const session = new RunSession();
    await session.start({ ...DEFAULTS, steps: null });
    expect(session.totalSteps).toBeNull();
    lastStream().handlers.onHello(hello(runs.get(session.runId!)!));
    expect(session.totalSteps).toBeNull();
  });

  it("keeps the idle note of a run that was paused for want of a viewer, after it resumes", async () => {
    const idle = { action: 'paused' as const, step: 1234, after_s: 61 };
    runs.set('p', info('p', { status: 'paused', step: 1234, idle }));
    const session = new RunSession();
    await session.attach('p');
    lastStream().handlers.onHello(hello(runs.get('p')!));
    expect(session.idle).toEqual(idle);
    lastStream().handlers.onStatus({ type: 'status', status: 'running', step: 1240, error: null });
    expect(session.status).toBe('running');
    expect(session.idle).toEqual(idle);
  });
});

describe('the untrained network before Play', () => {
  const seeded = (seed: number): ExperimentConfig => ({ ...DEFAULTS, seed });
  const settle = async () => {
    await vi.advanceTimersByTimeAsync(1000);
  };
  beforeEach(() => {
    vi.useFakeTimers();
    return () => vi.useRealTimers();
  });

  it('shows step 0 of the settings once they stay still, as a run shows a frame: no run, no worker', async () => {
    const session = new RunSession();
    session.requestPreview(seeded(1));
    session.requestPreview(seeded(2)); // dragging: only the settings it stops at are asked for
    await settle();
    expect(calls).toEqual(['preview seed=2']);
    expect(session.previewing).toBe(true);
    expect(session.runId).toBeNull();
    expect(session.status).toBe('idle');
    expect(session.layers).toHaveLength(LAYERS.length);
    expect(session.config?.seed).toBe(2);
    expect(session.series.latest?.step).toBe(0);
    expect(session.series.step).toEqual([0]); // the loss chart has its first point
  });

  it('drops the picture of other settings at once, and an answer that comes after the settings changed', async () => {
    const session = new RunSession();
    session.requestPreview(seeded(1));
    await settle();
    session.requestPreview(seeded(2));
    expect(session.layers).toEqual([]); // nothing of seed 1 is shown as seed 2's
    expect(session.series.latest).toBeNull();
    await settle();
    expect(session.data).toMatchObject({ seed: 2 });
  });

  it('says why settings have no preview (the server refused them), and shows nothing', async () => {
    const session = new RunSession();
    session.requestPreview(seeded(1));
    await settle();
    session.requestPreview(seeded(99));
    await settle();
    expect(session.previewError).toContain('over the limit');
    expect(session.previewing).toBe(false);
    expect(session.layers).toEqual([]);
    expect(session.error).toBeNull(); // not the run's error box
  });

  it('Step before Play starts a run paused after one step, which shows its step 0 until its first frame', async () => {
    const session = new RunSession();
    session.requestPreview(seeded(3));
    await settle();
    await session.start(seeded(3), 'step');
    expect(calls).toEqual(['preview seed=3', 'create lease=true start=step']);
    expect(session.runId).toMatch(/^new/);
    expect(session.series.latest?.step).toBe(0);
    lastStream().handlers.onHello(hello(runs.get(session.runId!)!)); // no frame yet: latest is null
    expect(session.series.latest?.step).toBe(0);
    lastStream().handlers.onFrame({ type: 'frame', ...frame(0, 1) });
    expect(session.series.latest?.step).toBe(1);
  });

  it("a run of other settings does not show this step 0; Reset after a run brings the settings' preview back", async () => {
    const session = new RunSession();
    session.requestPreview(seeded(4));
    await settle();
    await session.start(seeded(5));
    expect(session.series.latest).toBeNull();
    expect(session.layers).toEqual([]);
    await session.reset();
    expect(session.previewing).toBe(true);
    expect(session.config?.seed).toBe(4);
  });
});
