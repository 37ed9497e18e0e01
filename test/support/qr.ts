import jsqr from 'jsqr';

/**
 * Reads the QR code of a page as a phone would, without a browser: the SVG
 * that the `qrcode` package draws (one stroked path of `M`/`m` moves and `h`
 * runs of dark modules) is painted into a bitmap, 4 pixels per module, and
 * handed to a QR decoder. Returns the decoded text, or null.
 */
export function decodeQrSvg(svg: string): string | null {
  const size = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)?.[1]);
  const path = /<path stroke="#000000" d="([^"]+)"/.exec(svg)?.[1];
  if (!size || !path) return null;
  const scale = 4;
  const width = size * scale;
  const pixels = new Uint8ClampedArray(width * width * 4).fill(255);
  let x = 0;
  let y = 0;
  for (const [, op, a, b] of path.matchAll(/([MmHh])\s*(-?[\d.]+)(?:\s+(-?[\d.]+))?/g)) {
    const first = Number(a);
    if (op === 'M') [x, y] = [first, Number(b)];
    else if (op === 'm') [x, y] = [x + first, y + Number(b)];
    else {
      const row = Math.floor(y);
      for (let col = x; col < x + first; col++) {
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const at = ((row * scale + dy) * width + col * scale + dx) * 4;
            pixels[at] = pixels[at + 1] = pixels[at + 2] = 0;
          }
        }
      }
      x += first;
    }
  }
  // jsqr is CommonJS: its `module.exports` is the decoder and also carries it as `default`.
  return jsqr.default(pixels, width, width)?.data ?? null;
}

/** The number of modules on a side of the QR code (its version: 21 + 4 per version, plus the margin). */
export function qrSide(svg: string): number {
  return Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)?.[1]);
}
