/**
 * Where uploaded file bytes go while a multipart request is read, and where the large ones stay.
 * An upload is kept in memory up to `inlineBytes`; past that it is spilled to a file, so a 2 GB
 * ContentVersion costs disk, not heap. Small files end up inline in their record (base64, like a
 * JSON insert: the persistence file and the recycle bin keep them); larger ones are adopted
 * under `<dir>/<recordId>.<field>` and the record stores FILE_STORE_MARKER. With record
 * persistence the folder sits next to the persistence file and survives restarts; otherwise it
 * is a temporary folder removed on close.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';

export interface FileStoreOptions {
  /** Keep adopted files here (kept on close); default: a temporary folder (removed on close). */
  dir?: string;
  /** Uploads up to this size stay in memory and are stored inline (default 16 MB). */
  inlineBytes?: number;
}

/** Where a multipart part's bytes go, chunk by chunk; each write is awaited (backpressure). */
export interface PartSink {
  write(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
}

export class FileTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`file exceeds the maximum size of ${limit} bytes`);
    this.name = 'FileTooLargeError';
  }
}

/** A finished upload: its size and MD5 (the platform's ContentVersion.Checksum), bytes or file. */
export interface Upload {
  size: number;
  md5: string;
  /** Set while the upload fits `inlineBytes`. */
  bytes?: Buffer;
  /** Set once it has been spilled to disk. */
  file?: string;
}

export interface UploadSink extends PartSink {
  /** The upload once `end()` has run. */
  result(): Upload;
  /** Drops the upload (the request failed or the record was refused). */
  discard(): Promise<void>;
}

export class FileStore {
  readonly inlineBytes: number;
  private dirReady: Promise<string> | undefined;

  constructor(private readonly options: FileStoreOptions = {}) {
    this.inlineBytes = options.inlineBytes ?? 16 * 1024 * 1024;
  }

  private dir(): Promise<string> {
    this.dirReady ??= this.options.dir
      ? mkdir(this.options.dir, { recursive: true }).then(() => this.options.dir as string)
      : mkdtemp(path.join(tmpdir(), 'sf-emulator-files-'));
    return this.dirReady;
  }

  /** A sink for one file part, refusing more than `maxBytes` as the bytes arrive. */
  upload(maxBytes: number): UploadSink {
    const hash: Hash = createHash('md5');
    let size = 0;
    let chunks: Buffer[] | undefined = [];
    let file: string | undefined;
    let out: WriteStream | undefined;
    let done: Upload | undefined;

    const spill = async (): Promise<void> => {
      file = path.join(await this.dir(), `upload-${randomUUID()}.part`);
      out = createWriteStream(file);
      for (const chunk of chunks ?? []) if (!out.write(chunk)) await once(out, 'drain');
      chunks = undefined;
    };

    return {
      write: async (chunk) => {
        size += chunk.length;
        if (size > maxBytes) throw new FileTooLargeError(maxBytes);
        hash.update(chunk);
        if (chunks && size > this.inlineBytes) {
          chunks.push(Buffer.from(chunk));
          await spill();
          return;
        }
        // Copied: a chunk may be a view into a larger buffer that would stay alive with it.
        if (chunks) chunks.push(Buffer.from(chunk));
        else if (out && !out.write(chunk)) await once(out, 'drain');
      },
      end: async () => {
        if (out) {
          out.end();
          await once(out, 'finish');
        }
        done = {
          size,
          md5: hash.digest('hex'),
          ...(chunks ? { bytes: Buffer.concat(chunks) } : {}),
          ...(file ? { file } : {})
        };
      },
      result: () => {
        if (!done) throw new Error('upload not finished');
        return done;
      },
      discard: async () => {
        out?.destroy();
        if (file) await rm(file, { force: true });
      }
    };
  }

  private pathOf(dir: string, recordId: string, field: string): string {
    return path.join(dir, `${recordId}.${field}`);
  }

  /** Keeps a spilled upload as the bytes of `recordId`'s `field`. */
  async adopt(upload: Upload, recordId: string, field: string): Promise<void> {
    if (!upload.file) throw new Error('only spilled uploads are adopted');
    await rename(upload.file, this.pathOf(await this.dir(), recordId, field));
  }

  /** The bytes of an adopted file, streamed; undefined when the file is gone. */
  async open(recordId: string, field: string): Promise<Readable | undefined> {
    try {
      const handle = await open(this.pathOf(await this.dir(), recordId, field), 'r');
      return handle.createReadStream();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Removes adopted files whose record is gone (deleted: the emulator has no undelete, and a
   * deleted ContentVersion's bytes cannot be downloaded). Uploads in progress are left alone.
   */
  async sweep(isLive: (recordId: string) => boolean): Promise<void> {
    if (!this.dirReady && !this.options.dir) return;
    const dir = await this.dir();
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const match = /^([A-Za-z0-9]{15,18})\.\w+$/.exec(name);
      if (match?.[1] !== undefined && !isLive(match[1])) {
        await rm(path.join(dir, name), { force: true });
      }
    }
  }

  async close(): Promise<void> {
    if (this.options.dir || !this.dirReady) return;
    await rm(await this.dirReady, { recursive: true, force: true });
  }
}

/** Base64 text decoded and streamed in slices (a multiple of 4 characters each). */
export function base64Stream(text: string, sliceChars = 256 * 1024): Readable {
  return Readable.from(
    (function* slices() {
      for (let at = 0; at < text.length; at += sliceChars) {
        yield Buffer.from(text.slice(at, at + sliceChars), 'base64');
      }
    })()
  );
}
