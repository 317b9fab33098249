/**
 * A streaming multipart/form-data reader (RFC 7578 over RFC 2046's multipart syntax). The
 * project has no multipart library (neither @fastify/multipart nor busboy is installed), and
 * fastify's own parsers buffer the body, which must not happen with a 10 MB photo: this reader
 * hands each part's bytes to a sink as they arrive and keeps at most one delimiter's length of
 * them, plus a part's headers (bounded).
 *
 * It parses, the caller decides: `onPart` gets a part's name, filename and content type and
 * returns the sink for its body; a sink may throw (too large, wrong type) to stop the parse.
 */
import { BackCheckError, validationFailed } from './errors.ts';

export interface PartHeaders {
  name: string;
  filename: string | undefined;
  /** The part's Content-Type, lower case without parameters (`text/plain` when absent). */
  contentType: string;
}

export interface PartSink {
  write(chunk: Buffer): void;
  end(): void;
}

/** Longest header block of one part. */
const MAX_HEADER_BYTES = 8 * 1024;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data; boundary=...` Content-Type, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType.trim())) return undefined;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

function parseHeaders(block: string): PartHeaders {
  let disposition: string | undefined;
  let contentType = 'text/plain';
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw validationFailed('A multipart part has a malformed header');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') contentType = value.split(';')[0]!.trim().toLowerCase();
  }
  if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) {
    throw validationFailed('Every multipart part needs Content-Disposition: form-data');
  }
  const param = (key: string) =>
    new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(disposition)?.[1] ??
    new RegExp(`;\\s*${key}=([^\\s;"]+)`, 'i').exec(disposition)?.[1];
  const name = param('name');
  if (name === undefined) throw validationFailed('A multipart part has no name');
  return { name, filename: param('filename'), contentType };
}

type State = 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'done';

export class MultipartReader {
  private readonly delimiter: Buffer;
  /** Bytes received but not yet given to a sink (always less than a delimiter in `body`). */
  private pending: Buffer;
  private state: State = 'preamble';
  private sink: PartSink | undefined;

  constructor(
    boundary: string,
    private readonly onPart: (headers: PartHeaders) => PartSink
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
    // The first delimiter has no CRLF before it: pretend there was one.
    this.pending = Buffer.from(CRLF);
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  write(chunk: Buffer): void {
    if (this.state === 'done') return; // the epilogue is ignored
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.step());
  }

  /** The body has ended: throws unless the closing delimiter was seen. */
  end(): void {
    if (this.state !== 'done')
      throw validationFailed('The multipart body ended before its closing boundary');
  }

  /** One parsing step on `pending`; false when it needs more bytes. */
  private step(): boolean {
    switch (this.state) {
      case 'preamble': {
        const at = this.pending.indexOf(this.delimiter);
        if (at < 0) {
          this.keepTail();
          return false;
        }
        this.pending = this.pending.subarray(at + this.delimiter.length);
        this.state = 'afterDelimiter';
        return true;
      }
      case 'afterDelimiter': {
        if (this.pending.length < 2) return false;
        if (this.pending[0] === 0x2d && this.pending[1] === 0x2d) {
          this.state = 'done';
          this.pending = Buffer.alloc(0);
          return false;
        }
        // Transport padding (spaces, tabs) may precede the CRLF.
        const eol = this.pending.indexOf(CRLF);
        if (eol < 0) {
          if (this.pending.length > 256)
            throw validationFailed('Malformed multipart boundary line');
          return false;
        }
        if (!/^[ \t]*$/.test(this.pending.subarray(0, eol).toString('latin1'))) {
          throw validationFailed('Malformed multipart boundary line');
        }
        this.pending = this.pending.subarray(eol + 2);
        this.state = 'headers';
        return true;
      }
      case 'headers': {
        if (this.pending.length >= 2 && this.pending.subarray(0, 2).equals(CRLF)) {
          throw validationFailed('Every multipart part needs Content-Disposition: form-data');
        }
        const at = this.pending.indexOf(HEADER_END);
        if (at < 0) {
          if (this.pending.length > MAX_HEADER_BYTES) {
            throw validationFailed('A multipart part has too many header bytes');
          }
          return false;
        }
        const headers = parseHeaders(this.pending.subarray(0, at).toString('utf8'));
        this.pending = this.pending.subarray(at + HEADER_END.length);
        this.sink = this.onPart(headers);
        this.state = 'body';
        return true;
      }
      case 'body': {
        const at = this.pending.indexOf(this.delimiter);
        if (at < 0) {
          // All but the last delimiter-length - 1 bytes cannot start a delimiter: hand them on.
          const safe = this.pending.length - (this.delimiter.length - 1);
          if (safe > 0) {
            this.sink!.write(this.pending.subarray(0, safe));
            this.pending = this.pending.subarray(safe);
          }
          return false;
        }
        if (at > 0) this.sink!.write(this.pending.subarray(0, at));
        this.sink!.end();
        this.sink = undefined;
        this.pending = this.pending.subarray(at + this.delimiter.length);
        this.state = 'afterDelimiter';
        return true;
      }
      default:
        return false;
    }
  }

  /** In the preamble, only a possible start of the delimiter needs keeping. */
  private keepTail(): void {
    const keep = this.delimiter.length - 1;
    if (this.pending.length > keep)
      this.pending = this.pending.subarray(this.pending.length - keep);
  }
}

/** A sink that refuses any bytes: for parts the API does not take. */
export function refusePart(message: string, status = 400): PartSink {
  return {
    write() {
      throw new BackCheckError(status, 'validation_failed', message);
    },
    end() {
      throw new BackCheckError(status, 'validation_failed', message);
    }
  };
}
