// One image into storage, the transfer phase: its source read once as a stream, hashed (SHA-256)
// and sniffed as the bytes pass, then stored with S3 checking what it received; its dimensions
// come from sharp's header-only metadata. The thumbnail is not made here: decoding a photo costs
// ~40 ms of CPU against a few ms of transfer, so it is a phase of its own (thumbnail-phase.ts)
// with its own concurrency, and the transfer stays bound by bandwidth.
//
// Up to the multipart threshold (16 MiB by default: every listing photo) the original is collected
// into one buffer of its known size while it is hashed, and sent with one PutObject carrying
// x-amz-checksum-sha256: S3 recomputes the digest and refuses the PUT (BadDigest) if a byte
// changed on the way. The same digest is the request's signed payload hash (x-amz-content-sha256),
// which the SDK would otherwise compute a second time over the whole body on the event loop.
// sharp reads the header of the same buffer for the dimensions, so the original is in memory
// once. Larger originals stream into a lib-storage multipart upload (8 MiB parts,
// ChecksumAlgorithm SHA256: the SDK sends each part's SHA-256 and S3 checks every part) and into
// sharp's metadata reader at the same time, still one read of the source.
//
// The embedded storage checks both SHA-256 headers as S3 does (body-digest.ts) but stores no
// checksum: docs/property-media-migration.md.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import sharp from 'sharp';
import type { ImageContentType } from '../limits.ts';
import { sha256HexToBase64 } from '../storage.ts';
import { detectContentType, SNIFF_BYTES } from './content-type.ts';
import { LocalSourceRefused, openLocalSource } from './local-file.ts';
import type { BufferPool } from './buffer-pool.ts';
import { FILE_READ_BYTES, sourceStream, type OpenedSource } from './image-source.ts';
import { imageDimensions } from '../thumbnail.ts';

/** Multipart part size: S3's minimum is 5 MiB; 8 MiB keeps a 20 MiB original to 3 parts. */
export const PART_BYTES = 8 * 1024 * 1024;

export interface UploadedImage {
  size: number;
  sha256: string;
  contentType: ImageContentType;
  width: number;
  height: number;
}

/** The image is not one the contract admits (type, size, undecodable): do not try again. */
export class ImageRefused extends Error {
  override readonly name = 'ImageRefused';
}

export interface UploadImageOptions {
  client: S3Client;
  bucket: string;
  storageKey: string;
  source: OpenedSource;
  maxBytes: number;
  multipartBytes: number;
  /** Multipart part size (default PART_BYTES; at least 5 MiB, S3's minimum). */
  partBytes?: number;
  /** Where buffered originals' buffers come from and go back to (default: fresh ones). */
  buffers?: BufferPool;
  /** Called with each chunk's size as it is read (progress). */
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** Reads the source chunk by chunk, checking the size cap and sniffing the type early. */
class SourceReader {
  readonly hash = createHash('sha256');
  bytes = 0;
  contentType: ImageContentType | undefined;
  private head = Buffer.alloc(0);

  constructor(private readonly options: Pick<UploadImageOptions, 'maxBytes' | 'onBytes'>) {}

  take(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > this.options.maxBytes)
      throw new ImageRefused(`larger than ${this.options.maxBytes} bytes (the size cap)`);
    this.hash.update(chunk);
    this.options.onBytes?.(chunk.length);
    if (this.contentType === undefined && this.head.length < SNIFF_BYTES) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, SNIFF_BYTES)]);
      if (this.head.length >= SNIFF_BYTES) this.sniff();
    }
  }

  /** At the end (a file shorter than SNIFF_BYTES) or once enough bytes arrived. */
  sniff(): ImageContentType {
    this.contentType ??= detectContentType(this.head);
    if (!this.contentType)
      throw new ImageRefused('not a JPEG, PNG or WebP image (by its first bytes)');
    return this.contentType;
  }
}

export async function uploadImage(options: UploadImageOptions): Promise<UploadedImage> {
  const { source, maxBytes } = options;
  if (source.size !== undefined && source.size > maxBytes) {
    source.stream?.destroy();
    throw new ImageRefused(`${source.size} bytes, over the ${maxBytes}-byte size cap`);
  }
  try {
    return source.size !== undefined && source.size > options.multipartBytes
      ? await multipartUpload(options)
      : await bufferedUpload(options);
  } finally {
    source.stream?.destroy();
  }
}

/** Decoding failures are the image's fault, not the network's. */
function undecodable(error: unknown): never {
  if (error instanceof ImageRefused) throw error;
  throw new ImageRefused(`not a readable image: ${(error as Error).message}`);
}

async function deleteOriginal(options: UploadImageOptions): Promise<void> {
  await options.client
    .send(new DeleteObjectCommand({ Bucket: options.bucket, Key: options.storageKey }))
    .catch(() => undefined);
}

/**
 * A file source straight into `target` (its known size): no intermediate chunks and no copy,
 * hashed a read at a time. A file that grew or shrank since its size was taken is an error.
 */
async function readFileInto(file: string, target: Buffer, reader: SourceReader): Promise<void> {
  const { handle } = await openLocalSource(file).catch((error: unknown) => {
    if (error instanceof LocalSourceRefused) throw new ImageRefused(error.message);
    throw error;
  });
  try {
    let offset = 0;
    while (offset < target.length) {
      const length = Math.min(4 * FILE_READ_BYTES, target.length - offset);
      const { bytesRead } = await handle.read(target, offset, length, offset);
      if (bytesRead === 0) throw new Error(`${file}: the source shrank while it was read`);
      reader.take(target.subarray(offset, offset + bytesRead));
      offset += bytesRead;
    }
    const { bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, offset);
    if (bytesRead > 0) throw new Error(`${file}: the source grew while it was read`);
  } finally {
    await handle.close();
  }
}

async function bufferedUpload(options: UploadImageOptions): Promise<UploadedImage> {
  const reader = new SourceReader(options);
  const known = options.source.size;
  const pooled = known !== undefined ? options.buffers?.take(known) : undefined;
  try {
    const image = await bufferedUploadInto(options, reader, pooled?.subarray(0, known));
    if (pooled) options.buffers?.give(pooled);
    return image;
  } catch (error) {
    // Refused before the PUT: nothing else holds the buffer.
    if (pooled && error instanceof ImageRefused) options.buffers?.give(pooled);
    throw error;
  }
}

async function bufferedUploadInto(
  options: UploadImageOptions,
  reader: SourceReader,
  pooled: Buffer | undefined
): Promise<UploadedImage> {
  const known = options.source.size;
  // Known size: one buffer filled in place (a file: read straight into it); unknown (a URL
  // without Content-Length): the chunks, joined once at the end.
  const target = pooled ?? (known !== undefined ? Buffer.allocUnsafe(known) : undefined);
  const chunks: Buffer[] = [];
  if (target && options.source.file && !options.source.stream)
    await readFileInto(options.source.file, target, reader);
  else
    for await (const chunk of (await sourceStream(options.source)) as AsyncIterable<Buffer>) {
      options.signal?.throwIfAborted();
      const offset = reader.bytes;
      reader.take(chunk);
      if (target) {
        if (reader.bytes > target.length)
          throw new Error(`${options.storageKey}: the source grew while it was read`);
        chunk.copy(target, offset);
      } else chunks.push(chunk);
    }
  if (target && reader.bytes !== target.length)
    throw new Error(`${options.storageKey}: the source shrank while it was read`);
  const contentType = reader.sniff();
  const body = target ?? Buffer.concat(chunks);
  const sha256 = reader.hash.digest('hex');
  // Header only: a non-image never reaches storage, and nothing is decoded.
  const dimensions = await imageDimensions(body).catch(undecodable);
  const put = new PutObjectCommand({
    Bucket: options.bucket,
    Key: options.storageKey,
    Body: body,
    ContentLength: body.length,
    ContentType: contentType,
    ChecksumSHA256: sha256HexToBase64(sha256)
  });
  await options.client.send(withPayloadHash(put, sha256), { abortSignal: options.signal });
  return { size: body.length, sha256, contentType, ...dimensions };
}

/**
 * SigV4 signs the payload's SHA-256 (x-amz-content-sha256); the signer takes the header as given
 * when it is there, so the digest already made while reading is reused instead of a second pass
 * over the body (a few ms per 3 MB on the event loop, on the transfer's hot path).
 */
export function withPayloadHash(command: PutObjectCommand, sha256: string): PutObjectCommand {
  command.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = sha256;
      return next(args);
    },
    { step: 'build', name: 'migrationPayloadHash' }
  );
  return command;
}

async function multipartUpload(options: UploadImageOptions): Promise<UploadedImage> {
  const reader = new SourceReader(options);
  const iterator = ((await sourceStream(options.source)) as AsyncIterable<Buffer>)[
    Symbol.asyncIterator
  ]();
  // The type is known before the upload starts: a non-image never reaches storage.
  const first: Buffer[] = [];
  while (reader.contentType === undefined) {
    const next = await iterator.next();
    if (next.done) break;
    reader.take(next.value);
    first.push(next.value);
  }
  const contentType = reader.sniff();

  const partSize = Math.max(5 * 1024 * 1024, options.partBytes ?? PART_BYTES);
  const body = new PassThrough({ highWaterMark: partSize });
  // sharp collects streamed input until the end before it reads the header: the one full copy.
  const decoder = sharp({ failOn: 'error' });
  const dimensions = imageDimensions(decoder);
  dimensions.catch(() => undefined);
  const upload = new Upload({
    client: options.client,
    params: {
      Bucket: options.bucket,
      Key: options.storageKey,
      Body: body,
      ContentType: contentType,
      ChecksumAlgorithm: 'SHA256'
    },
    partSize,
    queueSize: 2,
    leavePartsOnError: false,
    ...(options.signal ? { abortController: abortControllerOf(options.signal) } : {})
  });
  const done = upload.done();
  done.catch(() => undefined);

  const feed = async (chunk: Buffer) => {
    decoder.write(chunk);
    if (!body.write(chunk)) await Promise.race([once(body, 'drain'), done]);
  };
  try {
    for (const chunk of first) await feed(chunk);
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      options.signal?.throwIfAborted();
      reader.take(next.value);
      await feed(next.value);
    }
  } catch (error) {
    body.destroy(error as Error);
    decoder.destroy();
    await upload.abort().catch(() => undefined);
    throw error;
  }
  body.end();
  decoder.end();
  await done;
  let size: { width: number; height: number };
  try {
    size = await dimensions.catch(undecodable);
  } catch (error) {
    if (error instanceof ImageRefused) await deleteOriginal(options);
    throw error;
  }
  return { size: reader.bytes, sha256: reader.hash.digest('hex'), contentType, ...size };
}

function abortControllerOf(signal: AbortSignal): AbortController {
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller;
}
