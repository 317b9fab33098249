// Opens a manifest line's source as a byte stream: a file under the manifest's folder, or an
// http(s) URL (the old system's image server). The size is known up front where it can be (file
// size, Content-Length), so an oversize image is refused before a byte of it is read; the upload
// counts the bytes as they pass anyway, since a server's Content-Length may be absent or wrong.
import { LocalSourceRefused, openLocalSource } from './local-file.ts';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isUrlSource } from './manifest.ts';

export interface OpenedSource {
  /** The response body of a URL source. */
  stream?: Readable;
  /** The absolute path of a file source (read by the upload straight into its buffer). */
  file?: string;
  /** Declared size (file size or Content-Length), if known. */
  size: number | undefined;
}

/** 1 MiB reads: a 10 MB photo in 10 thread-pool jobs, not 40 (the pool is shared with sharp). */
export const FILE_READ_BYTES = 1024 * 1024;

/**
 * The source as a byte stream (a file source is opened only now, as a regular file through no
 * symbolic link, like openSource looked at it: local-file.ts).
 */
export async function sourceStream(source: OpenedSource): Promise<Readable> {
  if (source.stream) return source.stream;
  const { handle } = await openLocalSource(source.file!);
  source.stream = handle.createReadStream({ highWaterMark: FILE_READ_BYTES });
  return source.stream;
}

/** Longest a URL source may take, headers and body (a 20 MiB image at 1.4 Mbit/s). */
export const SOURCE_TIMEOUT_MS = 120_000;

/** The source cannot be read, and reading it again will not help (missing file, HTTP 404). */
export class SourceRefused extends Error {
  override readonly name = 'SourceRefused';
}

export async function openSource(
  manifestDir: string,
  source: string,
  signal?: AbortSignal
): Promise<OpenedSource> {
  if (isUrlSource(source)) {
    // A server that stops answering must not hold an upload slot forever.
    const timeout = AbortSignal.timeout(SOURCE_TIMEOUT_MS);
    const response = await fetch(source, {
      // A redirect is not followed: it could lead to an internal host (a metadata service, an
      // admin page). The manifest names the final URL.
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new SourceRefused(
        `HTTP ${response.status} redirect (not followed: put the final URL in the manifest)`
      );
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      const message = `HTTP ${response.status}`;
      // 4xx other than 408/429 will answer the same next time; 5xx and the rest may pass.
      if (response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status))
        throw new SourceRefused(message);
      throw new Error(message);
    }
    const length = Number(response.headers.get('content-length'));
    return {
      stream: Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
      size:
        Number.isSafeInteger(length) && length >= 0 && response.headers.has('content-length')
          ? length
          : undefined
    };
  }
  const file = path.resolve(manifestDir, source);
  let size: number;
  try {
    const opened = await openLocalSource(file);
    size = opened.size;
    await opened.handle.close();
  } catch (error) {
    if (error instanceof LocalSourceRefused) throw new SourceRefused(error.message);
    throw error;
  }
  return { file, size };
}
