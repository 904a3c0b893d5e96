import { describe, expect, it } from 'vitest';
import openapi from '../../openapi.json';
import { PANELS, panelLabel, presentKey, presentTestid, watchTarget } from './panels';
import { TABS } from './urlstate';

// the server's panel ids: the `Panel` enum that lessons' `watch` is typed with
const SERVER_PANELS = (openapi as unknown as { components: { schemas: Record<string, { enum?: string[] }> } }).components
  .schemas.Panel.enum!;

describe('the panels a lesson can point at', () => {
  it('are exactly the server’s, each with a tab, a test id and a name in both languages', () => {
    expect(SERVER_PANELS.length).toBeGreaterThan(0);
    expect(Object.keys(PANELS).sort()).toEqual([...SERVER_PANELS].sort());
    for (const [id, panel] of Object.entries(PANELS)) {
      expect(TABS, id).toContain(panel.tab);
      expect(panel.testid, id).not.toBe('');
      expect(panel.label.en, id).not.toBe('');
      expect(panel.label.zh, id).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('point at the right panels, and an unknown id at none', () => {
    expect(watchTarget('loss-chart')).toEqual({ tab: 'playground', testid: 'loss-panel' });
    expect(watchTarget('images')).toEqual({ tab: 'images', testid: 'images-maps' });
    expect(watchTarget('optimizer-lab')).toEqual({ tab: 'lab', testid: 'optimizer-lab' });
    expect(watchTarget('nope')).toEqual({ tab: 'playground', testid: '' });
  });

  it('are named in the page’s language', () => {
    expect(panelLabel('grad-flow', 'en')).toBe('“Gradient flow” (playground)');
    expect(panelLabel('grad-flow', 'zh')).toBe('“梯度流”（游乐场）');
    expect(panelLabel('nope', 'zh')).toBe('nope');
  });

  it('are named in a presenter link by their server id, other panels by their test id, both ways', () => {
    expect(presentKey('loss-panel')).toBe('loss-chart');
    expect(presentKey('output')).toBe('boundary');
    expect(presentKey('metrics-panel')).toBe('metrics-panel');
    for (const [id, panel] of Object.entries(PANELS)) {
      expect(presentTestid(presentKey(panel.testid)), id).toBe(panel.testid);
    }
    expect(presentTestid('metrics-panel')).toBe('metrics-panel');
  });
});
