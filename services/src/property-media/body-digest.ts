// Body digests for the embedded storage. S3 compares an upload's body with the digests its request
// states (x-amz-checksum-sha256, a header-signed x-amz-content-sha256, Content-MD5) and stores
// nothing when they differ. s3rver compares none of them, and it writes an object in place as the
// bytes arrive, so a body cannot be refused once s3rver has it (and an upload cut short would leave
// its first bytes as the object): the front spools every PUT's body (in memory within a budget,
// else to a file), hashes it on the way when digests are stated, and hands s3rver a replay of the
// complete body only when every stated digest holds.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { PassThrough, Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class DigestRefused extends Error {
  constructor(
    readonly code: 'BadDigest' | 'XAmzContentSHA256Mismatch' | 'InvalidDigest' | 'InvalidRequest',
    message: string
  ) {
    super(message);
  }
}

/** What an upload states its body hashes to; each absent when not stated. */
export interface StatedDigests {
  /** x-amz-checksum-sha256, decoded (32 bytes). */
  checksumSha256?: Buffer;
  /** x-amz-content-sha256 when it is a hash (not UNSIGNED-PAYLOAD or a STREAMING-* mode). */
  contentSha256?: string;
  /** Content-MD5, decoded (16 bytes). */
  contentMd5?: Buffer;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** The header's value decoded from base64, when it is exactly `bytes` long; else refused. */
function base64Digest(
  value: string | string[] | undefined,
  bytes: number,
  refusal: DigestRefused
): Buffer | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const decoded = Buffer.from(text, 'base64');
  if (decoded.length !== bytes || decoded.toString('base64') !== text) throw refusal;
  return decoded;
}

/**
 * The digests a PUT states for its body (none: an empty object). A digest header that is not the
 * base64 of a digest is refused as S3 refuses it; an unhashed payload states no content SHA-256.
 */
export function statedDigests(request: IncomingMessage): StatedDigests {
  const digests: StatedDigests = {};
  const checksumSha256 = base64Digest(
    request.headers['x-amz-checksum-sha256'],
    32,
    new DigestRefused('InvalidRequest', 'Value for x-amz-checksum-sha256 header is invalid.')
  );
  if (checksumSha256) digests.checksumSha256 = checksumSha256;
  const contentMd5 = base64Digest(
    request.headers['content-md5'],
    16,
    new DigestRefused('InvalidDigest', 'The Content-MD5 you specified was invalid.')
  );
  if (contentMd5) digests.contentMd5 = contentMd5;
  const content = String(request.headers['x-amz-content-sha256'] ?? '').toLowerCase();
  if (HEX_SHA256.test(content)) digests.contentSha256 = content;
  return digests;
}

/**
 * Bytes of bodies held in memory at once, across requests. A body up to 16 MiB (every listing
 * photo, every migration part) is held in memory while the budget lasts: a disk round trip per
 * upload cost the migration a third of its throughput (bench/property-media.ts). Beyond the
 * budget, and above 16 MiB, bodies go to a file, so many slow uploads cannot exhaust the heap.
 */
export class MemoryBudget {
  private held = 0;
  constructor(
    private readonly totalBytes = 64 * 1024 * 1024,
    readonly perBodyBytes = 16 * 1024 * 1024
  ) {}

  /** Reserves `bytes` when they fit; the caller releases them once the body is replayed. */
  reserve(bytes: number): boolean {
    if (bytes > this.perBodyBytes || this.held + bytes > this.totalBytes) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}

/** A spooled body (whose digests held): replay it to s3rver, then release it. */
export interface SpooledBody {
  /** A stand-in for the request that reads the spooled body (method, URL and headers kept). */
  replay(): IncomingMessage;
  /** Frees the memory or the open file. Idempotent; never throws. */
  release(): Promise<void>;
}

/** Compares what arrived with what the request stated; throws S3's refusal on a difference. */
function checkDigests(digests: StatedDigests, sha256: Buffer, md5: Buffer): void {
  if (digests.contentSha256 && sha256.toString('hex') !== digests.contentSha256)
    throw new DigestRefused(
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed."
    );
  if (digests.checksumSha256 && !sha256.equals(digests.checksumSha256))
    throw new DigestRefused(
      'BadDigest',
      'The SHA256 you specified did not match the calculated checksum.'
    );
  if (digests.contentMd5 && !md5.equals(digests.contentMd5))
    throw new DigestRefused(
      'BadDigest',
      'The Content-MD5 you specified did not match what we received.'
    );
}

/** The stand-in request s3rver (Koa) reads: method, URL, headers, socket and the body stream. */
function standIn(request: IncomingMessage, body: Readable): IncomingMessage {
  return Object.assign(body, {
    method: request.method,
    url: request.url,
    headers: request.headers,
    rawHeaders: request.rawHeaders,
    httpVersion: request.httpVersion,
    httpVersionMajor: request.httpVersionMajor,
    httpVersionMinor: request.httpVersionMinor,
    socket: request.socket,
    connection: request.socket
  }) as unknown as IncomingMessage;
}

/**
 * Reads the whole body into memory (within `memory`: one buffer of the declared length, so what
 * is held is what was reserved, however small the packets) or a file in `directory`, hashing it
 * as it goes when a digest is stated. Throws DigestRefused (nothing kept) when a stated digest does
 * not match. A file is open and already unlinked when this returns, so nothing is left on disk
 * whatever happens next, and s3rver is only handed a complete body that can be read.
 */
export async function spoolBody(
  request: IncomingMessage,
  digests: StatedDigests,
  options: { directory: string; memory: MemoryBudget }
): Promise<SpooledBody> {
  const declared = Number(request.headers['content-length']);
  const reserved =
    Number.isSafeInteger(declared) && declared >= 0 && options.memory.reserve(declared)
      ? declared
      : undefined;
  const file = path.join(options.directory, randomUUID());
  let memory = reserved === undefined ? undefined : Buffer.allocUnsafe(reserved);
  let length = 0;
  let handle: FileHandle | undefined;
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    memory = undefined;
    if (reserved !== undefined) options.memory.release(reserved);
    await handle?.close().catch(() => undefined);
  };
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  // Only the digests the request states are computed: most PUTs state a SHA-256, none MD5.
  const hashSha256 = Boolean(digests.checksumSha256 || digests.contentSha256);
  try {
    await pipeline(
      request,
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          if (hashSha256) sha256.update(chunk);
          if (digests.contentMd5) md5.update(chunk);
          done(null, chunk);
        }
      }),
      memory
        ? new Writable({
            write(chunk: Buffer, _encoding, done) {
              if (!memory || length + chunk.length > memory.length)
                return done(new Error('The body is longer than its Content-Length.'));
              chunk.copy(memory, length);
              length += chunk.length;
              done();
            }
          })
        : createWriteStream(file)
    );
    if (memory && length !== memory.length)
      throw new Error('The body is shorter than its Content-Length.');
    checkDigests(digests, sha256.digest(), md5.digest());
    if (!memory) handle = await open(file, 'r');
  } catch (error) {
    await release();
    throw error;
  } finally {
    if (reserved === undefined) await rm(file, { force: true }).catch(() => undefined);
  }
  return {
    replay() {
      if (handle) {
        // The handle closes itself when the stream ends or fails. s3rver waits on its own stream,
        // not on this one, so a read error closes the connection rather than leave it waiting.
        const body = handle.createReadStream();
        handle = undefined;
        body.on('error', () => request.socket.destroy());
        return standIn(request, body);
      }
      const body = new PassThrough();
      body.end(memory);
      return standIn(request, body);
    },
    release
  };
}
