// Opening a manifest's local source: a regular file, never through a symbolic link, never a
// device or a FIFO (reading /dev/zero or a pipe would fill memory or wait for ever). O_NOFOLLOW
// refuses a link at the last path component and O_NONBLOCK keeps a FIFO from blocking the open;
// fstat on the open handle then decides, so a file swapped between a check and the open cannot
// slip through.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export class LocalSourceRefused extends Error {
  override readonly name = 'LocalSourceRefused';
}

export interface LocalSource {
  handle: FileHandle;
  size: number;
}

/** Opens `file` for reading if it is a regular file (the caller closes the handle). */
export async function openLocalSource(file: string): Promise<LocalSource> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LocalSourceRefused('no such file');
    if (code === 'ELOOP') throw new LocalSourceRefused('a symbolic link (not followed)');
    if (code === 'EISDIR') throw new LocalSourceRefused('not a file');
    throw error;
  }
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    throw new LocalSourceRefused('not a regular file');
  }
  return { handle, size: info.size };
}

/** The whole of a regular file of exactly `size` bytes, else undefined (changed, gone, a link). */
export async function readLocalSourceIfSized(
  file: string,
  size: number
): Promise<Buffer | undefined> {
  let source: LocalSource;
  try {
    source = await openLocalSource(file);
  } catch {
    return undefined;
  }
  try {
    if (source.size !== size) return undefined;
    const buffer = Buffer.allocUnsafe(size);
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await source.handle.read(buffer, offset, size - offset, offset);
      if (bytesRead === 0) return undefined;
      offset += bytesRead;
    }
    return buffer;
  } finally {
    await source.handle.close();
  }
}
