// The size of the network being built: its parameter count and the server's limit, asked of the server
// (POST /api/configs/size counts the model the run would build, with the code that refuses a run over the limit),
// so the page flags a network that is too large while it is built, not only when Play is refused.

import { authHeaders, errorMessage, type ExperimentConfig, type Options } from './api';
import type { components } from './api-types';
import { dataKind, fittingKind } from './layout';

export type ModelSize = components['schemas']['ModelSize'];

/** The draft as Play sends it: a model kind that does not fit the data becomes one that does (App's play). */
export function sentConfig(options: Options, config: ExperimentConfig): ExperimentConfig {
  const draft = structuredClone(config);
  draft.model.kind = fittingKind(options, draft.model.kind, dataKind(options, draft));
  return draft;
}

/** What is counted: the parts of the config that shape the model (its data and the model itself), as a key that
 * changes only when the count may (not with the learning rate, say). */
export function sizeKey(config: ExperimentConfig): string {
  return JSON.stringify([config.dataset, config.model]);
}

export async function fetchModelSize(config: ExperimentConfig, signal?: AbortSignal): Promise<ModelSize> {
  const res = await fetch('/api/configs/size', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...authHeaders() },
    body: JSON.stringify(config),
    signal,
  });
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw errorMessage(res.status, body);
  return body as ModelSize;
}
