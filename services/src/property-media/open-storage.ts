// Opens the configured storage for a process: the embedded server (started here, on its port and
// folder) or S3. Every entry point (service, migration, benchmark) goes through this, so they all
// reach the same bucket with the same client settings. When the embedded storage's port is already
// taken, another process of this machine (`npm start`) is serving it: this one uses that server
// (after checking it answers for the bucket with the same secret), so `npm run media:migrate`
// next to a running lab uploads where the lab's gallery looks.
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
  let server: EmbeddedStorage;
  try {
    server = await startEmbeddedStorage(storage);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || storage.port === 0) throw error;
    return useRunningEmbeddedStorage(storage, options);
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

async function useRunningEmbeddedStorage(
  storage: EmbeddedStorageConfig,
  options: { maxSockets?: number }
): Promise<OpenedStorage> {
  const endpoint = `http://127.0.0.1:${storage.port}`;
  const client = createStorageClient({
    endpoint,
    region: storage.region,
    bucket: storage.bucket,
    forcePathStyle: true,
    credentials: { accessKeyId: EMBEDDED_ACCESS_KEY_ID, secretAccessKey: storage.secretAccessKey },
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
