// The insight event selected in the Insights list or on the loss chart, shared by the telemetry panels:
// the loss chart highlights its marker, the pathology table its layer.

export const selection = $state<{ key: string | null; layer: number | null }>({ key: null, layer: null });

export function select(key: string | null, layer: number | null = null): void {
  selection.key = key;
  selection.layer = key === null ? null : layer;
}
