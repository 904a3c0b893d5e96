// Typed REST client for /api (docs/protocol.md, "Routes").
// Every REST type comes from the server's OpenAPI schema via the generated api-types.ts
// (`npm run gen:api`); nothing here restates a schema by hand.

import type { components } from './api-types';

type Schemas = components['schemas'];

export type ExperimentConfig = Schemas['ExperimentConfig'];
export type DatasetConfig = Schemas['DatasetConfig'];
export type ModelConfig = Schemas['ModelConfig'];
export type OptimizerConfig = Schemas['OptimizerConfig'];
export type RunInfo = Schemas['RunInfo'];
export type RunPage = Schemas['RunPage'];
export type RunStatus = RunInfo['status'];
export type Options = Schemas['Options'];
export type Choice = Options['activations'][number];
export type Health = Schemas['Health'];
export type Metrics = Schemas['Metrics'];
/** A metric of the registry (GET /api/metrics): name, scope, cadence, unit, label and meaning. */
export type MetricInfo = Schemas['MetricOut'];
export type UploadedDataset = Schemas['UploadedDataset'];
export type ForkRequest = Schemas['ForkRequest'];
export type RunChanges = Schemas['RunChanges'];
export type LessonText = Schemas['TextOut'];
export type Lesson = Schemas['LessonOut'];
export type LessonArm = Schemas['LessonArmOut'];
export type LessonCheck = Schemas['LessonCheck'];
export type LessonArmRun = Schemas['LessonArmRun'];
export type ChoiceList = { [K in keyof Options]: Options[K] extends Choice[] ? K : never }[keyof Options];

/** A non-2xx answer; `message` is the server's `detail`, which names the field or limit. */
export class ApiError extends Error {
  readonly status: number;
  readonly fieldErrors: { field: string; message: string }[];

  constructor(status: number, message: string, fieldErrors: { field: string; message: string }[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.fieldErrors = fieldErrors;
  }
}

/** Turn an error body into one readable message (contract: `{"detail": str, "errors"?: [...]}`). */
export function errorMessage(status: number, body: unknown): ApiError {
  let message = `HTTP ${status}`;
  const fieldErrors: { field: string; message: string }[] = [];
  if (typeof body === 'object' && body !== null) {
    const b = body as Record<string, unknown>;
    if (Array.isArray(b.errors)) {
      for (const e of b.errors) {
        if (typeof e === 'object' && e !== null) {
          const r = e as Record<string, unknown>;
          fieldErrors.push({ field: String(r.field ?? ''), message: String(r.message ?? '') });
        }
      }
    }
    if (typeof b.detail === 'string') {
      message = b.detail;
    } else if (Array.isArray(b.detail)) {
      // FastAPI's default validation body: [{"loc": [...], "msg": ...}]
      message = b.detail
        .map((d) => {
          const r = (d ?? {}) as Record<string, unknown>;
          const loc = Array.isArray(r.loc) ? r.loc.filter((x) => x !== 'body').join('.') : '';
          return loc ? `${loc}: ${String(r.msg ?? '')}` : String(r.msg ?? '');
        })
        .join('; ');
    }
  } else if (typeof body === 'string' && body.trim()) {
    message = `HTTP ${status}: ${body.trim().slice(0, 200)}`;
  }
  return new ApiError(status, message, fieldErrors);
}

const TOKEN_KEY = 'glassnet-token';

/** The server's access token, if it needs one: from the page's `?token=` (remembered), else remembered. */
export function accessToken(search: string = globalThis.location?.search ?? '', store: Storage | undefined = globalThis.localStorage): string | null {
  const fromUrl = new URLSearchParams(search).get('token');
  if (fromUrl) {
    store?.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return store?.getItem(TOKEN_KEY) ?? null;
}

/** The Authorization header for fetches outside `request` (exports, downloads). */
export function authHeaders(): Record<string, string> {
  const token = accessToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  let res: Response;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = contentType;
  const token = accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    res = await fetch(path, { method, headers, body: payload });
  } catch (e) {
    throw new ApiError(0, `cannot reach the server (${method} ${path}): ${(e as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (res.status === 401) {
    throw new ApiError(401, 'This server needs an access token: open the page as /?token=<token> (it is remembered).');
  }
  if (!res.ok) throw errorMessage(res.status, parsed);
  return parsed as T;
}

const runPath = (id: string) => `/api/runs/${encodeURIComponent(id)}`;

export const api = {
  health: () => request<Health>('GET', '/api/health'),
  options: () => request<Options>('GET', '/api/options'),
  listRuns: (limit = 50) => request<RunPage>('GET', `/api/runs?limit=${limit}`),
  getRun: (id: string) => request<RunInfo>('GET', runPath(id)),
  createRun: (config: ExperimentConfig) => request<RunInfo>('POST', '/api/runs', config),
  pauseRun: (id: string) => request<RunInfo>('POST', `${runPath(id)}/pause`),
  resumeRun: (id: string) => request<RunInfo>('POST', `${runPath(id)}/resume`),
  stopRun: (id: string) => request<RunInfo>('POST', `${runPath(id)}/stop`),
  stepRun: (id: string) => request<RunInfo>('POST', `${runPath(id)}/step`),
  patchRun: (id: string, changes: RunChanges) => request<RunInfo>('PATCH', runPath(id), changes),
  forkRun: (id: string, fork: ForkRequest) => request<RunInfo>('POST', `${runPath(id)}/fork`, fork),
  metrics: (id: string) => request<Metrics>('GET', `${runPath(id)}/metrics`),
  metricRegistry: () => request<MetricInfo[]>('GET', '/api/metrics'),
  uploadDataset: (csv: string, name: string) =>
    request<UploadedDataset>('POST', `/api/datasets?name=${encodeURIComponent(name)}`, csv, 'text/csv'),
  listDatasets: () => request<UploadedDataset[]>('GET', '/api/datasets'),
  deleteRun: (id: string) => request<void>('DELETE', runPath(id)),
  lessons: () => request<Lesson[]>('GET', '/api/lessons'),
  runLesson: (id: string) => request<LessonCheck>('POST', `/api/lessons/${encodeURIComponent(id)}/run`),
};

/** `ws://host/api/runs/{id}/stream` on the page's own host, `wss://` under https, with the token if any. */
export function streamUrl(
  id: string,
  loc: { protocol: string; host: string } = location,
  token: string | null = accessToken(),
): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}//${loc.host}${runPath(id)}/stream${query}`;
}

/** Path of a run's export (`csv` or `json`); fetch it with authHeaders(). */
export function exportPath(id: string, format: 'csv' | 'json'): string {
  return `${runPath(id)}/export?format=${format}`;
}
