import { describe, expect, it } from 'vitest';
import type { ExperimentConfig, Options } from './api';
import { carry, demoConfig, findDemo, goalLimit, goalMet, goalValue, isDemoRun, standing, type Demo } from './demos';
import { DEFAULTS } from './fixtures';
import type { Frame } from './protocol';

const SEQUENCES: Demo = {
  id: 'sequences',
  label: { en: 'Load an LSTM', zh: '载入 LSTM' },
  promise: { en: 'It beats the baseline', zh: '它胜过基线' },
  config: {
    ...structuredClone(DEFAULTS),
    dataset: { ...DEFAULTS.dataset, name: 'adding', n_samples: 2000, noise: 0 },
    model: { ...DEFAULTS.model, kind: 'rnn', cell: 'lstm', hidden: [] },
    steps: 1000,
  },
  goals: [
    { metric: 'test_loss', bound: 0.1, above: false, of_baseline: true },
    { metric: 'grad_carry', bound: 0.01, above: true, of_baseline: false },
  ],
};

const frame = (over: Partial<Frame>): Frame => ({ seq: 0, step: 1000, wall: 0, detail: true, ...over }) as Frame;

describe('demos', () => {
  it('loads every setting of the demo but keeps where and how the draft is watched', () => {
    const draft = { ...structuredClone(DEFAULTS), device: 'cpu', frame_hz: 5, optimizer: { ...DEFAULTS.optimizer, lr: 3 } };
    const config = demoConfig(SEQUENCES, draft as ExperimentConfig);
    expect(config.optimizer.lr).toBe(0.01);
    expect(config.dataset.name).toBe('adding');
    expect(config.device).toBe('cpu');
    expect(config.frame_hz).toBe(5);
    expect(SEQUENCES.config.device).toBe('auto'); // the served demo is not changed
    expect(findDemo({ demos: [SEQUENCES] } as unknown as Options, 'sequences')).toBe(SEQUENCES);
    expect(findDemo({ demos: [SEQUENCES] } as unknown as Options, 'images')).toBeUndefined();
  });

  it("knows a demo's run whatever its seed, device and frame rate, and nothing else", () => {
    const run = { ...structuredClone(SEQUENCES.config), seed: 3, device: 'cpu', frame_hz: 10 } as ExperimentConfig;
    expect(isDemoRun(SEQUENCES, run)).toBe(true);
    expect(isDemoRun(SEQUENCES, { ...run, steps: 2000 })).toBe(false);
    expect(isDemoRun(SEQUENCES, { ...run, dataset: { ...run.dataset, seq_len: 21 } })).toBe(false);
    expect(isDemoRun(SEQUENCES, null)).toBe(false);
  });

  it('judges goals on the newest figures, a loss goal against the baseline', () => {
    const [loss, grad] = SEQUENCES.goals;
    const latest = frame({ test_loss: 0.01, grad_time: [0.2, 0.5, 1] });
    expect(goalValue(loss, latest)).toBe(0.01);
    expect(goalValue(grad, latest)).toBeCloseTo(0.2);
    expect(goalLimit(loss, 0.17)).toBeCloseTo(0.017);
    expect(goalMet(loss, 0.01, 0.17)).toBe(true);
    expect(goalMet(loss, 0.02, 0.17)).toBe(false);
    expect(goalMet(loss, 0.01, null)).toBe(false); // no baseline, no verdict
    expect(goalMet(grad, 0.2, null)).toBe(true);
    expect(goalMet(grad, 0.001, 0.17)).toBe(false);
    expect(goalValue(loss, frame({ test_loss: null }))).toBeNull();
    expect(goalValue(grad, null)).toBeNull();
  });

  it('says where the loss stands against the baseline', () => {
    expect(standing(0.0004, 0.168)).toBe('beaten');
    expect(standing(0.1, 0.168)).toBe('learning');
    expect(standing(0.167, 0.168)).toBe('at');
    expect(standing(0.2, 0.168)).toBe('at');
    expect(standing(1.24, 0.168)).toBe('above'); // an untrained network at step 0
    expect(standing(null, 0.168)).toBe('none');
    expect(standing(0.1, null)).toBe('none');
  });

  it('calls the gradient vanished only when the run ended at the baseline', () => {
    expect(carry(0.2, 'beaten', false)).toBe('reaches');
    expect(carry(500, 'at', false)).toBe('grows');
    expect(carry(1e-4, 'at', false)).toBe('fading'); // an LSTM before it has learned to carry it
    expect(carry(1e-4, 'at', true)).toBe('vanished'); // a vanilla RNN that ended at the baseline
    expect(carry(1e-4, 'above', true)).toBe('vanished');
    expect(carry(1e-4, 'above', false)).toBe('fading');
    expect(carry(1e-4, 'none', true)).toBe('vanished');
    expect(carry(1e-4, 'learning', true)).toBe('fading');
    expect(carry(1e-4, 'beaten', true)).toBe('settled');
  });
});
