// Values that cannot be sent: what was typed into a field (or came in a link) out of range or not a number, by
// config path (`optimizer.lr`, `model.hidden.1`; `model` for a network over the parameter limit). The field shows
// the text marked, with the limit; the draft config keeps its last valid value, so neither the URL nor a run ever
// carries the text; Play refuses while a field on screen holds one, naming it.

/** The text of each invalid value, as written. */
export const invalid: Record<string, string> = $state({});

/** The fields on screen, each with the sentence that names it and says why its value is refused. */
const shown = new Map<string, () => string>();

export function markInvalid(path: string, text: string): void {
  if (invalid[path] !== text) invalid[path] = text;
}

export function clearInvalid(path: string): void {
  if (path in invalid) delete invalid[path];
}

/** Replace every invalid value (a link just opened). */
export function resetInvalid(entries: Record<string, string> = {}): void {
  for (const path of Object.keys(invalid)) delete invalid[path];
  Object.assign(invalid, entries);
}

/** A field came on screen: while it holds an invalid value, Play refuses with `why()` ("Learning rate: 1e9 is above
 * the maximum of 10."). The returned function is for its unmount: the field's invalid text goes with it (the draft
 * kept its valid value all along). */
export function showField(path: string, why: () => string): () => void {
  shown.set(path, why);
  return () => {
    if (shown.get(path) !== why) return; // another copy of the field took over
    shown.delete(path);
    clearInvalid(path);
  };
}

/** The refusals of the invalid values on screen, one sentence each; empty when Play may send the draft. A value a
 * link brought for a field not on screen does not block (the link's error box said the default is used). */
export function blockingFields(): string[] {
  return Object.keys(invalid)
    .filter((path) => shown.has(path))
    .map((path) => shown.get(path)!());
}
