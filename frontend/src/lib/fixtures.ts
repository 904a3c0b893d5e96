// Example stream messages shaped exactly as docs/protocol.md describes them (used by the tests).

import type { Frame, Layer } from './protocol';
import type { ExperimentConfig } from './api';
import type { HistoryWire } from './history';

const plain = { norm: 'none', residual: false };
export const LAYERS: Layer[] = [
  { index: 0, name: 'hidden 1', kind: 'linear', fan_in: 2, fan_out: 8, activation: 'tanh', ...plain },
  { index: 1, name: 'hidden 2', kind: 'linear', fan_in: 8, fan_out: 8, activation: 'tanh', ...plain },
  { index: 2, name: 'output', kind: 'linear', fan_in: 8, fan_out: 1, activation: 'none', ...plain },
];

/** A frame as the server sends it: the per-frame figures always; with `detail` (the default here), the
 * detail figures too. */
export function frame(seq: number, step: number, over: Partial<Frame> = {}): Frame {
  const detail = over.detail ?? true;
  return {
    seq,
    step,
    wall: 1_700_000_000 + seq * 0.05,
    detail,
    first_bad_step: null,
    epoch: step / 25,
    time: seq * 0.05,
    lr: 0.01,
    train_loss: 0.7 - seq * 0.01,
    grad_norm: [0.1 * (seq + 1), 0.2 * (seq + 1), 0.3 * (seq + 1)],
    ...(detail
      ? {
          test_loss: 0.71 - seq * 0.01,
          train_acc: 0.5 + seq * 0.01,
          test_acc: 0.49 + seq * 0.01,
          act_mean: [0.01, 0.02, 0.5],
          act_std: [0.9, 0.8, 0.1],
        }
      : {}),
    ...over,
  };
}

/** The history of these frames as a hello carries it: one bucket per measurement (the capacity is not
 * reached), each figure at the steps it was measured. */
export function historyOf(frames: Frame[], capacity = 1024): HistoryWire {
  const tracks: HistoryWire['tracks'] = {};
  for (const f of frames) {
    for (const [name, value] of Object.entries(f)) {
      if (['seq', 'step', 'wall', 'detail', 'first_bad_step', 'dense', 'type'].includes(name)) continue;
      const t = (tracks[name] ??= { shape: [], per_bucket: 1, first: [], step: [], count: [], last: [] });
      t.first.push(f.step);
      t.step.push(f.step);
      t.count.push(1);
      t.last.push(value);
    }
  }
  return { capacity, tracks };
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

/** The server's full default config (config.default_config()), for URL-state tests. */
export const DEFAULTS = {"dataset": {"name": "circle", "n_samples": 400, "noise": 0.1, "train_fraction": 0.5, "features": ["x1", "x2"], "seq_len": 20, "preprocessing": "none", "upload": null}, "model": {"kind": "mlp", "hidden": [8, 8], "activation": "tanh", "slope": 0.01, "alpha": 1.0, "beta": 1.0, "init": {"name": "default", "value": 0.0, "std": 0.1, "bound": 0.1, "gain": 1.0, "mode": "fan_in", "bias": "zeros", "bias_value": 0.0}, "recurrent_init": {"name": "default", "value": 0.0, "std": 0.1, "bound": 0.1, "gain": 1.0, "mode": "fan_in", "bias": "zeros", "bias_value": 0.0}, "norm": "none", "norm_position": "before", "residual": false, "dropout": 0.0, "layers": [], "channels": [8, 16], "kernel_size": 3, "pooling": "max", "cell": "lstm", "rnn_hidden": 32, "rnn_layers": 1}, "optimizer": {"name": "adam", "lr": 0.01, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "eps": 1e-08, "rho": 0.9, "weight_decay": 0.0}, "schedule": {"name": "constant", "step_size": 1000, "gamma": 0.5, "warmup_steps": 200, "min_lr_ratio": 0.0, "patience": 10, "factor": 0.5}, "clipping": {"name": "none", "max_norm": 1.0, "clip_value": 1.0}, "regularization": {"l1": 0.0, "early_stopping": 0, "label_smoothing": 0.0, "input_noise": 0.0}, "loss": "auto", "batch_size": 16, "steps": 3000, "eval_every": 50, "seed": 0, "frame_hz": 20.0, "device": "auto"} as ExperimentConfig;

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
  const latest = [...frames].reverse().find((f) => f.detail) ?? null;
  const history = historyOf(frames);
  return JSON.stringify({ type: 'hello', protocol: 2, run, layers: LAYERS, data: null, metrics: [], history, latest, events: [] });
}

export function frameText(f: Frame): string {
  return JSON.stringify({ type: 'frame', ...f });
}

export function statusText(status: string, step: number, error: string | null = null): string {
  return JSON.stringify({ type: 'status', status, step, error });
}

/** A localStorage that lives in memory (a fresh one per test). */
export function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (k: string) => data.get(k) ?? null,
    key: (i: number) => [...data.keys()][i] ?? null,
    removeItem: (k: string) => void data.delete(k),
    setItem: (k: string, v: string) => void data.set(k, String(v)),
  };
}
