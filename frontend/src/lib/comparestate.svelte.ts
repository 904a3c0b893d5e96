// The comparison the Compare tab shows: the runs ticked (the first is the one the others are compared with) and
// the run whose fork was asked for from another tab. It outlives the tab (switching away and back keeps it) and,
// through sessionStorage, a reload of the page; a run leaves it when it is deleted or unticked.

const KEY = 'glassnet-compare';

function load(store: Storage | undefined): string[] {
  try {
    const ids = JSON.parse(store?.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

class Comparison {
  /** The ticked runs, in the order they were ticked. */
  selected = $state<string[]>(load(globalThis.sessionStorage));
  /** A run to fork, asked for from My runs: Compare ticks it and opens its fork form. */
  forkFrom = $state<string | null>(null);
}

export const comparison = new Comparison();

/** Keep the ticked runs (Compare calls it whenever they change). */
export function saveSelection(ids: readonly string[], store: Storage | undefined = globalThis.sessionStorage): void {
  try {
    store?.setItem(KEY, JSON.stringify(ids));
  } catch {
    // storage full or refused: the selection still lives while the page does
  }
}

/** Ask Compare to fork run `id` (the caller then shows the Compare tab). */
export function requestFork(id: string): void {
  comparison.forkFrom = id;
}
