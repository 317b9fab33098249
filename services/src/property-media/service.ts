// The media service (Scenario 6) on the platform: the media API for Salesforce's Property_Media
// Named Credential, in front of the configured storage (the embedded s3rver by default). Storage
// opens when the server listens (a worker's start) and closes with it, so building the service
// (the OpenAPI documents, `npm run docs:api`) binds no port; until it is open the API answers 503.
// Readiness asks storage whether the bucket is there.
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { defineService, HttpError } from '../platform/index.ts';
import { mediaConfig, type MediaConfig } from './config.ts';
import { openStorage, type OpenedStorage } from './open-storage.ts';
import { mediaRoutes } from './routes.ts';

export const propertyMediaService = defineService<MediaConfig>({
  name: 'property-media',
  config: mediaConfig,
  start({ config, logger, readiness }) {
    let storage: OpenedStorage | undefined;
    const opened = (): OpenedStorage => {
      if (!storage)
        throw new HttpError(503, 'storage_unavailable', 'The image storage is not open yet.');
      return storage;
    };
    return {
      routes: async (app) =>
        app.register(mediaRoutes, {
          storage: opened,
          limits: config.limits,
          verifyConcurrency: config.verifyConcurrency
        }),
      workers: [
        {
          name: 'storage',
          async start() {
            storage = await openStorage(config.storage);
            // Probed once open: the platform runs probes before it starts workers, and a probe
            // failing for a storage that is still opening would be logged as a fault. While the
            // service stops, the platform already answers not ready.
            readiness.add('storage', async () => {
              if (!storage) return;
              await storage.client.send(new HeadBucketCommand({ Bucket: storage.bucket }));
            });
            logger.info(
              {
                storage: storage.embedded ? 'embedded' : 's3',
                endpoint: storage.endpoint ?? 'AWS S3',
                bucket: storage.bucket,
                limits: config.limits
              },
              'property media storage open'
            );
          },
          async stop() {
            await storage?.close();
            storage = undefined;
          }
        }
      ]
    };
  }
});
