// Synthetic migration input for tests, benchmarks and demos (`npm run media:generate`): JPEG
// files of about a target size and a manifest naming them. Deterministic from a seed: the same
// arguments write byte-identical files, so a benchmark's rounds and a test's expectations
// (sha256) do not move between runs.
//
// Each image is a gradient under seeded noise; noise is what JPEG cannot compress, so the pixel
// count sets the file size. The first image of a size is encoded until it lands within a few
// percent of the target, and the rest reuse its bytes-per-pixel.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { stringify } from 'csv-stringify/sync';

export interface GenerateOptions {
  /** Folder for the manifest (manifest.csv) and the images (images/<listing>/). */
  dir: string;
  count: number;
  /** Target bytes per image (JPEG; within a few percent). */
  bytes: number;
  /** Listings the images are spread over (round robin). */
  listings: number;
  seed: string;
  /** Listing number of listing i (default `L<seed-hash>-<i>`). */
  listingNumber?: (index: number) => string;
  /** Progress callback (images written). */
  onImage?: (written: number) => void;
}

export interface GeneratedSet {
  manifest: string;
  listings: string[];
  files: Array<{ listingNumber: string; source: string; bytes: number; sha256: string }>;
  totalBytes: number;
}

/** A 32-bit seeded generator (mulberry32): fast and reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function seedOf(seed: string, index: number): number {
  return createHash('sha256').update(`${seed}:${index}`).digest().readUInt32BE(0);
}

/** A noisy gradient JPEG of width x height. */
export async function noiseJpeg(width: number, height: number, seed: number): Promise<Buffer> {
  const next = random(seed);
  const pixels = Buffer.allocUnsafe(width * height * 3);
  const words = new Uint32Array(pixels.buffer, pixels.byteOffset, Math.floor(pixels.length / 4));
  for (let i = 0; i < words.length; i++) words[i] = next();
  for (let i = words.length * 4; i < pixels.length; i++) pixels[i] = next() & 0xff;
  // A gradient under the noise: the image looks like something, and a thumbnail is not grey.
  for (let y = 0; y < height; y += 1) {
    const shade = Math.floor((y / height) * 128);
    const row = y * width * 3;
    for (let x = 0; x < width; x += 1) {
      const p = row + x * 3;
      pixels[p] = (pixels[p]! >> 1) + shade;
      pixels[p + 2] = (pixels[p + 2]! >> 1) + 127 - shade;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** Dimensions (4:3) whose noisy JPEG is about `bytes` long. */
async function dimensionsFor(bytes: number, seed: number): Promise<[number, number]> {
  let pixels = Math.max(64, bytes / 2.5);
  for (let i = 0; i < 4; i++) {
    const width = Math.max(8, Math.round(Math.sqrt((pixels * 4) / 3)));
    const height = Math.max(8, Math.round((width * 3) / 4));
    const size = (await noiseJpeg(width, height, seed)).length;
    if (Math.abs(size - bytes) / bytes < 0.03) return [width, height];
    pixels = (pixels * bytes) / size;
  }
  const width = Math.max(8, Math.round(Math.sqrt((pixels * 4) / 3)));
  return [width, Math.max(8, Math.round((width * 3) / 4))];
}

export async function generateImages(options: GenerateOptions): Promise<GeneratedSet> {
  if (!Number.isSafeInteger(options.count) || options.count < 0)
    throw new RangeError('count must be a whole number');
  if (options.bytes < 200) throw new RangeError('bytes must be at least 200');
  const tag = createHash('sha256').update(options.seed).digest('hex').slice(0, 6).toUpperCase();
  const listingNumber =
    options.listingNumber ?? ((i: number) => `L${tag}-${String(i + 1).padStart(6, '0')}`);
  const listings = Array.from({ length: Math.max(1, options.listings) }, (_, i) =>
    listingNumber(i)
  );
  const [width, height] = await dimensionsFor(options.bytes, seedOf(options.seed, -1));
  await mkdir(options.dir, { recursive: true });
  const files: GeneratedSet['files'] = [];
  const rows: string[][] = [['listing_number', 'source', 'sort_order', 'caption']];
  let totalBytes = 0;
  for (let i = 0; i < options.count; i++) {
    const listing = listings[i % listings.length]!;
    const order = Math.floor(i / listings.length) + 1;
    const source = `images/${listing}/${String(order).padStart(3, '0')}.jpg`;
    const image = await noiseJpeg(width, height, seedOf(options.seed, i));
    await mkdir(path.join(options.dir, 'images', listing), { recursive: true });
    await writeFile(path.join(options.dir, source), image);
    files.push({
      listingNumber: listing,
      source,
      bytes: image.length,
      sha256: createHash('sha256').update(image).digest('hex')
    });
    totalBytes += image.length;
    rows.push([listing, source, String(order), `Photo ${order} of ${listing}`]);
    options.onImage?.(i + 1);
  }
  const manifest = path.join(options.dir, 'manifest.csv');
  await writeFile(manifest, stringify(rows));
  return { manifest, listings, files, totalBytes };
}
