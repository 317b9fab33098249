// Opens the configured storage for a process: the embedded server (started here, on its port and
// folder) or S3. Every entry point (service, migration, benchmark) goes through this, so they all
// reach the same bucket with the same client settings. When the embedded storage's port is already
// taken, another process of this machine (`npm start`) is serving it: this one uses that server
// (after checking it answers for the bucket with the same secret), so `npm run media:migrate`
// next to a running lab uploads where the lab's gallery looks. The folder holds `buckets/`
// (s3rver's) and `secret` (the checkout's signing secret, unless MEDIA_EMBEDDED_SECRET is set).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EmbeddedStorageConfig, MediaConfig } from './config.ts';
import {
  EMBEDDED_ACCESS_KEY_ID,
  startEmbeddedStorage,
  type EmbeddedStorage
} from './embedded-storage.ts';
import { createStorageClient } from './storage.ts';

export interface OpenedStorage {
  client: S3Client;
  bucket: string;
  /** Where the storage answers (the embedded server's URL; the S3 endpoint; undefined: AWS). */
  endpoint?: string;
  embedded: boolean;
  close(): Promise<void>;
}

export async function openStorage(
  storage: MediaConfig['storage'],
  options: { maxSockets?: number } = {}
): Promise<OpenedStorage> {
  if (storage.kind === 's3') {
    const client = createStorageClient({ ...storage.settings, ...options });
    return {
      client,
      bucket: storage.settings.bucket,
      ...(storage.settings.endpoint ? { endpoint: storage.settings.endpoint } : {}),
      embedded: false,
      close: async () => client.destroy()
    };
  }
  const secretAccessKey = storage.secretAccessKey ?? (await checkoutSecret(storage.directory));
  let server: EmbeddedStorage;
  try {
    server = await startEmbeddedStorage({
      ...storage,
      directory: path.join(storage.directory, 'buckets'),
      secretAccessKey
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || storage.port === 0) throw error;
    return useRunningEmbeddedStorage(storage, secretAccessKey, options);
  }
  const client = createStorageClient({
    endpoint: server.endpoint,
    region: storage.region,
    bucket: storage.bucket,
    forcePathStyle: true,
    credentials: server.credentials,
    ...options
  });
  return {
    client,
    bucket: storage.bucket,
    endpoint: server.endpoint,
    embedded: true,
    close: async () => {
      client.destroy();
      await server.close();
    }
  };
}

/**
 * The embedded storage's secret when none is configured: random, made once per checkout and kept
 * next to the buckets (owner-only), so the lab and a migration running beside it sign alike and no
 * committed default lets a web page sign requests to a developer's storage.
 */
export async function checkoutSecret(directory: string): Promise<string> {
  const file = path.join(directory, 'secret');
  await mkdir(directory, { recursive: true });
  try {
    await writeFile(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const secret = (await readFile(file, 'utf8')).trim();
  if (!/^[0-9a-f]{64}$/.test(secret))
    throw new Error(`${file} does not hold a storage secret: delete it to make a new one.`);
  return secret;
}

async function useRunningEmbeddedStorage(
  storage: EmbeddedStorageConfig,
  secretAccessKey: string,
  options: { maxSockets?: number }
): Promise<OpenedStorage> {
  const endpoint = `http://127.0.0.1:${storage.port}`;
  const client = createStorageClient({
    endpoint,
    region: storage.region,
    bucket: storage.bucket,
    forcePathStyle: true,
    credentials: { accessKeyId: EMBEDDED_ACCESS_KEY_ID, secretAccessKey },
    ...options
  });
  try {
    await client.send(new HeadBucketCommand({ Bucket: storage.bucket }));
  } catch (error) {
    client.destroy();
    throw new Error(
      `Port ${storage.port} (MEDIA_EMBEDDED_PORT) is taken, and not by an embedded storage holding bucket '${storage.bucket}' with this MEDIA_EMBEDDED_SECRET: ${(error as Error).name}. Stop what listens there or choose another port.`,
      { cause: error }
    );
  }
  return {
    client,
    bucket: storage.bucket,
    endpoint,
    embedded: true,
    close: async () => client.destroy()
  };
}
