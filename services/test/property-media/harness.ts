// The media service on the platform against the embedded storage (started here, so the tests hold
// an S3 client of their own to look into the bucket), real PostgreSQL, bearer auth as Salesforce's
// Named Credential sends it, and real images made with sharp.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { createLogger, loadProcessConfig, startPlatform } from '../../src/platform/index.ts';
import { startEmbeddedStorage } from '../../src/property-media/embedded-storage.ts';
import { propertyMediaService } from '../../src/property-media/service.ts';
import { createStorageClient } from '../../src/property-media/storage.ts';
import { projectRoot } from '../../../toolkit/src/project.ts';
import { createTestDatabase } from '../helpers/database.ts';

export const API_TOKEN = 'media-test-token-0123456789abcdef';
export const BUCKET = 'property-images';

export interface MediaContract {
  limits: Record<string, unknown> & { contentTypes: string[]; maxBytes: number };
  uploadRequest: { method: string; path: string; body: Record<string, unknown> };
  confirmRequest: { method: string; path: string; body: Record<string, unknown> };
  viewRequest: { method: string; path: string; body: Record<string, unknown> };
  deleteRequest: { method: string; path: string; body: Record<string, unknown> };
  responses: Record<string, { httpStatus: number; body: Record<string, unknown> }>;
}

export async function loadContract(): Promise<MediaContract> {
  const file = path.join(
    projectRoot(),
    'force-app/main/property-media/staticresources/PropertyMediaContract.json'
  );
  return JSON.parse(await readFile(file, 'utf8')) as MediaContract;
}

export interface MediaHarness {
  url: string;
  storage: S3Client;
  logs: string[];
  call(
    pathname: string,
    body: unknown,
    token?: string | null
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface MediaHarnessOptions {
  /**
   * Origins the storage's CORS rule allows; `*` by default. A browser test names its page's
   * origin, so that another origin is really refused at the preflight.
   */
  corsOrigins?: readonly string[];
}

export async function startMediaHarness(
  env: Record<string, string> = {},
  options: MediaHarnessOptions = {}
): Promise<MediaHarness> {
  const directory = await mkdtemp(path.join(tmpdir(), 'media-service-'));
  const secretAccessKey = 'media-test-secret';
  const embedded = await startEmbeddedStorage({
    directory,
    bucket: BUCKET,
    secretAccessKey,
    port: 0,
    corsOrigins: options.corsOrigins ?? ['*']
  });
  const database = await createTestDatabase();
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(line);
      callback();
    }
  });
  const logger = createLogger({ level: 'debug', service: 'property-media', destination });
  const loaded = loadProcessConfig(
    {
      DATABASE_URL: database.url,
      HTTP_PORT: '0',
      SERVICE_API_TOKENS: API_TOKEN,
      NODE_ENV: 'test',
      MEDIA_STORAGE: 's3',
      MEDIA_S3_ENDPOINT: embedded.endpoint,
      MEDIA_S3_FORCE_PATH_STYLE: 'true',
      MEDIA_S3_BUCKET: BUCKET,
      MEDIA_S3_ACCESS_KEY_ID: embedded.credentials.accessKeyId,
      MEDIA_S3_SECRET_ACCESS_KEY: secretAccessKey,
      ...env
    },
    [propertyMediaService]
  );
  const platform = await startPlatform(loaded.platform, { services: loaded.services, logger });
  const storage = createStorageClient({
    endpoint: embedded.endpoint,
    region: 'us-east-1',
    bucket: BUCKET,
    forcePathStyle: true,
    credentials: embedded.credentials
  });
  const url = platform.url ?? '';
  return {
    url,
    storage,
    logs,
    async call(pathname, body, token = API_TOKEN) {
      const response = await fetch(`${url}${pathname}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` })
        },
        body: typeof body === 'string' ? body : JSON.stringify(body)
      });
      const text = await response.text();
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = { raw: text };
      }
      return { status: response.status, body: parsed };
    },
    async close() {
      await platform.stop();
      storage.destroy();
      await embedded.close();
      await database.drop();
      await rm(directory, { recursive: true, force: true });
    }
  };
}

/** A real image of the given format and dimensions (a gradient, so it compresses like a photo). */
export async function makeImage(
  format: 'jpeg' | 'png' | 'webp',
  width = 1200,
  height = 800
): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = (x * 255) / width;
      pixels[i + 1] = (y * 255) / height;
      pixels[i + 2] = ((x + y) * 7) % 256;
    }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .toFormat(format)
    .toBuffer();
}

export const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');
