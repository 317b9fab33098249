// Configuration of the property image migration (`npm run media:migrate`, docs/property-media.md):
// its own Salesforce identity and how hard it pushes storage and the org. Storage itself is the
// media configuration's (MEDIA_STORAGE and the rest, ../config.ts): the migration writes into the
// bucket the media service serves.
import { defineConfig, integer, optional, text, withDefault } from '../../../../toolkit/src/env.ts';

/** Rows per Bulk API 2.0 ingest job: a Salesforce batch is 10,000 records. */
export const MAX_RECORDS_PER_JOB = 10_000;

export const migrationConfig = defineConfig({
  name: 'property-media-migration',
  subject: 'property image migration',
  docs: 'docs/property-media-migration.md',
  variables: {
    MEDIA_SF_CLIENT_ID: optional(text(), {
      description:
        "Consumer key of the migration's own connected app, whose client-credentials flow runs as its API-only user (permission set `Property_Media_Migration`). Set, the migration logs in with it against `SF_INSTANCE_URL`; unset, it uses the platform's `SF_*` credentials (which must then be that user's). Needs `MEDIA_SF_CLIENT_SECRET`."
    }),
    MEDIA_SF_CLIENT_SECRET: optional(text(), {
      secret: true,
      description: 'Consumer secret of that connected app. Needs `MEDIA_SF_CLIENT_ID`.'
    }),
    MEDIA_MIGRATE_CONCURRENCY: withDefault(integer(1, 256), '8', {
      description:
        'Images uploaded at once (each holds at most one original in memory); `--concurrency` overrides it.'
    }),
    MEDIA_MIGRATE_MULTIPART_BYTES: withDefault(
      integer(5 * 1024 * 1024, 5 * 1024 ** 3),
      String(16 * 1024 * 1024),
      {
        description:
          'Originals larger than this are sent as a multipart upload (8 MiB parts, each checked by S3 with SHA-256) instead of one PUT.'
      }
    ),
    MEDIA_MIGRATE_MAX_ATTEMPTS: withDefault(integer(1, 100), '5', {
      description:
        'Upload attempts (and record attempts) per image over all runs; after that the image is reported failed and left alone.'
    }),
    MEDIA_MIGRATE_RECORDS_PER_JOB: withDefault(
      integer(1, MAX_RECORDS_PER_JOB),
      String(MAX_RECORDS_PER_JOB),
      {
        description:
          'Property_Image__c rows per Bulk API 2.0 ingest job (about 5 API calls each, so 10,000 rows spend 0.5 per 1,000 images).'
      }
    )
  },
  rules(values) {
    if ((values.MEDIA_SF_CLIENT_ID === undefined) !== (values.MEDIA_SF_CLIENT_SECRET === undefined))
      return [
        {
          variable:
            values.MEDIA_SF_CLIENT_ID === undefined
              ? 'MEDIA_SF_CLIENT_ID'
              : 'MEDIA_SF_CLIENT_SECRET',
          message: 'MEDIA_SF_CLIENT_ID and MEDIA_SF_CLIENT_SECRET go together'
        }
      ];
    return [];
  },
  build: (v): MigrationConfig => ({
    ...(v.MEDIA_SF_CLIENT_ID && v.MEDIA_SF_CLIENT_SECRET
      ? { salesforce: { clientId: v.MEDIA_SF_CLIENT_ID, clientSecret: v.MEDIA_SF_CLIENT_SECRET } }
      : {}),
    concurrency: v.MEDIA_MIGRATE_CONCURRENCY,
    multipartBytes: v.MEDIA_MIGRATE_MULTIPART_BYTES,
    maxAttempts: v.MEDIA_MIGRATE_MAX_ATTEMPTS,
    recordsPerJob: v.MEDIA_MIGRATE_RECORDS_PER_JOB
  })
});

export interface MigrationConfig {
  /** The migration's connected app, when it logs in on its own. */
  salesforce?: { clientId: string; clientSecret: string };
  concurrency: number;
  multipartBytes: number;
  maxAttempts: number;
  recordsPerJob: number;
}
