// Presigned URLs: the browser uploads and views straight against storage, so no image byte passes
// through Salesforce or this service. An upload URL is bound to one key and, through its signed
// headers, to the declared Content-Type, Content-Length and SHA-256 (x-amz-checksum-sha256, which
// S3 also checks against the body), and made conditional (If-None-Match: *, no overwrite):
// another type, size or file is refused by storage, not by trust in the browser. View URLs are short-lived GETs of one key each.
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { sha256HexToBase64 } from './storage.ts';

export interface UploadTicket {
  storageKey: string;
  method: 'PUT';
  uploadUrl: string;
  headers: { 'Content-Type': string; 'If-None-Match': '*'; 'x-amz-checksum-sha256': string };
  expiresAt: string;
}

export interface UploadRequest {
  storageKey: string;
  contentType: string;
  size: number;
  sha256: string;
}

export async function presignUpload(
  client: S3Client,
  bucket: string,
  upload: UploadRequest,
  seconds: number,
  now: Date = new Date()
): Promise<UploadTicket> {
  const checksum = sha256HexToBase64(upload.sha256);
  const uploadUrl = await getSignedUrl(
    client,
    new PutObjectCommand({
      Bucket: bucket,
      Key: upload.storageKey,
      ContentType: upload.contentType,
      ContentLength: upload.size,
      ChecksumSHA256: checksum,
      // A conditional write (S3 supports it since 2024): the URL never replaces a stored object,
      // so a verified image cannot be overwritten with other bytes while the URL still lives,
      // even by storage that does not check x-amz-checksum-sha256 against the body.
      IfNoneMatch: '*'
    }),
    {
      expiresIn: seconds,
      signingDate: now,
      // Signed, so a different value is refused; the checksum stays a header (not hoisted into
      // the query) so that S3 compares it with the body.
      signableHeaders: new Set(['content-type', 'content-length']),
      unhoistableHeaders: new Set(['x-amz-checksum-sha256'])
    }
  );
  return {
    storageKey: upload.storageKey,
    method: 'PUT',
    uploadUrl,
    headers: {
      'Content-Type': upload.contentType,
      'If-None-Match': '*',
      'x-amz-checksum-sha256': checksum
    },
    expiresAt: new Date(now.getTime() + seconds * 1000).toISOString()
  };
}

export function presignView(
  client: S3Client,
  bucket: string,
  key: string,
  seconds: number,
  now: Date = new Date()
): Promise<string> {
  return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
    expiresIn: seconds,
    signingDate: now
  });
}
