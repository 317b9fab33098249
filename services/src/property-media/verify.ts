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
  PutObjectCommand,
  type S3Client
} from '@aws-sdk/client-s3';
import { thumbnailKeyOf } from './keys.ts';
import { decoder, orientedDimensions, thumbnailPipeline } from './thumbnail.ts';
import type { UploadRequest } from './presign.ts';
import type { Confirmation } from './schemas.ts';

const FORMATS: Record<string, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp'
};

export interface VerifyTarget {
  client: S3Client;
  bucket: string;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

export async function deleteImageObjects(
  target: VerifyTarget,
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

async function decode(body: Readable): Promise<Decoded> {
  const hash = createHash('sha256');
  let bytes = 0;
  const image = decoder();
  const metadata = image.clone().metadata();
  const thumbnail = thumbnailPipeline(image.clone()).toBuffer();
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
  const dimensions = orientedDimensions(meta.value);
  return {
    sha256: hash.digest('hex'),
    bytes,
    format: meta.value.format,
    width: dimensions?.width,
    height: dimensions?.height,
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

  // One GET: its headers say size and type before the body is read (a HEAD first would be a
  // second request per confirmation); a mismatch stops the body unread.
  let object;
  try {
    object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (isNotFound(error)) return failed(key, 'No file has been uploaded for this image.');
    throw error;
  }
  const body = object.Body as Readable;
  if (object.ContentLength !== upload.size) {
    body.destroy();
    return refuse(
      `The stored file has ${object.ContentLength ?? 0} bytes, not the ${upload.size} declared.`
    );
  }
  if (object.ContentType !== upload.contentType) {
    body.destroy();
    return refuse(
      `The stored file is ${object.ContentType ?? 'untyped'}, not ${upload.contentType}.`
    );
  }

  let decoded: Decoded;
  try {
    decoded = await decode(body);
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
