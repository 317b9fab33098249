// Body digests for the embedded storage. S3 compares an upload's body with the SHA-256 its request
// states (x-amz-checksum-sha256, and a header-signed x-amz-content-sha256) and stores nothing when
// they differ. s3rver compares neither, and it writes an object in place as the bytes arrive, so a
// body cannot be refused once s3rver has it: the front spools it (in memory up to 16 MiB, every
// listing photo and migration part; to a file above), hashes it on the way, and hands s3rver a
// replay only when every stated digest holds.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { PassThrough, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class DigestRefused extends Error {
  constructor(
    readonly code: 'BadDigest' | 'XAmzContentSHA256Mismatch' | 'InvalidRequest',
    message: string
  ) {
    super(message);
  }
}

/** What an upload states its body hashes to; absent when it states nothing to check. */
export interface StatedDigests {
  /** x-amz-checksum-sha256, decoded (32 bytes). */
  checksumSha256?: Buffer;
  /** x-amz-content-sha256 when it is a hash (not UNSIGNED-PAYLOAD or a STREAMING-* mode). */
  contentSha256?: string;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
/**
 * Bodies up to this size are spooled in memory: a disk round trip per upload cost the migration a
 * third of its throughput against the embedded storage (bench/property-media.ts). Only requests
 * whose signature holds get here, and presigned uploads are capped far below it.
 */
const MEMORY_SPOOL_BYTES = 16 * 1024 * 1024;

/**
 * The digests a PUT states for its body. A checksum header that is not the base64 of 32 bytes is
 * refused as S3 refuses it; other methods and unhashed payloads state nothing.
 */
export function statedDigests(request: IncomingMessage): StatedDigests | undefined {
  if (request.method !== 'PUT') return undefined;
  const digests: StatedDigests = {};
  const checksum = request.headers['x-amz-checksum-sha256'];
  if (checksum !== undefined) {
    const decoded = Buffer.from(String(checksum), 'base64');
    if (decoded.length !== 32 || decoded.toString('base64') !== checksum)
      throw new DigestRefused(
        'InvalidRequest',
        'Value for x-amz-checksum-sha256 header is invalid.'
      );
    digests.checksumSha256 = decoded;
  }
  const content = String(request.headers['x-amz-content-sha256'] ?? '').toLowerCase();
  if (HEX_SHA256.test(content)) digests.contentSha256 = content;
  return digests.checksumSha256 || digests.contentSha256 ? digests : undefined;
}

/** A spooled body whose digests held: replay it to s3rver, then discard it. */
export interface SpooledBody {
  /** A stand-in for the request that reads the spooled body (method, URL and headers kept). */
  replay(): IncomingMessage;
  discard(): Promise<void>;
}

/**
 * Reads the whole body into memory or a file in `directory`, hashing it as it goes. Throws
 * DigestRefused (the spool discarded) when a stated digest does not match.
 */
export async function spoolBody(
  request: IncomingMessage,
  digests: StatedDigests,
  directory: string
): Promise<SpooledBody> {
  const declared = Number(request.headers['content-length']);
  const inMemory = Number.isSafeInteger(declared) && declared <= MEMORY_SPOOL_BYTES;
  const file = path.join(directory, randomUUID());
  const chunks: Buffer[] = [];
  const discard = async () => {
    chunks.length = 0;
    if (!inMemory) await rm(file, { force: true });
  };
  const hash = createHash('sha256');
  try {
    await pipeline(
      request,
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        }
      }),
      inMemory
        ? new Writable({
            write(chunk: Buffer, _encoding, done) {
              chunks.push(chunk);
              done();
            }
          })
        : createWriteStream(file)
    );
    const actual = hash.digest();
    if (digests.contentSha256 && actual.toString('hex') !== digests.contentSha256)
      throw new DigestRefused(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed."
      );
    if (digests.checksumSha256 && !actual.equals(digests.checksumSha256))
      throw new DigestRefused(
        'BadDigest',
        'The SHA256 you specified did not match the calculated checksum.'
      );
  } catch (error) {
    await discard();
    throw error;
  }
  return {
    replay() {
      // s3rver (Koa) reads only the request's method, URL, headers, socket and body stream.
      const body = new PassThrough();
      if (inMemory) {
        for (const chunk of chunks) body.write(chunk);
        body.end();
      } else {
        createReadStream(file)
          // s3rver waits on its own stream, not on this one: without a socket it gives up.
          .on('error', () => request.socket.destroy())
          .pipe(body);
      }
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
    },
    discard
  };
}
