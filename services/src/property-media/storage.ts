// The S3 client every part of the slice uses (media service, migration, benchmark), with the
// checksum settings TOOLCHAIN.md measured: the SDK's defaults ('WHEN_SUPPORTED') frame a stream
// body as aws-chunked with a trailing CRC (stored as-is, chunk framing and all, by servers that do
// not implement it, s3rver among them) and put an empty-body checksum into presigned URLs, which
// then refuse every real upload. 'WHEN_REQUIRED' computes checksums only where S3 requires one;
// this slice asks for SHA-256 itself, where it matters (the presigned PUT, the migration's parts).
import { S3Client } from '@aws-sdk/client-s3';
import { Agent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';

// The pinned SDK supports Node.js 20 (package.json engines); its once-per-process notice that
// releases after January 2027 will need Node.js 22 is for whoever upgrades it (docs/property-media.md),
// not for every user of `npm start`.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface StorageSettings {
  /** Unset: AWS S3 in `region`. Set: an S3-compatible endpoint (MinIO, R2, the embedded one). */
  endpoint?: string;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
  /** Unset: the SDK's default credential chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Sockets per client; the migration raises it to its concurrency. */
  maxSockets?: number;
}

export function createStorageClient(settings: StorageSettings): S3Client {
  const maxSockets = settings.maxSockets ?? 50;
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new Agent({ keepAlive: true, maxSockets }),
      connectionTimeout: 5_000,
      requestTimeout: 120_000
    })
  });
}

/** SHA-256 as S3 wants it in x-amz-checksum-sha256 (base64) from the hex the records keep. */
export function sha256HexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}
