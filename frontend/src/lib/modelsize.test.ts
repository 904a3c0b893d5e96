import { describe, expect, it } from 'vitest';
import type { Options } from './api';
import { DEFAULTS } from './fixtures';
import { sentConfig, sizeKey } from './modelsize';

const kind = (name: string, reads: string[], made_for: string[]) => ({ name, tags: { reads, made_for } });
const set = (name: string, input: string, task: string) => ({ name, tags: { input, task } });
/** The registry's model kinds and datasets, as /api/options tags them. */
const OPTIONS = {
  model_kinds: [
    kind('mlp', ['plane', 'curve', 'table', 'sequence', 'image'], ['plane', 'curve', 'table']),
    kind('cnn', ['image'], ['image']),
    kind('rnn', ['sequence'], ['sequence']),
  ],
  datasets: [set('circle', 'plane', 'binary'), set('digits', 'image', 'multiclass')],
} as unknown as Options;

describe('what the size of the network is asked for', () => {
  it('is the draft as Play sends it: a model kind that does not fit the data becomes one that does', () => {
    const draft = structuredClone(DEFAULTS);
    draft.model.kind = 'cnn'; // on the circle: Play trains an MLP, so the MLP is counted
    expect(sentConfig(OPTIONS, draft).model.kind).toBe('mlp');
    expect(draft.model.kind).toBe('cnn'); // the draft itself is left as it is
    draft.dataset.name = 'digits';
    expect(sentConfig(OPTIONS, draft).model.kind).toBe('cnn');
  });

  it('is asked again when the model or its data change, not for the learning rate', () => {
    const a = structuredClone(DEFAULTS);
    const b = structuredClone(DEFAULTS);
    b.optimizer.lr = 0.5;
    expect(sizeKey(a)).toBe(sizeKey(b));
    b.model.hidden = [...b.model.hidden, 8];
    expect(sizeKey(a)).not.toBe(sizeKey(b));
    const c = structuredClone(DEFAULTS);
    c.dataset.features = ['x1'];
    expect(sizeKey(a)).not.toBe(sizeKey(c));
  });
});
