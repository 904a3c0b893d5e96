// The CSV upload's small rules, for the dataset picker: which upload "your own data" trains on, and how an
// upload's task reads.

/** The upload a choice of dataset `name` trains on: none for a built-in set; for 'upload' the one just chosen, else
 * the one already chosen, else the latest one uploaded (null when there is none yet). */
export function uploadFor(
  name: string,
  chosen: string | undefined,
  current: string | null | undefined,
  uploads: readonly { id: string }[],
): string | null {
  if (name !== 'upload') return null;
  return chosen ?? current ?? uploads.at(-1)?.id ?? null;
}

/** An upload's task in words: regression, two classes, or n classes. */
export function uploadTask(
  upload: { task: string; classes: readonly unknown[] },
  words: { regression: string; binary: string; multiclass: (n: number) => string },
): string {
  if (upload.task === 'regression') return words.regression;
  return upload.classes.length === 2 ? words.binary : words.multiclass(upload.classes.length);
}

/** `uploads` with `set` added at the end (replacing an older copy of it). */
export function withUpload<T extends { id: string }>(uploads: readonly T[], set: T): T[] {
  return [...uploads.filter((u) => u.id !== set.id), set];
}
