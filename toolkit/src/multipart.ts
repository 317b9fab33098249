// One way to read a streaming multipart/form-data body for every HTTP API here (the Salesforce
// emulator's blob inserts, the BackCheck simulator's checks): busboy parses, this wraps it in a
// promise with the rules both need and busboy leaves to its caller:
// - a cap on the whole body (busboy has none), checked against Content-Length before reading and
//   counted as the bytes arrive, so bytes after the closing boundary cannot run forever;
// - parts handed on one at a time, in order, as streams: busboy pauses the request while a part's
//   stream is not read, so a caller that awaits its sink holds the rest back (a 2 GB file never
//   sits in memory);
// - a body that ends early, malformed part headers (busboy's own 16 KB / 2000 pair caps) and a
//   content type without a boundary become MultipartError, with our wording;
// - after a failure the rest of the upload is read and dropped (never kept), so the client gets
//   the answer instead of a reset connection, up to another cap's worth; then it is cut.
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import busboy from 'busboy';

export interface MultipartPart {
  /** The `name` of the Content-Disposition header ('' when absent). */
  name: string;
  filename: string | undefined;
  /** The part's Content-Type, lower case without parameters (`text/plain` when absent). */
  mimeType: string;
  /**
   * Sent as a file (with a filename, or as application/octet-stream): `body` is its bytes. Any
   * other part is a text field (RFC 7578 4.2): `body` is its text, UTF-8 encoded.
   */
  isFile: boolean;
  /** The part's bytes; the parse waits while they are not read. */
  body: Readable;
}

export interface ReadMultipartOptions {
  /** The whole body's cap: more is MultipartTooLargeError. */
  maxTotalBytes: number;
  /**
   * Text fields are held in memory until they end: at most this many bytes of one are kept (a
   * longer one arrives cut to this length + 1, so the caller's own cap sees it). Default 1 MB.
   */
  maxFieldBytes?: number;
  /**
   * Called for each part in order, after the previous call settled; must read `part.body` to its
   * end (or throw to stop the parse: the error is what readMultipart rejects with).
   */
  onPart(part: MultipartPart): Promise<void> | void;
}

/** The body is not well-formed multipart/form-data. */
export class MultipartError extends Error {
  constructor(
    message: string,
    /** `content-type`: not multipart/form-data, or no boundary; `body`: the body itself. */
    readonly reason: 'content-type' | 'body' = 'body'
  ) {
    super(message);
    this.name = 'MultipartError';
  }
}

/** The whole multipart body is (or is declared) larger than `maxTotalBytes`. */
export class MultipartTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`multipart body larger than ${limit} bytes`);
    this.name = 'MultipartTooLargeError';
  }
}

export function isMultipartFormData(contentType: string | undefined): boolean {
  return /^\s*multipart\/form-data\s*(;|$)/i.test(contentType ?? '');
}

/** busboy's own errors, in our words; anything else (a caller's error) is kept as it is. */
function translate(error: unknown): unknown {
  if (!(error instanceof Error) || error.constructor !== Error) return error;
  if (/^Unexpected end of (form|file)$/.test(error.message)) {
    return new MultipartError('The multipart body ended before its closing boundary');
  }
  if (error.message === 'Malformed part header') {
    return new MultipartError('A multipart part has malformed or too many header bytes');
  }
  return error;
}

/** Reads `body` (sent with `headers`) part by part; resolves once every part was handled. */
export function readMultipart(
  body: Readable,
  headers: IncomingHttpHeaders,
  options: ReadMultipartOptions
): Promise<void> {
  const { maxTotalBytes } = options;
  const maxFieldBytes = options.maxFieldBytes ?? 1024 * 1024;

  return new Promise<void>((resolve, reject) => {
    let failed = false;
    let parser: busboy.Busboy | undefined;
    // The parts' handlers, chained: each starts once the previous one settled.
    let handled: Promise<void> = Promise.resolve();

    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      if (parser) {
        body.unpipe(parser);
        parser.destroy();
      }
      body.removeListener('data', count);
      // Drop the rest of the upload, then cut the connection once another cap's worth came.
      let dropped = 0;
      body.on('data', (chunk: Buffer) => {
        dropped += chunk.length;
        if (dropped > maxTotalBytes) body.destroy();
      });
      body.on('error', () => undefined);
      body.resume();
      reject(translate(error));
    };

    let received = 0;
    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxTotalBytes) fail(new MultipartTooLargeError(maxTotalBytes));
    };

    const contentType = headers['content-type'];
    if (!isMultipartFormData(contentType)) {
      fail(new MultipartError('The content type is not multipart/form-data', 'content-type'));
      return;
    }
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > maxTotalBytes) {
      fail(new MultipartTooLargeError(maxTotalBytes));
      return;
    }
    try {
      parser = busboy({
        headers,
        // Cut one byte past the cap: the caller's own count then sees the field is too long.
        limits: { fieldSize: maxFieldBytes + 1 }
      });
    } catch {
      fail(new MultipartError('The multipart content type has no boundary', 'content-type'));
      return;
    }

    // busboy leaves `name` undefined when the part has none.
    const nameOf = (name: string | undefined): string => name ?? '';
    const handle = (part: MultipartPart): void => {
      handled = handled.then(async () => {
        if (failed) {
          part.body.resume();
          return;
        }
        await options.onPart(part);
        // Whatever the handler left unread is dropped, so the parse goes on.
        part.body.resume();
      });
      handled.catch(fail);
    };

    parser.on('file', (name, stream, info) => {
      // Its reader hears its errors; one left unread (after a failure) must not crash the process.
      stream.on('error', () => undefined);
      handle({
        name: nameOf(name),
        filename: info.filename,
        mimeType: info.mimeType.toLowerCase(),
        isFile: true,
        body: stream
      });
    });
    parser.on('field', (name, value, info) => {
      handle({
        name: nameOf(name),
        filename: undefined,
        mimeType: info.mimeType.toLowerCase(),
        isFile: false,
        body: Readable.from([Buffer.from(value, 'utf8')])
      });
    });
    parser.on('error', fail);
    // 'close' comes once the closing boundary was read and every file stream ended.
    parser.on('close', () => {
      if (failed) return;
      handled.then(() => {
        if (!failed) resolve();
      }, fail);
    });
    body.on('error', fail);
    body.on('aborted', () => fail(new MultipartError('The client aborted the upload')));
    body.on('data', count);
    body.pipe(parser);
  });
}
