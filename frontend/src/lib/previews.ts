// Dataset previews (GET /api/datasets/{name}/preview) fetched once per URL for the page's lifetime; a failed
// request is forgotten, so a later one retries.

import { authHeaders } from './api';
import { parsePreview, type Preview } from './plane';

/** A JSON GET: the parsed body, or null for an error status. */
export type FetchJson = (url: string) => Promise<unknown | null>;

const fetchJson: FetchJson = (url) =>
  fetch(url, { headers: { Accept: 'application/json', ...authHeaders() } }).then((r) => (r.ok ? r.json() : null));

/** A preview loader with its own cache: the same URL asked twice (even at once) makes one request. */
export function previewLoader(get: FetchJson = fetchJson): (url: string) => Promise<Preview | null> {
  const cache = new Map<string, Promise<Preview | null>>();
  return (url) => {
    let p = cache.get(url);
    if (!p) {
      p = get(url)
        .then((body) => (body === null ? null : parsePreview(body)))
        .catch(() => null)
        .then((v) => {
          if (!v) cache.delete(url);
          return v;
        });
      cache.set(url, p);
    }
    return p;
  };
}

/** The page's one loader: thumbnails of the picker share it across remounts. */
export const loadPreview = previewLoader();
