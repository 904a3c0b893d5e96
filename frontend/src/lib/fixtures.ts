// Example stream messages shaped exactly as docs/protocol.md describes them (used by the tests).

import type { Frame, Layer } from './protocol';
import type { ExperimentConfig } from './api';

export const LAYERS: Layer[] = [
  { index: 0, name: 'hidden 1', kind: 'linear', fan_in: 2, fan_out: 8, activation: 'tanh' },
  { index: 1, name: 'hidden 2', kind: 'linear', fan_in: 8, fan_out: 8, activation: 'tanh' },
  { index: 2, name: 'output', kind: 'linear', fan_in: 8, fan_out: 1, activation: 'none' },
];

export function frame(seq: number, step: number, over: Partial<Frame> = {}): Frame {
  return {
    seq,
    step,
    epoch: step / 25,
    time: seq * 0.05,
    train_loss: 0.7 - seq * 0.01,
    test_loss: 0.71 - seq * 0.01,
    train_acc: 0.5 + seq * 0.01,
    test_acc: 0.49 + seq * 0.01,
    act_mean: [0.01, 0.02, 0.5],
    act_std: [0.9, 0.8, 0.1],
    grad_norm: [0.1 * (seq + 1), 0.2 * (seq + 1), 0.3 * (seq + 1)],
    ...over,
  };
}

/** The server's default config, as GET /api/options returns it. */
export const CONFIG = {
  dataset: { name: 'circle', n_samples: 400, noise: 0.1, train_fraction: 0.5 },
  model: { hidden: [8, 8], activation: 'tanh' },
  optimizer: { name: 'adam', lr: 0.01 },
  batch_size: 16,
  steps: 3000,
  seed: 0,
  frame_hz: 20,
  device: 'auto',
} as ExperimentConfig;

export const RUN = {
  id: 'r1',
  status: 'running',
  step: 40,
  config: CONFIG,
  created_at: '2025-01-01T00:00:00Z',
  device: 'cpu',
  error: null,
};

export function helloText(frames: Frame[] = [frame(0, 0), frame(1, 20)], run: object = RUN): string {
  return JSON.stringify({ type: 'hello', protocol: 1, run, layers: LAYERS, frames });
}

export function frameText(f: Frame): string {
  return JSON.stringify({ type: 'frame', ...f });
}

export function statusText(status: string, step: number, error: string | null = null): string {
  return JSON.stringify({ type: 'status', status, step, error });
}
