// Typed REST client for /api (docs/protocol.md, "Routes").
// Every REST type comes from the server's OpenAPI schema via the generated api-types.ts
// (`npm run gen:api`); nothing here restates a schema by hand.

import type { components, operations } from './api-types';

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
export type ContinueRequest = Schemas['ContinueRequest'];
export type OwnerKey = Schemas['OwnerKey'];
/** A 429's body: which limit, and the caller's active runs and sweeps (each takes one slot). */
export type LimitOut = Schemas['LimitOut'];
/** An active sweep of the caller's, as a 429 lists it. */
export type SweepBrief = Schemas['SweepBrief'];
export type IdleNote = Schemas['IdleNote'];
/** The untrained network of a config at step 0 (POST /api/preview), in the shape of a run's hello and frame. */
export type PreviewOut = Schemas['PreviewOut'];
/** A sweep (one run per combination of a grid's values) and its members (GET /api/sweeps/{id}). */
export type SweepInfo = Schemas['SweepInfo'];
export type SweepMember = Schemas['SweepMember'];
export type SweepRequest = Schemas['SweepRequest'];
/** How a new run starts: training at once, paused at step 0, or paused after one step (Step before Play). */
export type RunStart = NonNullable<NonNullable<operations['create_run_api_runs_post']['parameters']['query']>['start']>;
export type ChoiceList = { [K in keyof Options]: Options[K] extends Choice[] ? K : never }[keyof Options];

/** A non-2xx answer; `message` is the server's `detail`, which names the field or limit. */
export class ApiError extends Error {
  readonly status: number;
  readonly fieldErrors: { field: string; message: string }[];
  /** The parsed error body (a 429's `limit` and `active` runs live there). */
  readonly body: unknown;

  constructor(status: number, message: string, fieldErrors: { field: string; message: string }[] = [], body?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.fieldErrors = fieldErrors;
    this.body = body;
  }

  /** A 429's details: which limit, and the caller's active runs (so the page can offer to stop one). */
  get limit(): LimitOut | null {
    const b = this.body as Partial<LimitOut> | undefined;
    return this.status === 429 && b && Array.isArray(b.active) ? (b as LimitOut) : null;
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
  return new ApiError(status, message, fieldErrors, body);
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

const OWNER_STORE = 'glassnet-owner';
export const OWNER_HEADER = 'X-Glassnet-Owner';

let roomOwner: OwnerKey | null = null;

/** While the page is a student in a room (rooms.ts): the owner key its join returned, used in place of this browser's
 * own key by every call and stream; null goes back to the browser's own key (which stays stored throughout). */
export function useRoomOwner(key: OwnerKey | null): void {
  roomOwner = key;
}

/** The room's owner key in use, if the page is a student in a room. */
export function roomOwnerKey(): OwnerKey | null {
  return roomOwner;
}

/** This browser's owner key (issued by the server on the first visit, kept in localStorage), if it has one; a room's
 * key while the page is a student in one (useRoomOwner). */
export function storedOwner(store: Storage | undefined = globalThis.localStorage): OwnerKey | null {
  if (roomOwner) return roomOwner;
  try {
    const parsed = JSON.parse(store?.getItem(OWNER_STORE) ?? 'null') as OwnerKey | null;
    return parsed && typeof parsed.key === 'string' && typeof parsed.owner === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

let issuing: Promise<OwnerKey | null> | null = null;

/** The owner key, asking the server for one if this browser has none yet (once, however many callers wait). */
export function ensureOwner(store: Storage | undefined = globalThis.localStorage): Promise<OwnerKey | null> {
  const known = storedOwner(store);
  if (known) return Promise.resolve(known);
  issuing ??= request<OwnerKey>('POST', '/api/owners', undefined, 'application/json', false)
    .then((issued) => {
      store?.setItem(OWNER_STORE, JSON.stringify(issued));
      return issued;
    })
    .catch(() => null) // the calls that need a key then say why they failed
    .finally(() => (issuing = null));
  return issuing;
}

/** Forget a key the server no longer accepts (its data was reset): the next call gets a new one. */
function forgetOwner(store: Storage | undefined = globalThis.localStorage): void {
  store?.removeItem(OWNER_STORE);
}

/** The Authorization and owner headers for fetches outside `request` (exports, downloads). */
export function authHeaders(): Record<string, string> {
  const token = accessToken();
  const owner = storedOwner();
  return { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(owner ? { [OWNER_HEADER]: owner.key } : {}) };
}

/** `fetch`, with a server that cannot be reached as an ApiError (status 0) that names the call. */
export async function reach(method: string, path: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(path, { ...init, method });
  } catch (e) {
    throw new ApiError(0, `cannot reach the server (${method} ${path}): ${(e as Error).message}`);
  }
}

/** An answer's body: its JSON where it parses, else its text (undefined when empty). */
export function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  withOwner = true,
  retry = true,
): Promise<T> {
  if (withOwner) await ensureOwner();
  const headers: Record<string, string> = { Accept: 'application/json', ...(withOwner ? authHeaders() : {}) };
  if (body !== undefined) headers['Content-Type'] = contentType;
  const token = accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await reach(method, path, { headers, body: payload });
  const parsed = parseBody(await res.text());
  const detail = String((parsed as { detail?: unknown } | undefined)?.detail ?? '');
  if (res.status === 401 && withOwner && retry && !roomOwner && headers[OWNER_HEADER] && detail.includes('did not issue')) {
    forgetOwner(); // a key this server did not issue (its data was reset): get a new one and try once more
    return request<T>(method, path, body, contentType, true, false);
  }
  if (res.status === 401) {
    throw new ApiError(401, 'This server needs an access token: open the page as /?token=<token> (it is remembered).');
  }
  if (!res.ok) throw errorMessage(res.status, parsed);
  return parsed as T;
}

const runPath = (id: string) => `/api/runs/${encodeURIComponent(id)}`;
const sweepPath = (id: string) => `/api/sweeps/${encodeURIComponent(id)}`;

export const api = {
  health: () => request<Health>('GET', '/api/health'),
  options: () => request<Options>('GET', '/api/options'),
  /** The caller's runs, newest first. */
  listRuns: (limit = 50) => request<RunPage>('GET', `/api/runs?limit=${limit}`),
  getRun: (id: string) => request<RunInfo>('GET', runPath(id)),
  /** Start a run; `lease`: it pauses while no page watches it (what the page's own runs do); `start`: train at
   * once, or wait paused at step 0 ('pause') or after one step ('step'). */
  createRun: (config: ExperimentConfig, lease = false, start: RunStart = 'run') => {
    const query = [...(lease ? ['lease=true'] : []), ...(start !== 'run' ? [`start=${start}`] : [])];
    return request<RunInfo>('POST', `/api/runs${query.length ? `?${query.join('&')}` : ''}`, config);
  },
  /** The untrained network of `config` at step 0: no run, no worker (rate-limited per address). */
  preview: (config: ExperimentConfig) => request<PreviewOut>('POST', '/api/preview', config),
  /** Train an ended run on for `steps` more (null: until stopped), as the same run. */
  continueRun: (id: string, steps: number | null) => request<RunInfo>('POST', `${runPath(id)}/continue`, { steps }),
  renameRun: (id: string, name: string) => request<RunInfo>('PATCH', runPath(id), { name }),
  /** Stop every active run of this browser's owner. */
  stopAllMine: () => request<{ stopped: string[] }>('POST', '/api/runs/stop-all'),
  pauseRun: (id: string) => request<RunInfo>('POST', `${runPath(id)}/pause`),
  resumeRun: (id: string) => request<RunInfo>('POST', `${runPath(id)}/resume`),
  stopRun: (id: string) => request<RunInfo>('POST', `${runPath(id)}/stop`),
  stepRun: (id: string) => request<RunInfo>('POST', `${runPath(id)}/step`),
  patchRun: (id: string, changes: RunChanges) => request<RunInfo>('PATCH', runPath(id), changes),
  forkRun: (id: string, fork: ForkRequest) => request<RunInfo>('POST', `${runPath(id)}/fork`, fork),
  metrics: (id: string) => request<Metrics>('GET', `${runPath(id)}/metrics`),
  /** Some columns of a run's history (`train_loss`, `test_acc`, ...); a 422 names the columns the run has. */
  metricSeries: (id: string, series: readonly string[]) =>
    request<Metrics>('GET', `${runPath(id)}/metrics?series=${series.map(encodeURIComponent).join(',')}`),
  /** Start a sweep of the caller's: one run per combination of `grid`'s values around `config` (one slot of theirs);
   * `lease`: its members pause while no page polls the sweep (the page's own seed sweep). */
  createSweep: (sweep: SweepRequest, lease = false) => request<SweepInfo>('POST', `/api/sweeps${lease ? '?lease=true' : ''}`, sweep),
  /** The caller's sweeps, newest first. */
  listSweeps: () => request<SweepInfo[]>('GET', '/api/sweeps'),
  getSweep: (id: string) => request<SweepInfo>('GET', sweepPath(id)),
  stopSweep: (id: string) => request<SweepInfo>('POST', `${sweepPath(id)}/stop`),
  metricRegistry: () => request<MetricInfo[]>('GET', '/api/metrics'),
  uploadDataset: (csv: string, name: string) =>
    request<UploadedDataset>('POST', `/api/datasets?name=${encodeURIComponent(name)}`, csv, 'text/csv'),
  listDatasets: () => request<UploadedDataset[]>('GET', '/api/datasets'),
  deleteRun: (id: string) => request<void>('DELETE', runPath(id)),
  lessons: () => request<Lesson[]>('GET', '/api/lessons'),
  runLesson: (id: string) => request<LessonCheck>('POST', `/api/lessons/${encodeURIComponent(id)}/run`),
};

/** `ws://host/api/runs/{id}/stream` on the page's own host, `wss://` under https, with the token and the owner
 * key (?key=) if any (a stream cannot set headers). */
export function streamUrl(
  id: string,
  loc: { protocol: string; host: string } = location,
  token: string | null = accessToken(),
  owner: string | null = storedOwner()?.key ?? null,
): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const params = [
    ...(token ? [`token=${encodeURIComponent(token)}`] : []),
    ...(owner ? [`key=${encodeURIComponent(owner)}`] : []),
  ];
  const query = params.length ? `?${params.join('&')}` : '';
  return `${scheme}//${loc.host}${runPath(id)}/stream${query}`;
}

/** Path of a sweep's summary table (one row per member); fetch it with authHeaders(). */
export function sweepExportPath(id: string, format: 'csv' | 'json'): string {
  return `${sweepPath(id)}/export?format=${format}`;
}

/** Path of a run's export (`csv` or `json`); fetch it with authHeaders(). */
export function exportPath(id: string, format: 'csv' | 'json'): string {
  return `${runPath(id)}/export?format=${format}`;
}
