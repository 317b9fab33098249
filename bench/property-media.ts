/**
 * Scenario 6, the property image migration (`npm run media:migrate`):
 *
 *  * throughput_ratio_vs_sdk (goal >= 0.8): the migration's MB/s end to end (manifest read,
 *    progress in PostgreSQL, one streamed read per file with SHA-256, S3-checked PutObject, the
 *    480 px WebP thumbnail, the Property_Image__c upsert) over a plain AWS SDK v3 PutObject of the
 *    same files (a file stream, nothing else) at the same concurrency, into the same kind of
 *    storage. BENCH_MEDIA_IMAGES (default 60) images of BENCH_MEDIA_BYTES (default 3,000,000),
 *    BENCH_MEDIA_CONCURRENCY (default 8), BENCH_MEDIA_ROUNDS (default 3) rounds in ABBA order
 *    (bench/rounds.ts). Each round also runs the migration without thumbnails
 *    (throughput_ratio_no_thumbnails_vs_sdk), which is what the thumbnails cost.
 *  * api_calls_per_1000_images (goal <= 5): the org emulator's own count of API calls for a
 *    migration of BENCH_MEDIA_API_IMAGES (default 5,000) small images, per 1,000 images.
 *
 * Storage is the embedded one (s3rver on a fresh folder per measurement, started before the
 * clock starts); the org emulator and PostgreSQL (TEST_DATABASE_URL, else an embedded one) are
 * the tests'. The migration logs in as its own user, media@emulator.local. Everything runs in
 * this process, so both sides share the same machine and the same storage server code.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MEDIA_CLIENT_ID, MEDIA_CLIENT_SECRET } from '../simulators/salesforce/src/emulator.ts';
import { migrate } from '../services/src/platform/db/migrate.ts';
import {
  startEmbeddedStorage,
  type EmbeddedStorage
} from '../services/src/property-media/embedded-storage.ts';
import { MAX_BYTES } from '../services/src/property-media/limits.ts';
import { createStorageClient } from '../services/src/property-media/storage.ts';
import {
  generateImages,
  type GeneratedSet
} from '../services/src/property-media/migration/generate.ts';
import {
  runMigration,
  type MigrationSettings
} from '../services/src/property-media/migration/run-migration.ts';
import { createTestDatabase } from '../services/test/helpers/database.ts';
import { startTestOrg } from '../services/test/platform/salesforce-test-org.ts';
import { progress, report } from './report.ts';
import { alternateRounds, envInt, machineLoad, median, reportMedian, sig } from './rounds.ts';

const BENCH = 'property-media';
const IMAGES = envInt('BENCH_MEDIA_IMAGES', 60);
const BYTES = envInt('BENCH_MEDIA_BYTES', 3_000_000);
const CONCURRENCY = envInt('BENCH_MEDIA_CONCURRENCY', 8);
const ROUNDS = envInt('BENCH_MEDIA_ROUNDS', 3);
const API_IMAGES = envInt('BENCH_MEDIA_API_IMAGES', 5_000);
const BUCKET = 'property-images';

interface Storage {
  server: EmbeddedStorage;
  client: S3Client;
  close(): Promise<void>;
}

async function freshStorage(): Promise<Storage> {
  const directory = await mkdtemp(path.join(tmpdir(), 'bench-media-'));
  const server = await startEmbeddedStorage({
    directory,
    bucket: BUCKET,
    secretAccessKey: 'bench-secret',
    port: 0,
    corsOrigins: ['*']
  });
  const client = createStorageClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    bucket: BUCKET,
    forcePathStyle: true,
    credentials: server.credentials,
    maxSockets: CONCURRENCY * 2
  });
  return {
    server,
    client,
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    }
  };
}

/** The plain SDK upload: each file streamed into one PutObject, `concurrency` at a time. */
async function plainUpload(set: GeneratedSet, dir: string, storage: Storage): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < set.files.length; i = next++) {
      const file = set.files[i]!;
      await storage.client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `plain/${file.source}`,
          Body: createReadStream(path.join(dir, file.source)),
          ContentLength: file.bytes,
          ContentType: 'image/jpeg'
        })
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return (performance.now() - started) / 1000;
}

export async function run(): Promise<void> {
  const load = machineLoad();
  const db = await createTestDatabase();
  const org = await startTestOrg();
  const work = await mkdtemp(path.join(tmpdir(), 'bench-media-set-'));
  const salesforce = org.clients({
    config: {
      flow: 'client_credentials',
      instanceUrl: org.emulator.instanceUrl,
      clientId: MEDIA_CLIENT_ID,
      clientSecret: MEDIA_CLIENT_SECRET
    }
  });
  try {
    await migrate(db.pool);
    const settings: MigrationSettings = {
      concurrency: CONCURRENCY,
      multipartBytes: 16 * 1024 * 1024,
      maxBytes: MAX_BYTES,
      maxAttempts: 3,
      recordsPerJob: 10_000
    };

    // ---- throughput -------------------------------------------------------------------------
    const setDir = path.join(work, 'throughput');
    progress(`${BENCH}: generating ${IMAGES} images of ${BYTES} bytes`);
    const set = await generateImages({
      dir: setDir,
      count: IMAGES,
      bytes: BYTES,
      listings: Math.max(1, Math.ceil(IMAGES / 20)),
      seed: 'bench-throughput'
    });
    await org.fixtures(
      'Property__c',
      set.listings.map((l) => ({ Name: `Bench ${l}`, Listing_Number__c: l }))
    );
    const megabytes = set.totalBytes / 1_000_000;
    // The upload phase alone (first claim to last upload noted), without the run's fixed costs.
    const uploadPhase: number[] = [];
    const uploadPhaseNoThumbnails: number[] = [];

    const migrateOnce = async (thumbnails: boolean) => {
      await db.pool.query('TRUNCATE media.migration_images, media.migration_runs');
      const storage = await freshStorage();
      try {
        const started = performance.now();
        const result = await runMigration({
          pool: db.pool,
          storage: { client: storage.client, bucket: BUCKET },
          salesforce,
          manifest: set.manifest,
          settings: { ...settings, thumbnails }
        });
        const seconds = (performance.now() - started) / 1000;
        if (result.uploaded !== IMAGES || result.recordsUpserted !== IMAGES)
          throw new Error(`the migration did not complete: ${JSON.stringify(result.state)}`);
        (thumbnails ? uploadPhase : uploadPhaseNoThumbnails).push(result.megabytesPerSecond);
        return megabytes / seconds;
      } finally {
        await storage.close();
      }
    };
    const plainOnce = async () => {
      const storage = await freshStorage();
      try {
        return megabytes / (await plainUpload(set, setDir, storage));
      } finally {
        await storage.close();
      }
    };

    // Warm-up of both paths (JIT, sharp's thread pool, first connections): not measured.
    await plainOnce();
    await migrateOnce(true);
    const noThumbnails: number[] = [];
    uploadPhase.length = 0;
    uploadPhaseNoThumbnails.length = 0;
    const rounds = await alternateRounds({
      rounds: ROUNDS,
      baseline: plainOnce,
      subject: async () => {
        const withThumbnails = await migrateOnce(true);
        noThumbnails.push(await migrateOnce(false));
        return withThumbnails;
      },
      onRound: (r) =>
        progress(
          `${BENCH}: round ${r.round + 1}/${ROUNDS} (${r.order.join(' first, ')}): migration ${sig(r.subject)} MB/s, plain SDK ${sig(r.baseline)} MB/s, no thumbnails ${sig(noThumbnails.at(-1)!)} MB/s`
        )
    });
    const detail = {
      images: IMAGES,
      bytesPerImage: BYTES,
      megabytes: sig(megabytes),
      concurrency: CONCURRENCY,
      migrationMegabytesPerSecond: sig(median(rounds.map((r) => r.subject))),
      sdkMegabytesPerSecond: sig(median(rounds.map((r) => r.baseline))),
      noThumbnailsMegabytesPerSecond: sig(median(noThumbnails)),
      uploadPhaseMegabytesPerSecond: sig(median(uploadPhase)),
      uploadPhaseNoThumbnailsMegabytesPerSecond: sig(median(uploadPhaseNoThumbnails)),
      uploadPhaseRatioVsSdk: sig(median(uploadPhase) / median(rounds.map((r) => r.baseline))),
      storage: 'embedded (s3rver on local disk)',
      goal: '>= 0.8',
      machine: load()
    };
    reportMedian(
      { bench: BENCH, metric: 'throughput_ratio_vs_sdk', unit: 'ratio' },
      rounds.map((r) => r.subject / r.baseline),
      detail
    );
    reportMedian(
      { bench: BENCH, metric: 'throughput_ratio_no_thumbnails_vs_sdk', unit: 'ratio' },
      rounds.map((r, i) => noThumbnails[i]! / r.baseline),
      { ...detail, goal: 'none: shows what the thumbnails cost' }
    );

    // ---- API calls ----------------------------------------------------------------------------
    const apiDir = path.join(work, 'api');
    progress(`${BENCH}: generating ${API_IMAGES} small images`);
    const small = await generateImages({
      dir: apiDir,
      count: API_IMAGES,
      bytes: 2_000,
      listings: Math.max(1, Math.ceil(API_IMAGES / 20)),
      seed: 'bench-api-calls'
    });
    await org.fixtures(
      'Property__c',
      small.listings.map((l) => ({ Name: `Bench ${l}`, Listing_Number__c: l }))
    );
    await db.pool.query('TRUNCATE media.migration_images, media.migration_runs');
    const storage = await freshStorage();
    try {
      const before = await org.orgApiCalls();
      const result = await runMigration({
        pool: db.pool,
        storage: { client: storage.client, bucket: BUCKET },
        salesforce,
        manifest: small.manifest,
        settings
      });
      const calls = (await org.orgApiCalls()) - before;
      if (result.recordsUpserted !== API_IMAGES)
        throw new Error(
          `the migration did not record every image: ${JSON.stringify(result.state)}`
        );
      report({
        bench: BENCH,
        metric: 'api_calls_per_1000_images',
        value: sig((calls / API_IMAGES) * 1000),
        unit: 'calls',
        detail: {
          images: API_IMAGES,
          apiCalls: calls,
          clientCount: result.apiCalls,
          recordJobs: result.recordJobs.length,
          goal: '<= 5',
          machine: load()
        }
      });
    } finally {
      await storage.close();
    }
  } finally {
    salesforce.close();
    await org.close();
    await db.drop();
    await rm(work, { recursive: true, force: true });
  }
}
