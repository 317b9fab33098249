// Opens the configured storage for a process: the embedded server (started here, on its port and
// folder) or S3. Every entry point (service, migration, benchmark) goes through this, so they all
// reach the same bucket with the same client settings.
import type { S3Client } from '@aws-sdk/client-s3';
import type { MediaConfig } from './config.ts';
import { startEmbeddedStorage } from './embedded-storage.ts';
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
  const server = await startEmbeddedStorage(storage);
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
