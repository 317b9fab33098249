// Set-up of the migration tests: a real PostgreSQL database with the migrations applied, the org
// emulator (schema and permission sets from force-app; the migration logged in with its connected
// app as media@emulator.local, holding exactly Property_Media_Migration), and the embedded
// storage on a folder of its own. Nothing is mocked.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  MEDIA_CLIENT_ID,
  MEDIA_CLIENT_SECRET
} from '../../../simulators/salesforce/src/emulator.ts';
import { migrate, type SalesforceClients } from '../../src/platform/index.ts';
import {
  startEmbeddedStorage,
  type EmbeddedStorage
} from '../../src/property-media/embedded-storage.ts';
import { MAX_BYTES } from '../../src/property-media/limits.ts';
import { createStorageClient } from '../../src/property-media/storage.ts';
import {
  runMigration,
  type MigrationOptions,
  type MigrationReport,
  type MigrationSettings
} from '../../src/property-media/migration/run-migration.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { scenarioSwitch } from '../helpers/kill-switch.ts';
import { startTestOrg, type TestOrg } from '../platform/salesforce-test-org.ts';

export const BUCKET = 'property-images';

export const TEST_SETTINGS: MigrationSettings = {
  concurrency: 4,
  multipartBytes: 16 * 1024 * 1024,
  maxBytes: MAX_BYTES,
  maxAttempts: 3,
  recordsPerJob: 10_000,
  retryDelayMs: 10,
  poll: { initialDelayMs: 20, maxDelayMs: 200, factor: 1.5, timeoutMs: 60_000 }
};

export interface MigrationLab {
  org: TestOrg;
  db: TestDatabase;
  storage: EmbeddedStorage;
  storageDir: string;
  client: S3Client;
  /** The migration's clients: media@emulator.local. */
  salesforce: SalesforceClients;
  /** A System Administrator: the test's own reads. */
  admin: SalesforceClients;
  killSwitch(enabled: boolean): void;
  run(
    manifest: string,
    overrides?: Partial<Omit<MigrationOptions, 'settings'>> & {
      settings?: Partial<MigrationSettings>;
    }
  ): Promise<MigrationReport>;
  /** Every key in the bucket with its SHA-256. */
  objects(): Promise<Map<string, string>>;
  /** Property_Image__c rows (as the admin sees them). */
  records(): Promise<Array<Record<string, unknown>>>;
  properties(listings: readonly string[]): Promise<void>;
  /** Empties the progress table, the bucket and the org's images between tests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startMigrationLab(): Promise<MigrationLab> {
  const org = await startTestOrg();
  const db = await createTestDatabase();
  await migrate(db.pool);
  const storageDir = await mkdtemp(path.join(tmpdir(), 'media-migration-'));
  let storage = await startEmbeddedStorage({
    directory: storageDir,
    bucket: BUCKET,
    secretAccessKey: 'migration-test-secret',
    port: 0,
    corsOrigins: ['*']
  });
  const clientFor = (s: EmbeddedStorage) =>
    createStorageClient({
      endpoint: s.endpoint,
      region: 'us-east-1',
      bucket: BUCKET,
      forcePathStyle: true,
      credentials: s.credentials
    });
  let client = clientFor(storage);
  const salesforce = org.clients({
    config: {
      flow: 'client_credentials',
      instanceUrl: org.emulator.instanceUrl,
      clientId: MEDIA_CLIENT_ID,
      clientSecret: MEDIA_CLIENT_SECRET
    }
  });
  const admin = org.adminClients();
  const killSwitch = scenarioSwitch(() => org.emulator.ctx, 'PropertyMedia');

  const lab: MigrationLab = {
    org,
    db,
    get storage() {
      return storage;
    },
    storageDir,
    get client() {
      return client;
    },
    salesforce,
    admin,
    killSwitch,
    run(manifest, overrides = {}) {
      const { settings, ...rest } = overrides;
      return runMigration({
        pool: db.pool,
        storage: { client, bucket: BUCKET },
        salesforce,
        manifest,
        settings: { ...TEST_SETTINGS, ...settings },
        ...rest
      });
    },
    async objects() {
      const found = new Map<string, string>();
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token })
        );
        for (const item of page.Contents ?? []) {
          const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: item.Key }));
          const bytes = Buffer.from(await object.Body!.transformToByteArray());
          found.set(item.Key!, createHash('sha256').update(bytes).digest('hex'));
        }
        token = page.NextContinuationToken;
      } while (token);
      return found;
    },
    async records() {
      const rows: Array<Record<string, unknown>> = [];
      for await (const row of admin.rest.query<Record<string, unknown>>(
        'SELECT Id, Storage_Key__c, Thumbnail_Key__c, File_Name__c, Content_Type__c, Size_Bytes__c, SHA256__c, Width__c, Height__c, Status__c, Failure_Reason__c, Sort_Order__c, Caption__c, Property__r.Listing_Number__c FROM Property_Image__c'
      ))
        rows.push(row);
      return rows;
    },
    async properties(listings) {
      await org.fixtures(
        'Property__c',
        listings.map((listing) => ({ Name: `Property ${listing}`, Listing_Number__c: listing }))
      );
    },
    async reset() {
      await db.pool.query('TRUNCATE media.migration_images, media.migration_runs');
      await org.reset();
      client.destroy();
      await storage.close();
      await rm(storageDir, { recursive: true, force: true });
      storage = await startEmbeddedStorage({
        directory: storageDir,
        bucket: BUCKET,
        secretAccessKey: 'migration-test-secret',
        port: 0,
        corsOrigins: ['*']
      });
      client = clientFor(storage);
    },
    async close() {
      salesforce.close();
      admin.close();
      client.destroy();
      await storage.close();
      await rm(storageDir, { recursive: true, force: true });
      await db.drop();
      await org.close();
    }
  };
  return lab;
}
