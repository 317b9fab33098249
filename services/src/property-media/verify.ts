// Confirmation of an upload: the service reads the stored object back once and decides. The read
// is one stream feeding both the SHA-256 and sharp (which keeps the one copy of the original it
// decodes from); the thumbnail comes out of that same pass. Anything that differs from what Apex
// recorded at request time (size, type, checksum, an image sharp cannot decode, a format other
// than the declared one) makes the image Failed and deletes what was stored, so a Failed image
// never leaves an orphan object behind and an Available one is exactly the file declared.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client
} from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { thumbnailKeyOf } from './keys.ts';
import type { UploadRequest } from './presign.ts';
import type { Confirmation } from './schemas.ts';

/**
 * A decompression bomb (a small file of huge dimensions) is refused before it is decoded: 50
 * megapixels is above any camera a listing photo comes from (a 45 MP full-frame is 8256 x 5504).
 */
export const MAX_INPUT_PIXELS = 50_000_000;

/** Longest decode of one image; a file that takes longer is Failed rather than a stuck worker. */
export const DECODE_TIMEOUT_SECONDS = 30;

const FORMATS: Record<string, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp'
};

export interface VerifyTarget {
  client: S3Client;
  bucket: string;
  thumbnailWidth: number;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

export async function deleteImageObjects(
  target: Pick<VerifyTarget, 'client' | 'bucket'>,
  storageKeys: readonly string[]
): Promise<void> {
  const keys = storageKeys.flatMap((key) => [key, thumbnailKeyOf(key)]);
  for (let i = 0; i < keys.length; i += 1000) {
    const answer = await target.client.send(
      new DeleteObjectsCommand({
        Bucket: target.bucket,
        Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true }
      })
    );
    const errors = answer.Errors ?? [];
    if (errors.length > 0)
      throw new Error(
        `Storage refused to delete ${errors.length} object(s): ${errors[0]?.Code ?? ''} ${errors[0]?.Message ?? ''}`.trim()
      );
  }
}

interface Decoded {
  sha256: string;
  bytes: number;
  format: string | undefined;
  width: number | undefined;
  height: number | undefined;
  thumbnail: Buffer;
}

async function decode(body: Readable, thumbnailWidth: number): Promise<Decoded> {
  const hash = createHash('sha256');
  let bytes = 0;
  const image = sharp({ limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).timeout({
    seconds: DECODE_TIMEOUT_SECONDS
  });
  const metadata = image.clone().metadata();
  const thumbnail = image
    .clone()
    .rotate()
    .resize({ width: thumbnailWidth, withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
  const read = new Promise<void>((resolve, reject) => {
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    body.once('end', resolve);
    body.once('error', reject);
  });
  body.pipe(image);
  // All three settle before anything is decided (no dangling rejection).
  const [readResult, meta, thumb] = await Promise.allSettled([read, metadata, thumbnail]);
  if (readResult.status === 'rejected') throw readResult.reason;
  if (meta.status === 'rejected' || thumb.status === 'rejected')
    throw new NotAnImage(
      meta.status === 'rejected' ? meta.reason : (thumb as PromiseRejectedResult).reason
    );
  const oriented = meta.value.autoOrient;
  return {
    sha256: hash.digest('hex'),
    bytes,
    format: meta.value.format,
    width: oriented?.width ?? meta.value.width,
    height: oriented?.height ?? meta.value.height,
    thumbnail: thumb.value
  };
}

class NotAnImage extends Error {
  constructor(cause: unknown) {
    super('not an image', { cause });
  }
}

const failed = (storageKey: string, reason: string): Confirmation => ({
  storageKey,
  status: 'Failed',
  width: null,
  height: null,
  thumbnailKey: null,
  reason
});

export async function verifyUpload(
  target: VerifyTarget,
  upload: UploadRequest
): Promise<Confirmation> {
  const { client, bucket } = target;
  const key = upload.storageKey;
  const refuse = async (reason: string) => {
    await deleteImageObjects(target, [key]);
    return failed(key, `${reason} The file was deleted; upload it again.`);
  };

  let head;
  try {
    head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (isNotFound(error)) return failed(key, 'No file has been uploaded for this image.');
    throw error;
  }
  if (head.ContentLength !== upload.size)
    return refuse(
      `The stored file has ${head.ContentLength ?? 0} bytes, not the ${upload.size} declared.`
    );
  if (head.ContentType !== upload.contentType)
    return refuse(
      `The stored file is ${head.ContentType ?? 'untyped'}, not ${upload.contentType}.`
    );

  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  let decoded: Decoded;
  try {
    decoded = await decode(object.Body as Readable, target.thumbnailWidth);
  } catch (error) {
    if (error instanceof NotAnImage)
      return refuse(`The file is not a readable ${upload.contentType} image.`);
    throw error;
  }
  if (decoded.bytes !== upload.size)
    return refuse(`The stored file has ${decoded.bytes} bytes, not the ${upload.size} declared.`);
  if (decoded.sha256 !== upload.sha256)
    return refuse("The stored file's SHA-256 does not match the one declared.");
  if (decoded.format !== FORMATS[upload.contentType])
    return refuse(
      `The file is ${decoded.format ?? 'of an unknown format'}, not ${upload.contentType}.`
    );

  const thumbnailKey = thumbnailKeyOf(key);
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: thumbnailKey,
      Body: decoded.thumbnail,
      ContentType: 'image/webp',
      CacheControl: 'private, max-age=86400'
    })
  );
  return {
    storageKey: key,
    status: 'Available',
    width: decoded.width ?? null,
    height: decoded.height ?? null,
    thumbnailKey,
    reason: null
  };
}
