// A panel as a PNG: its title, then every canvas and SVG inside it drawn at their place on the page.

function svgImage(svg: SVGSVGElement): Promise<HTMLImageElement> {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const box = svg.getBoundingClientRect();
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(box.width));
  clone.setAttribute('height', String(box.height));
  // computed fills and strokes travel inline, so CSS classes need not
  const source = svg.querySelectorAll<SVGElement>('*');
  const target = clone.querySelectorAll<SVGElement>('*');
  source.forEach((el, i) => {
    const cs = getComputedStyle(el);
    for (const prop of ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-linecap', 'opacity', 'font-size', 'font-family', 'font-weight', 'text-anchor']) {
      target[i]?.style.setProperty(prop, cs.getPropertyValue(prop));
    }
  });
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(clone))}`;
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('could not draw the SVG'));
    img.src = url;
  });
}

/** Draw `element`'s canvases and SVGs (with `title` above) into one PNG. */
export async function panelToPng(element: HTMLElement, title: string): Promise<Blob> {
  const scale = globalThis.devicePixelRatio || 1;
  const root = element.getBoundingClientRect();
  const header = 28;
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(root.width * scale);
  canvas.height = Math.ceil((root.height + header) * scale);
  const ctx = canvas.getContext('2d')!;
  ctx.scale(scale, scale);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, root.width, root.height + header);
  ctx.fillStyle = '#1d2330';
  ctx.font = '600 14px system-ui, sans-serif';
  ctx.fillText(title, 8, 19);
  for (const el of element.querySelectorAll<HTMLCanvasElement | SVGSVGElement>('canvas, svg')) {
    if (el instanceof SVGSVGElement && el.parentElement?.closest('svg')) continue; // nested svg: drawn with its parent
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const x = box.left - root.left;
    const y = box.top - root.top + header;
    if (el instanceof HTMLCanvasElement) ctx.drawImage(el, x, y, box.width, box.height);
    else ctx.drawImage(await svgImage(el), x, y, box.width, box.height);
  }
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
