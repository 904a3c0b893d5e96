import { describe, expect, it } from 'vitest';
import { fakeScratch } from './fakecanvas';
import { ScratchCanvases, type Scratch } from './scratch';

describe('scratch canvases', () => {
  it('make one canvas per size and reuse it', () => {
    const made: number[] = [];
    const scratch = new ScratchCanvases((n): Scratch => {
      made.push(n);
      return fakeScratch(n);
    });
    const a = scratch.get(12);
    expect(scratch.get(12)).toBe(a);
    expect(scratch.get(8)).not.toBe(a);
    expect(made).toEqual([12, 8]);
  });

  it('put the painted pixels on the canvas they return', () => {
    const scratch = new ScratchCanvases(fakeScratch);
    const canvas = scratch.paint(1, (px) => px.set([1, 2, 3, 255]));
    expect(canvas).toBe(scratch.get(1).canvas);
    const put = (canvas as unknown as { put: ImageData[] }).put;
    expect(put).toHaveLength(1);
    expect([...put[0].data]).toEqual([1, 2, 3, 255]);
  });
});
