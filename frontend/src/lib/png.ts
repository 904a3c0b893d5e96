// A panel as a PNG: its title, then the panel's body as it is shown (boxes, text, legends, canvases, SVGs), painted
// by paintdom.ts.

import { paintElement } from './paintdom';

/** The height of the title band above the panel's body, in CSS pixels. */
export const TITLE_BAND = 28;
/** The margin left and right of the body, in CSS pixels (a legend's mark may stand a little outside it). */
export const MARGIN = 8;

/** Paint `element` (a panel's body, with `title` above) into one PNG at the screen's pixel ratio. */
export async function panelToPng(element: HTMLElement, title: string): Promise<Blob> {
  const scale = globalThis.devicePixelRatio || 1;
  const root = element.getBoundingClientRect();
  const canvas = document.createElement('canvas');
  const width = root.width + 2 * MARGIN;
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil((root.height + TITLE_BAND) * scale);
  const ctx = canvas.getContext('2d')!;
  ctx.scale(scale, scale);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, root.height + TITLE_BAND);
  ctx.fillStyle = '#1d2330';
  ctx.font = '600 14px system-ui, sans-serif';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(title, MARGIN, 19);
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, TITLE_BAND, width, root.height);
  ctx.clip();
  await paintElement(ctx, element, root.left - MARGIN, root.top - TITLE_BAND);
  ctx.restore();
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('could not encode the PNG'))), 'image/png'),
  );
}

/** Offer `blob` as a download named `name`. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A file name from a panel title: lowercase, dashes. */
export function fileName(title: string, ext: string): string {
  const base = title
    .toLowerCase()
    .replace(/[^a-z0-9\u4e00-\u9fff]+/g, '-')
    .replace(/^-|-$/g, '');
  return `glassnet-${base || 'panel'}.${ext}`;
}
