// The applicant photo, streamed from Salesforce (`sobjects/ContentVersion/{id}/VersionData`) and
// checked on the way through: its type by its first bytes (JPEG FF D8 FF, the 8-byte PNG
// signature), its size against BackCheck's 10 MB limit. Nothing of it is buffered beyond the
// chunk in hand, so a 20 MB scan costs the same memory as a 20 KB one (the caller pipes the
// iterator into the BackCheck upload, which applies backpressure to the Salesforce socket).
import type { SalesforceConnection, StreamedResponse } from '../platform/index.ts';
import { SalesforceError } from '../platform/index.ts';

/** BackCheck's limit for the photo part. */
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;

export type PhotoType = 'image/jpeg' | 'image/png';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The type the first bytes show, or undefined (neither JPEG nor PNG). */
export function sniffPhotoType(head: Buffer): PhotoType | undefined {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff)
    return 'image/jpeg';
  if (head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  return undefined;
}

export type PhotoProblem = 'photo_missing' | 'photo_type' | 'photo_too_large';

/** A photo that can never be sent: the check fails instead of being retried. */
export class PhotoRejectedError extends Error {
  override readonly name = 'PhotoRejectedError';
  constructor(
    readonly problem: PhotoProblem,
    message: string
  ) {
    super(message);
  }
}

export interface StreamedPhoto {
  type: PhotoType;
  /** Declared size when Salesforce sent a Content-Length. */
  declaredBytes: number | undefined;
  /** The bytes, checked against MAX_PHOTO_BYTES as they pass (throws PhotoRejectedError). */
  chunks: AsyncIterable<Buffer>;
  /** Drops the Salesforce connection (when the upload fails half-way). */
  release(): void;
}

export async function openPhoto(
  connection: SalesforceConnection,
  contentVersionId: string,
  maxBytes = MAX_PHOTO_BYTES
): Promise<StreamedPhoto> {
  let response: StreamedResponse;
  try {
    response = await connection.stream({
      operation: 'rest.contentVersion.versionData',
      path: `sobjects/ContentVersion/${contentVersionId}/VersionData`,
      headers: { Accept: '*/*' }
    });
  } catch (error) {
    // 404: no such version, or the integration user cannot see it (no View All on the
    // application): retrying will not change it.
    if (error instanceof SalesforceError && (error.status === 404 || error.status === 400)) {
      throw new PhotoRejectedError(
        'photo_missing',
        `The photo (ContentVersion ${contentVersionId}) could not be read: ${error.errorCode}`
      );
    }
    throw error;
  }
  const declared = Number(response.header('content-length') ?? Number.NaN);
  const declaredBytes = Number.isFinite(declared) ? declared : undefined;
  if (declaredBytes !== undefined && declaredBytes > maxBytes) {
    response.release();
    throw tooLarge(maxBytes);
  }
  const iterator = (response.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  // Enough bytes to tell the type (a first chunk is normally far larger than 8 bytes).
  const head: Buffer[] = [];
  let headBytes = 0;
  while (headBytes < PNG_SIGNATURE.length) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    headBytes += next.value.length;
  }
  const first = Buffer.concat(head);
  const type = sniffPhotoType(first);
  if (!type) {
    response.release();
    throw new PhotoRejectedError('photo_type', 'The photo is neither a JPEG nor a PNG image.');
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    let seen = first.length;
    if (seen > maxBytes) throw tooLarge(maxBytes);
    yield first;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      seen += next.value.length;
      if (seen > maxBytes) {
        response.release();
        throw tooLarge(maxBytes);
      }
      yield next.value;
    }
  }
  return { type, declaredBytes, chunks: chunks(), release: () => response.release() };
}

function tooLarge(maxBytes: number): PhotoRejectedError {
  return new PhotoRejectedError(
    'photo_too_large',
    `The photo is larger than ${Math.round(maxBytes / 1024 / 1024)} MB, BackCheck's limit.`
  );
}
