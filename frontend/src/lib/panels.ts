// The panels a lesson can ask the user to watch, keyed by the server's panel ids (the `Panel` enum of the OpenAPI
// schema, which lessons name in `watch`): the tab each lives in, its test id (PanelFrame's, which the outline
// follows) and its name in both languages. The ids come from the server, so a panel added there and missing here
// fails the type check.

import type { components } from './api-types';
import type { Lang } from './i18n.svelte';
import type { Tab } from './urlstate';

export type Panel = components['schemas']['Panel'];

export interface PanelInfo {
  tab: Tab;
  /** the test id of the panel's PanelFrame: the outline goes to the frame with this id */
  testid: string;
  label: Record<Lang, string>;
}

export const PANELS: Record<Panel, PanelInfo> = {
  'loss-chart': {
    tab: 'playground',
    testid: 'loss-panel',
    label: { en: '“Loss and accuracy” (playground)', zh: '“损失与准确率”（游乐场）' },
  },
  boundary: {
    tab: 'playground',
    testid: 'output',
    label: { en: '“Output”, the decision boundary (playground)', zh: '“输出”，即决策边界（游乐场）' },
  },
  'network-graph': {
    tab: 'playground',
    testid: 'network-graph',
    label: { en: '“Network” (playground)', zh: '“网络”（游乐场）' },
  },
  'grad-flow': {
    tab: 'playground',
    testid: 'grad-panel',
    label: { en: '“Gradient flow” (playground)', zh: '“梯度流”（游乐场）' },
  },
  'activation-bands': {
    tab: 'playground',
    testid: 'bands-panel',
    label: { en: '“Activation distributions” (playground)', zh: '“激活分布”（游乐场）' },
  },
  pathology: {
    tab: 'playground',
    testid: 'pathology-panel',
    label: { en: '“Layer health”: dead and saturated units (playground)', zh: '“层健康度”：死亡和饱和单元（游乐场）' },
  },
  insights: {
    tab: 'playground',
    testid: 'insights-panel',
    label: { en: '“Insights” (playground)', zh: '“洞察”（游乐场）' },
  },
  images: {
    tab: 'images',
    testid: 'images-maps',
    label: { en: '“Feature maps” (Images tab)', zh: '“特征图”（图像标签页）' },
  },
  sequences: {
    tab: 'sequences',
    testid: 'sequences-gradtime',
    label: { en: '“Gradient through time” (Sequences tab)', zh: '“随时间的梯度”（序列标签页）' },
  },
  'optimizer-lab': {
    tab: 'lab',
    testid: 'optimizer-lab',
    label: { en: 'the Optimizer lab tab', zh: '“优化器实验室”标签页' },
  },
};

/** Where the panel `id` lives: its tab and test id; an unknown id falls back to the playground without an outline. */
export function watchTarget(id: string): { tab: Tab; testid: string } {
  const panel = (PANELS as Record<string, PanelInfo | undefined>)[id];
  return panel ? { tab: panel.tab, testid: panel.testid } : { tab: 'playground', testid: '' };
}

/** The panel's name in `lang`; an unknown id is shown as it is. */
export function panelLabel(id: string, lang: Lang): string {
  return (PANELS as Record<string, PanelInfo | undefined>)[id]?.label[lang] ?? id;
}

/** The name a link gives the panel with test id `testid` when it is shown full screen (`present=`): its server id
 * where it has one (`present=loss-chart`), else its test id (`present=metrics-panel`). */
export function presentKey(testid: string): string {
  const entry = Object.entries(PANELS).find(([, p]) => p.testid === testid);
  return entry ? entry[0] : testid;
}

/** The test id of the panel a link's `present=` names (presentKey's inverse). */
export function presentTestid(key: string): string {
  return (PANELS as Record<string, PanelInfo | undefined>)[key]?.testid ?? key;
}
