// The whole config in the page's URL, so a shared link reproduces the run: every leaf that differs
// from the server's defaults becomes `path=value` (`model.hidden=8,8`, `optimizer.lr=0.03`).
// Lists of numbers or names are comma-joined; lists of objects and other values are JSON.
// Keys that are not config paths (`lang`, `tab`, `token`, ...) belong to the app and are kept apart.

import type { ExperimentConfig } from './api';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function equal(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isFlatList(v: Json[]): boolean {
  return v.every((x) => typeof x === 'number' || (typeof x === 'string' && !x.includes(',')));
}

function encodeValue(v: Json): string {
  if (Array.isArray(v) && isFlatList(v)) return v.join(',');
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** The config's leaves that differ from `defaults`, as URL parameters. */
export function encodeConfig(config: ExperimentConfig, defaults: ExperimentConfig): URLSearchParams {
  const params = new URLSearchParams();
  const walk = (value: Json, base: Json | undefined, path: string) => {
    if (isObject(value) && isObject(base)) {
      for (const key of Object.keys(value)) walk(value[key], base[key], path ? `${path}.${key}` : key);
      return;
    }
    if (base === undefined || !equal(value, base)) params.set(path, encodeValue(value));
  };
  walk(config as unknown as Json, defaults as unknown as Json, '');
  return params;
}

function decodeValue(text: string, base: Json): Json {
  if (typeof base === 'number') {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`'${text}' is not a number`);
    return n;
  }
  if (typeof base === 'boolean') {
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    throw new Error(`'${text}' is not true or false`);
  }
  if (typeof base === 'string') return text;
  if (Array.isArray(base)) {
    if (text.startsWith('[')) return JSON.parse(text) as Json;
    if (text === '') return [];
    const items = text.split(',');
    const numeric = base.length ? typeof base[0] === 'number' : items.every((x) => x.trim() !== '' && Number.isFinite(Number(x)));
    if (numeric) {
      return items.map((x) => {
        const n = Number(x);
        if (x.trim() === '' || !Number.isFinite(n)) throw new Error(`'${x}' is not a number`);
        return n;
      });
    }
    return items;
  }
  // null defaults (dataset.upload) and objects: JSON, else the text itself
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

export interface DecodedConfig {
  config: ExperimentConfig;
  /** Config keys of the URL that were set. */
  applied: string[];
  /** `path: why` for keys that could not be used (the rest of the URL still applies). */
  errors: string[];
}

/** `defaults` with the URL's config parameters applied; non-config keys are ignored. */
export function decodeConfig(
  params: URLSearchParams,
  defaults: ExperimentConfig,
  resets?: (namePath: string, from: string, to: string) => [string, unknown][],
): DecodedConfig {
  const config = structuredClone(defaults) as unknown as JsonObject;
  const applied: string[] = [];
  const errors: string[] = [];
  for (const [path, text] of params) {
    if (path.startsWith('lab.')) continue; // the optimizer lab's own parameters (labstate.svelte.ts)
    const keys = path.split('.');
    let node: Json = config;
    let ok = true;
    for (const key of keys.slice(0, -1)) {
      if (!isObject(node) || !(key in node)) {
        ok = false;
        break;
      }
      node = node[key];
    }
    const last = keys[keys.length - 1];
    if (!ok || !isObject(node) || !(last in node) || isObject(node[last])) {
      if (keys.length > 1 || isConfigKey(defaults, keys[0])) errors.push(`${path}: not a setting`);
      continue;
    }
    try {
      const before = node[last];
      node[last] = decodeValue(text, before);
      applied.push(path);
      // a link that switches a choice (optimizer.name=rmsprop) without its parameters gets the choice's defaults
      if (last === 'name' && resets && before !== node[last]) {
        for (const [p, v] of resets(path, String(before), String(node[last]))) {
          if (!params.has(p)) setAt(config, p, v as Json);
        }
      }
    } catch (e) {
      errors.push(`${path}: ${(e as Error).message}`);
    }
  }
  return { config: config as unknown as ExperimentConfig, applied, errors };
}

function setAt(config: JsonObject, path: string, value: Json): void {
  const keys = path.split('.');
  let node = config;
  for (const key of keys.slice(0, -1)) node = node[key] as JsonObject;
  node[keys[keys.length - 1]] = value;
}

function isConfigKey(defaults: ExperimentConfig, key: string): boolean {
  return key in (defaults as unknown as JsonObject);
}

/** The URL's non-config parameters (lang, tab, token ...). */
export function appParams(params: URLSearchParams, defaults: ExperimentConfig): URLSearchParams {
  const out = new URLSearchParams();
  for (const [key, value] of params) {
    if (!key.includes('.') && !isConfigKey(defaults, key)) out.set(key, value);
  }
  return out;
}

/** A full query string: the app's own parameters, then the config's. */
export function buildQuery(config: ExperimentConfig, defaults: ExperimentConfig, app: Record<string, string | null>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(app)) if (v !== null && v !== '') params.set(k, v);
  for (const [k, v] of encodeConfig(config, defaults)) params.set(k, v);
  const text = params.toString().replace(/%2C/g, ',');
  return text ? `?${text}` : '';
}
