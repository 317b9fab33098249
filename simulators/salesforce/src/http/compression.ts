/**
 * `Accept-Encoding: gzip` on every API answer, as an org honours it (REST API Developer Guide,
 * "Compression Headers"): the body is gzipped, `Content-Encoding: gzip` says so, and the
 * length, unknown before compressing, is dropped (the answer is chunked). Answers that already
 * chose an encoding (Bulk results) and composite's internal subrequests are left alone. Node's
 * zlib instead of @fastify/compress, which the project does not have.
 */
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { constants, createGzip, gzip } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const gzipAsync = promisify(gzip);
/**
 * The fastest level: clients cannot tell levels apart, and the emulator shares its process and
 * cores with the services under test. Bodies under 1 KiB are sent as they are (headers would
 * outweigh the saving), as HTTP servers commonly do.
 */
const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED };
const MIN_GZIP_BYTES = 1024;

/** True when the client takes a gzip body (`Accept-Encoding: gzip`, not `gzip;q=0`). */
export function acceptsGzip(request: FastifyRequest): boolean {
  const header = request.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

export function installGzip(
  app: FastifyInstance,
  skip: (request: FastifyRequest) => boolean
): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (payload === null || payload === undefined || request.method === 'HEAD') return payload;
    if (reply.getHeader('content-encoding') !== undefined || skip(request)) return payload;
    if (!acceptsGzip(request)) return payload;
    reply.header('Vary', 'Accept-Encoding');
    if (payload instanceof Readable) {
      reply.header('Content-Encoding', 'gzip').removeHeader('content-length');
      return payload.pipe(createGzip(GZIP_OPTIONS));
    }
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (Buffer.byteLength(payload) < MIN_GZIP_BYTES) return payload;
    reply.header('Content-Encoding', 'gzip').removeHeader('content-length');
    return gzipAsync(payload, GZIP_OPTIONS);
  });
}
