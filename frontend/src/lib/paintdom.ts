// Paint a part of the page onto a canvas as it is shown: the boxes' backgrounds and borders, their text (word by
// word where it wraps), form controls' values, and every canvas and SVG at its place. Enough of CSS for the panels
// (no shadows, no pseudo-elements); what overflows a clipping box is clipped as on the page. png.ts uses it.

/** Hover and drag artefacts of uPlot: not part of what a panel shows. */
const SKIP = '.u-cursor-x, .u-cursor-y, .u-cursor-pt, .u-select, [data-png-skip]';

function visibleColor(color: string): boolean {
  return !!color && color !== 'transparent' && !/rgba\([^)]*,\s*0\)$/.test(color);
}

/** An SVG element as an image, its computed colours and fonts inlined (CSS classes do not travel with it). */
export function svgImage(svg: SVGSVGElement): Promise<HTMLImageElement> {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const box = svg.getBoundingClientRect();
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(box.width));
  clone.setAttribute('height', String(box.height));
  const source = svg.querySelectorAll<SVGElement>('*');
  const target = clone.querySelectorAll<SVGElement>('*');
  source.forEach((el, i) => {
    const cs = getComputedStyle(el);
    for (const prop of [
      'fill',
      'stroke',
      'stroke-width',
      'stroke-dasharray',
      'stroke-linecap',
      'opacity',
      'font-size',
      'font-family',
      'font-weight',
      'text-anchor',
      'dominant-baseline',
    ]) {
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

/** A CSS `linear-gradient(...)` of colours as a canvas gradient across the box (left to right, or top to bottom). */
function gradientOf(ctx: CanvasRenderingContext2D, image: string, x: number, y: number, w: number, h: number) {
  const colors = image.match(/rgba?\([^)]*\)|#[0-9a-f]{3,8}/gi);
  if (!image.startsWith('linear-gradient(') || !colors || colors.length < 2) return null;
  const across = /90deg|to right/.test(image);
  const g = across ? ctx.createLinearGradient(x, 0, x + w, 0) : ctx.createLinearGradient(0, y, 0, y + h);
  colors.forEach((c, i) => g.addColorStop(i / (colors.length - 1), c));
  return g;
}

function paintBox(ctx: CanvasRenderingContext2D, cs: CSSStyleDeclaration, x: number, y: number, w: number, h: number) {
  const radius = parseFloat(cs.borderTopLeftRadius) || 0;
  const shape = () => {
    ctx.beginPath();
    if (radius > 0) ctx.roundRect(x, y, w, h, Math.min(radius, w / 2, h / 2));
    else ctx.rect(x, y, w, h);
  };
  const fill = cs.backgroundImage !== 'none' ? gradientOf(ctx, cs.backgroundImage, x, y, w, h) : null;
  if (fill || visibleColor(cs.backgroundColor)) {
    ctx.fillStyle = fill ?? cs.backgroundColor;
    shape();
    ctx.fill();
  }
  const sides = [
    ['Top', x, y, x + w, y],
    ['Right', x + w, y, x + w, y + h],
    ['Bottom', x, y + h, x + w, y + h],
    ['Left', x, y, x, y + h],
  ] as const;
  const width = (side: string) => parseFloat(cs.getPropertyValue(`border-${side.toLowerCase()}-width`)) || 0;
  const color = (side: string) => cs.getPropertyValue(`border-${side.toLowerCase()}-color`);
  const style = (side: string) => cs.getPropertyValue(`border-${side.toLowerCase()}-style`);
  const same = sides.every(([s]) => width(s) === width('Top') && color(s) === color('Top') && style(s) === style('Top'));
  if (same && radius > 0 && width('Top') > 0 && visibleColor(color('Top')) && style('Top') !== 'none') {
    ctx.strokeStyle = color('Top');
    ctx.lineWidth = width('Top');
    ctx.setLineDash(style('Top') === 'dashed' ? [4, 3] : []);
    const inset = width('Top') / 2;
    ctx.beginPath();
    ctx.roundRect(x + inset, y + inset, w - 2 * inset, h - 2 * inset, Math.min(radius, w / 2, h / 2));
    ctx.stroke();
    ctx.setLineDash([]);
    return;
  }
  for (const [side, x0, y0, x1, y1] of sides) {
    const bw = width(side);
    if (bw <= 0 || style(side) === 'none' || !visibleColor(color(side))) continue;
    // the line runs along the inside of the box's edge
    const dx = side === 'Left' ? bw / 2 : side === 'Right' ? -bw / 2 : 0;
    const dy = side === 'Top' ? bw / 2 : side === 'Bottom' ? -bw / 2 : 0;
    ctx.strokeStyle = color(side);
    ctx.lineWidth = bw;
    ctx.setLineDash(style(side) === 'dashed' ? [4, 3] : style(side) === 'dotted' ? [bw, bw] : []);
    ctx.beginPath();
    ctx.moveTo(x0 + dx, y0 + dy);
    ctx.lineTo(x1 + dx, y1 + dy);
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

function fontOf(cs: CSSStyleDeclaration): string {
  return `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
}

/** A text node's words where the browser placed them (a wrapped text has several line boxes). */
function paintText(ctx: CanvasRenderingContext2D, node: Text, cs: CSSStyleDeclaration, ox: number, oy: number) {
  const text = node.data;
  if (!text.trim()) return;
  ctx.font = fontOf(cs);
  ctx.fillStyle = cs.color;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  const range = document.createRange();
  range.selectNodeContents(node);
  const lines = range.getClientRects();
  const draw = (s: string, r: DOMRect) => {
    if (r.width > 0 && r.height > 0) ctx.fillText(s, r.left - ox, r.top - oy + r.height / 2);
  };
  if (lines.length === 1) {
    draw(text.replace(/\s+/g, ' ').trim(), lines[0]);
    return;
  }
  for (const m of text.matchAll(/\S+/g)) {
    range.setStart(node, m.index);
    range.setEnd(node, m.index + m[0].length);
    if (range.getClientRects().length <= 1) {
      draw(m[0], range.getBoundingClientRect());
      continue;
    }
    // a word the browser broke over lines (hyphens: auto): each piece where it stands, the broken ones hyphenated
    let piece = '';
    let first: DOMRect | null = null;
    for (let k = 0; k < m[0].length; k++) {
      range.setStart(node, m.index + k);
      range.setEnd(node, m.index + k + 1);
      const r = range.getBoundingClientRect();
      if (first && Math.abs(r.top - first.top) > 1) {
        draw(`${piece}-`, first);
        [piece, first] = ['', null];
      }
      first ??= r;
      piece += m[0][k];
    }
    if (first) draw(piece, first);
  }
}

/** A form control's state: the text of an input or a select, a tick in a checked box, a range's thumb. */
function paintControl(ctx: CanvasRenderingContext2D, el: Element, cs: CSSStyleDeclaration, x: number, y: number, w: number, h: number) {
  ctx.fillStyle = cs.color;
  ctx.font = fontOf(cs);
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  const pad = parseFloat(cs.paddingLeft) || 2;
  if (el instanceof HTMLSelectElement) {
    ctx.fillText(el.selectedOptions[0]?.text ?? '', x + pad, y + h / 2, w - pad - 12);
  } else if (el instanceof HTMLTextAreaElement) {
    ctx.fillText(el.value, x + pad, y + h / 2, w - pad);
  } else if (el instanceof HTMLInputElement) {
    if (el.type === 'checkbox' || el.type === 'radio') {
      ctx.strokeStyle = '#555';
      ctx.lineWidth = 1;
      ctx.beginPath();
      if (el.type === 'radio') ctx.arc(x + w / 2, y + h / 2, Math.min(w, h) / 2 - 1, 0, 2 * Math.PI);
      else ctx.rect(x + 1.5, y + 1.5, w - 3, h - 3);
      ctx.stroke();
      if (el.checked) {
        ctx.fillStyle = '#1a73e8';
        ctx.beginPath();
        if (el.type === 'radio') ctx.arc(x + w / 2, y + h / 2, Math.min(w, h) / 2 - 3.5, 0, 2 * Math.PI);
        else ctx.rect(x + 3.5, y + 3.5, w - 7, h - 7);
        ctx.fill();
      }
    } else if (el.type === 'range') {
      const lo = Number(el.min || 0);
      const hi = Number(el.max || 100);
      const t = hi > lo ? (Number(el.value) - lo) / (hi - lo) : 0;
      ctx.fillStyle = '#c8ccd4';
      ctx.fillRect(x, y + h / 2 - 2, w, 4);
      ctx.fillStyle = '#1a73e8';
      ctx.beginPath();
      ctx.arc(x + 6 + t * (w - 12), y + h / 2, 6, 0, 2 * Math.PI);
      ctx.fill();
    } else if (el.type !== 'hidden' && el.type !== 'file') {
      ctx.fillText(el.value || el.placeholder, x + pad, y + h / 2, w - pad);
    }
  }
}

/** Paint `el` and what it holds onto `ctx`, whose (0, 0) is at the page's (ox, oy). */
export async function paintElement(ctx: CanvasRenderingContext2D, el: Element, ox: number, oy: number): Promise<void> {
  if (el.matches(SKIP)) return;
  const cs = getComputedStyle(el);
  if (cs.display === 'none' || Number(cs.opacity) === 0) return;
  const box = el.getBoundingClientRect();
  const [x, y, w, h] = [box.left - ox, box.top - oy, box.width, box.height];
  const shown = cs.visibility !== 'hidden' && w > 0 && h > 0;
  if (el instanceof HTMLCanvasElement) {
    if (shown) ctx.drawImage(el, x, y, w, h);
    return;
  }
  if (el instanceof SVGSVGElement) {
    if (shown) ctx.drawImage(await svgImage(el), x, y, w, h);
    return;
  }
  if (el instanceof SVGElement) return; // inside an svg: drawn with it
  if (shown) paintBox(ctx, cs, x, y, w, h);
  if (shown && (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement)) {
    paintControl(ctx, el, cs, x, y, w, h);
    return;
  }
  const clips = cs.overflowX !== 'visible' || cs.overflowY !== 'visible';
  if (clips) {
    ctx.save();
    ctx.beginPath();
    ctx.rect(x, y, w, h);
    ctx.clip();
  }
  for (const child of el.childNodes) {
    if (child instanceof Text) {
      if (cs.visibility !== 'hidden') paintText(ctx, child, cs, ox, oy);
    } else if (child instanceof Element) {
      await paintElement(ctx, child, ox, oy);
    }
  }
  if (clips) ctx.restore();
}
