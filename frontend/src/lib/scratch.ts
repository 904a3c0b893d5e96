// Small offscreen canvases, one per image size, reused from draw to draw: a map is painted into one
// pixel by pixel, then drawn scaled into the visible canvas.

export interface Scratch {
  canvas: HTMLCanvasElement;
  /** The canvas's pixels, n x n RGBA. */
  img: ImageData;
}

/** An n x n canvas and its pixels (in the page). */
export function pageScratch(n: number): Scratch {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = n;
  return { canvas, img: canvas.getContext('2d')!.createImageData(n, n) };
}

export class ScratchCanvases {
  readonly #create: (n: number) => Scratch;
  readonly #bySize = new Map<number, Scratch>();

  /** `create` makes an n x n scratch (a fake one in tests). */
  constructor(create: (n: number) => Scratch = pageScratch) {
    this.#create = create;
  }

  /** The n x n scratch, made on first use. */
  get(n: number): Scratch {
    let s = this.#bySize.get(n);
    if (!s) this.#bySize.set(n, (s = this.#create(n)));
    return s;
  }

  /** Fill the n x n scratch's pixels with `paint`, put them on its canvas and return the canvas. */
  paint(n: number, paint: (pixels: Uint8ClampedArray) => void): HTMLCanvasElement {
    const s = this.get(n);
    paint(s.img.data);
    s.canvas.getContext('2d')!.putImageData(s.img, 0, 0);
    return s.canvas;
  }
}
