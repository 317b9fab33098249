// The content type of an image from its first bytes, never from a file name or a server's header
// (an old CMS serves PNGs as image/jpeg and HTML error pages as 200): only what the contract
// admits (JPEG, PNG, WebP) is uploaded.
import type { ImageContentType } from '../limits.ts';

/** Bytes needed to tell the three formats apart. */
export const SNIFF_BYTES = 12;

export function detectContentType(head: Uint8Array): ImageContentType | undefined {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff)
    return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (head.length >= 8 && png.every((byte, i) => head[i] === byte)) return 'image/png';
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}
