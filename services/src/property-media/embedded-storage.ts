// The embedded S3-compatible storage, the local default for the media service, the migration tool
// and the tests: s3rver keeps buckets as folders on disk and speaks S3's REST protocol, so the AWS
// SDK, presigned URLs and a browser's PUT work against it as against S3. In front of it sits what
// s3rver lacks: SigV4 verification (sigv4-check.ts), so an expired, altered or foreign-key URL is
// refused locally exactly as S3 refuses it. s3rver runs in this process behind our own HTTP server
// (its Koa handler, no second socket); CORS preflights pass unsigned, as on S3, and are answered
// from the bucket's CORS configuration.
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { SignatureRefused, verifySignature, type StorageCredentials } from './sigv4-check.ts';

/**
 * s3rver looks the access key id up in its own registry, whose only account is S3RVER; the secret
 * is ours (s3rver never uses it), so the embedded storage still has a secret only its users know.
 */
export const EMBEDDED_ACCESS_KEY_ID = 'S3RVER';

export interface EmbeddedStorageOptions {
  directory: string;
  bucket: string;
  secretAccessKey: string;
  /** 0 = any free port. */
  port: number;
  host?: string;
  /** Origins browsers upload and view from (the Lightning domains); `*` for any. */
  corsOrigins: readonly string[];
}

export interface EmbeddedStorage {
  endpoint: string;
  credentials: StorageCredentials;
  bucket: string;
  close(): Promise<void>;
}

function corsConfiguration(origins: readonly string[]): string {
  const allowed = origins.map((origin) => `<AllowedOrigin>${origin}</AllowedOrigin>`).join('');
  return (
    '<CORSConfiguration><CORSRule>' +
    allowed +
    '<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>' +
    '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>' +
    '</CORSRule></CORSConfiguration>'
  );
}

function refuse(response: ServerResponse, error: SignatureRefused): void {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${error.code}</Code><Message>${error.message.replace(/[<>&]/g, '')}</Message></Error>`;
  response.writeHead(403, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    connection: 'close'
  });
  response.end(body);
}

export async function startEmbeddedStorage(
  options: EmbeddedStorageOptions
): Promise<EmbeddedStorage> {
  await mkdir(options.directory, { recursive: true });
  const credentials = {
    accessKeyId: EMBEDDED_ACCESS_KEY_ID,
    secretAccessKey: options.secretAccessKey
  };
  const s3rver = new S3rver({
    directory: options.directory,
    silent: true,
    configureBuckets: [{ name: options.bucket, configs: [corsConfiguration(options.corsOrigins)] }]
  });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'OPTIONS') {
      try {
        verifySignature(request, credentials);
      } catch (error) {
        if (!(error instanceof SignatureRefused)) throw error;
        // Answered before the body is read; `connection: close` ends the socket after the answer,
        // so a refused upload's bytes are not taken in.
        refuse(response, error);
        request.resume();
        return;
      }
    }
    handle(request, response);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${port}`,
    credentials,
    bucket: options.bucket,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })
  };
}
