// The metric registry as the server serves it (GET /api/metrics): every figure's name, scope, cadence,
// unit, label and meaning in both languages. Legends, axis labels and tooltips read them from here
// rather than restating them.

import { api, type MetricInfo } from './api';
import type { Lang } from './i18n.svelte';

export const metricRegistry = $state<{ list: MetricInfo[] }>({ list: [] });

/** Load the registry once (the page calls it at start; a failure leaves the fallbacks in place). */
export async function loadMetricRegistry(): Promise<void> {
  if (metricRegistry.list.length) return;
  try {
    metricRegistry.list = await api.metricRegistry();
  } catch {
    // the panels fall back to the metric's name
  }
}

export function metricInfo(name: string, list: readonly MetricInfo[] = metricRegistry.list): MetricInfo | undefined {
  return list.find((m) => m.name === name);
}

/** A metric's label in `lang` (its name until the registry has loaded). */
export function metricLabel(name: string, lang: Lang, list: readonly MetricInfo[] = metricRegistry.list): string {
  const info = metricInfo(name, list);
  if (!info) return name.replaceAll('_', ' ');
  return lang === 'zh' ? info.label_zh : info.label;
}

/** The labels of a layer metric's trailing axis (the percentiles' "p0" ... "p100"). */
export function trailingLabels(name: string, list: readonly MetricInfo[] = metricRegistry.list): string[] {
  return metricInfo(name, list)?.trailing ?? [];
}
