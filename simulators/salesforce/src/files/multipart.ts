/**
 * A small streaming `multipart/form-data` reader for the blob inserts of the REST API ("Insert or
 * Update Blob Data"). The project has neither @fastify/multipart nor busboy installed and this
 * machine has no registry access, so it is written here; it only needs what Salesforce's own
 * format needs: parts with `Content-Disposition: form-data; name="..."`, read in order, each
 * part's bytes handed to a sink as they arrive (a 2 GB file never sits in memory), with
 * backpressure (the sink's promise is awaited before the next chunk is read).
 */
import type { Readable } from 'node:stream';

export interface PartHeaders {
  /** The `name` of the Content-Disposition header ('' when absent). */
  name: string;
  filename?: string;
  contentType?: string;
}

export interface PartSink {
  write(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
}

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

/** The whole multipart body is larger than `maxTotalBytes`. */
export class MultipartTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`multipart body larger than ${limit} bytes`);
    this.name = 'MultipartTooLargeError';
  }
}

/** The boundary of a `multipart/form-data; boundary=...` content type (quoted or not). */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

function parseHeaders(block: string): PartHeaders {
  const headers: PartHeaders = { name: '' };
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-type') headers.contentType = value;
    if (key === 'content-disposition') {
      const name = /\bname="([^"]*)"/i.exec(value) ?? /\bname=([^;\s]+)/i.exec(value);
      if (name?.[1] !== undefined) headers.name = name[1];
      const filename = /\bfilename="([^"]*)"/i.exec(value);
      if (filename?.[1] !== undefined) headers.filename = filename[1];
    }
  }
  return headers;
}

/** Headers of one part may not be larger than this (no legitimate part comes close). */
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Reads `stream` as multipart with `boundary`, calling `onPart` for each part and feeding its
 * sink. Rejects with MultipartError on a malformed body (no closing boundary included), and with
 * MultipartTooLargeError once more than `maxTotalBytes` arrived. Bytes after the closing boundary
 * (an epilogue) are counted against that cap but never buffered.
 */
export async function readMultipart(
  stream: Readable,
  boundary: string,
  onPart: (headers: PartHeaders) => PartSink,
  maxTotalBytes = Infinity
): Promise<void> {
  const opening = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  type State = 'preamble' | 'after-boundary' | 'headers' | 'body' | 'done';
  // Widened on purpose: `drain` moves it, which the compiler cannot see from here.
  let state = 'preamble' as State;
  let buffer: Buffer = Buffer.alloc(0);
  let sink: PartSink | undefined;

  // Processes what is buffered; returns when it needs more bytes.
  const drain = async (): Promise<void> => {
    for (;;) {
      if (state === 'done') return;
      if (state === 'preamble') {
        const at = buffer.indexOf(opening);
        if (at < 0) {
          buffer = buffer.subarray(Math.max(0, buffer.length - opening.length + 1));
          return;
        }
        buffer = buffer.subarray(at + opening.length);
        state = 'after-boundary';
      } else if (state === 'after-boundary') {
        if (buffer.length < 2) return;
        const next = buffer.subarray(0, 2).toString('latin1');
        if (next === '--') {
          state = 'done';
          return;
        }
        if (next !== '\r\n') throw new MultipartError('boundary not followed by CRLF');
        buffer = buffer.subarray(2);
        state = 'headers';
      } else if (state === 'headers') {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buffer.length > MAX_HEADER_BYTES) throw new MultipartError('part headers too large');
          return;
        }
        sink = onPart(parseHeaders(buffer.subarray(0, end).toString('utf8')));
        buffer = buffer.subarray(end + 4);
        state = 'body';
      } else {
        const at = buffer.indexOf(delimiter);
        if (at < 0) {
          // Everything but a possible partial delimiter at the end belongs to the part.
          const keep = delimiter.length - 1;
          if (buffer.length > keep) {
            await sink?.write(buffer.subarray(0, buffer.length - keep));
            buffer = buffer.subarray(buffer.length - keep);
          }
          return;
        }
        if (at > 0) await sink?.write(buffer.subarray(0, at));
        await sink?.end();
        sink = undefined;
        buffer = buffer.subarray(at + delimiter.length);
        state = 'after-boundary';
      }
    }
  };

  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxTotalBytes) throw new MultipartTooLargeError(maxTotalBytes);
    // After the closing boundary nothing is kept: the rest is read (so the answer can still be
    // sent on this connection) and dropped.
    if (state === 'done') continue;
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    await drain();
    // `drain` may have moved the state (the compiler cannot see it).
    if ((state as State) === 'done') buffer = Buffer.alloc(0);
  }
  await drain();
  if (state !== 'done') throw new MultipartError('multipart body ends before its closing boundary');
}
