import { describe, expect, it } from 'vitest';
import { DEFAULTS } from './fixtures';
import { FORM, formFields, isAdvancedLeaf, type DataKind } from './layout';
import { encodeConfig } from './urlstate';

const plane: DataKind = { input: 'plane', task: 'binary' };
const paths = (fields: { path: string }[]) => fields.map((f) => f.path);

describe('the beginner view and the advanced settings', () => {
  it('show the essentials first, the rest folded away, every field in exactly one of the two', () => {
    const c = structuredClone(DEFAULTS);
    expect(paths(formFields('model', 'basic', c, plane))).toEqual(['model.activation']);
    expect(paths(formFields('training', 'basic', c, plane))).toEqual(['optimizer.name', 'steps']);
    expect(paths(formFields('data', 'basic', c, plane))).toEqual(['dataset.noise', 'dataset.train_fraction', 'dataset.features']);
    expect(paths(formFields('training', 'advanced', c, plane))).toContain('schedule.name');
    expect(paths(formFields('data', 'advanced', c, plane))).toEqual(['dataset.n_samples', 'dataset.preprocessing', 'batch_size']);
    for (const section of ['data', 'model', 'training'] as const) {
      const basic = paths(formFields(section, 'basic', c, plane));
      const advanced = paths(formFields(section, 'advanced', c, plane));
      expect([...basic, ...advanced].sort()).toEqual(paths(formFields(section, 'all', c, plane)).sort());
      expect(basic.filter((p) => advanced.includes(p))).toEqual([]);
    }
    // a field that does not apply to the config is in neither
    expect(paths(formFields('model', 'advanced', c, plane))).not.toContain('model.channels');
    expect(FORM.model.find((f) => f.path === 'model.channels')?.advanced).toBe(true);
  });

  it('tell which changed settings sit in the advanced view (a link’s settings, counted on the toggle)', () => {
    expect(isAdvancedLeaf('optimizer.lr')).toBe(false);
    expect(isAdvancedLeaf('optimizer.name')).toBe(false);
    expect(isAdvancedLeaf('optimizer.beta1')).toBe(true); // a parameter of a choice
    expect(isAdvancedLeaf('schedule.warmup')).toBe(true);
    expect(isAdvancedLeaf('model.norm')).toBe(true);
    expect(isAdvancedLeaf('model.init.bias_value')).toBe(true);
    expect(isAdvancedLeaf('seed')).toBe(true);
    expect(isAdvancedLeaf('dataset.name')).toBe(false);
    expect(isAdvancedLeaf('model.hidden')).toBe(false);
    expect(isAdvancedLeaf('dataset.upload')).toBe(false);
    const c = structuredClone(DEFAULTS);
    c.seed = DEFAULTS.seed + 1;
    c.model.activation = 'relu';
    c.optimizer.lr = DEFAULTS.optimizer.lr * 3;
    const changed = [...encodeConfig(c, DEFAULTS).keys()];
    expect(changed.filter(isAdvancedLeaf)).toEqual(['seed']);
  });
});
