import { describe, expect, it } from 'vitest';
import { previewLoader } from './previews';

const body = { input: 'plane', task: 'binary', classes: 2, extent: [-1, 1, -1, 1], x: [[0, 0]], y: [1] };

describe('the preview loader', () => {
  it('asks once per URL, even when asked again before the answer came', async () => {
    const asked: string[] = [];
    const load = previewLoader(async (url) => (asked.push(url), body));
    const [a, b] = await Promise.all([load('/p?noise=0'), load('/p?noise=0')]);
    expect(a).toEqual(b);
    expect(a?.input).toBe('plane');
    await load('/p?noise=0');
    await load('/p?noise=0.1');
    expect(asked).toEqual(['/p?noise=0', '/p?noise=0.1']);
  });

  it('forgets a failed or malformed answer, so the next time asks again', async () => {
    const answers = [() => null, () => ({ nonsense: true }), () => Promise.reject(new Error('offline')), () => body];
    let calls = 0;
    const load = previewLoader(async () => answers[calls++]());
    expect(await load('/p')).toBeNull(); // an error status
    expect(await load('/p')).toBeNull(); // not a preview
    expect(await load('/p')).toBeNull(); // the network failed
    expect((await load('/p'))?.y).toEqual([1]);
    expect(calls).toBe(4);
    await load('/p');
    expect(calls).toBe(4); // now it is kept
  });
});
