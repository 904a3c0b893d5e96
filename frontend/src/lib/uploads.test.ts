import { describe, expect, it } from 'vitest';
import { uploadFor, uploadTask, withUpload } from './uploads';

describe('uploads', () => {
  const uploads = [{ id: 'a' }, { id: 'b' }];

  it('train a built-in set on no upload, and "your own data" on the chosen, the current or the latest upload', () => {
    expect(uploadFor('circle', 'a', 'b', uploads)).toBeNull();
    expect(uploadFor('upload', 'a', 'b', uploads)).toBe('a');
    expect(uploadFor('upload', undefined, 'a', uploads)).toBe('a');
    expect(uploadFor('upload', undefined, null, uploads)).toBe('b');
    expect(uploadFor('upload', undefined, null, [])).toBeNull();
  });

  it('say the task in words', () => {
    const words = { regression: 'regression', binary: 'two classes', multiclass: (n: number) => `${n} classes` };
    expect(uploadTask({ task: 'regression', classes: [] }, words)).toBe('regression');
    expect(uploadTask({ task: 'classification', classes: [0, 1] }, words)).toBe('two classes');
    expect(uploadTask({ task: 'classification', classes: [0, 1, 2] }, words)).toBe('3 classes');
  });

  it('keep one copy of an upload sent again, last', () => {
    expect(withUpload(uploads, { id: 'a' }).map((u) => u.id)).toEqual(['b', 'a']);
    expect(withUpload(uploads, { id: 'c' }).map((u) => u.id)).toEqual(['a', 'b', 'c']);
  });
});
