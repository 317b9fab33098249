/**
 * Scenario 6, the property image migration (`npm run media:migrate`):
 *
 *  * throughput_ratio_vs_sdk (goal >= 0.8): the migration's transfer phase in MB/s, run as an
 *    operator runs it with `--no-thumbnails` and timed whole (manifest read and registered,
 *    progress in PostgreSQL, one streamed read per file with SHA-256, S3-checked PutObject,
 *    dimensions from the header, the Property_Image__c upsert job, the kill switch read and the
 *    integration log), over a plain AWS SDK v3 PutObject of the same files (a file stream,
 *    nothing else) at the same concurrency, into the same storage. The SDK sends a stream
 *    UNSIGNED-PAYLOAD, so the storage checks nothing of it, while it hashes and holds every body
 *    of the migration's (as S3 does, on its own machines): on this machine the storage's CPU is
 *    shared with both sides, and the figure includes that check.
 *  * throughput_ratio_vs_sdk_checked (informational): the same transfer over a plain PutObject of
 *    each file read into one buffer, which the SDK signs with its SHA-256
 *    (x-amz-content-sha256), so the storage checks the bodies of both sides alike. BENCH_MEDIA_IMAGES (default 200)
 *    images of BENCH_MEDIA_BYTES (default 3,000,000), BENCH_MEDIA_CONCURRENCY (default 8),
 *    BENCH_MEDIA_ROUNDS (default 3) rounds in ABBA order (bench/rounds.ts).
 *  * thumbnails_per_second (informational): the thumbnail phase alone (a second run, thumbnails
 *    only, BENCH_MEDIA_THUMBNAIL_CONCURRENCY, default the CPU count), from its first claim to its
 *    last thumbnail noted.
 *  * end_to_end_ratio_vs_sdk (informational): both runs, start to end, over the plain upload.
 *  * api_calls_per_1000_images (goal <= 5): the org emulator's own count of API calls for a
 *    migration of BENCH_MEDIA_API_IMAGES (default 5,000) small images with their thumbnails, per
 *    1,000 images.
 *
 * Storage is the embedded one in a process of its own (bench/workers/media-storage.ts, a fresh
 * folder per measurement, started before the clock starts): storage is remote in reality, and its
 * CPU must not sit on the measured side's event loop. Both sides reach it over loopback. The org
 * emulator and PostgreSQL (TEST_DATABASE_URL, else an embedded one) are the tests'; the migration
 * logs in as its own user, media@emulator.local.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MEDIA_CLIENT_ID, MEDIA_CLIENT_SECRET } from '../simulators/salesforce/src/emulator.ts';
import { migrate } from '../services/src/platform/db/migrate.ts';
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
import { projectRoot } from '../toolkit/src/project.ts';
import { createTestDatabase } from '../services/test/helpers/database.ts';
import { startTestOrg } from '../services/test/platform/salesforce-test-org.ts';
import { progress, report } from './report.ts';
import { alternateRounds, envInt, machineLoad, median, reportMedian, sig } from './rounds.ts';

const BENCH = 'property-media';
const IMAGES = envInt('BENCH_MEDIA_IMAGES', 200);
const BYTES = envInt('BENCH_MEDIA_BYTES', 3_000_000);
const CONCURRENCY = envInt('BENCH_MEDIA_CONCURRENCY', 8);
const ROUNDS = envInt('BENCH_MEDIA_ROUNDS', 3);
const API_IMAGES = envInt('BENCH_MEDIA_API_IMAGES', 5_000);
const THUMBNAIL_CONCURRENCY = process.env.BENCH_MEDIA_THUMBNAIL_CONCURRENCY
  ? envInt('BENCH_MEDIA_THUMBNAIL_CONCURRENCY', 2)
  : undefined;
const BUCKET = 'property-images';

interface Storage {
  client: S3Client;
  close(): Promise<void>;
}

/** A fresh embedded storage in its own process (bench/workers/media-storage.ts). */
async function freshStorage(): Promise<Storage> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot(), 'bench/workers/media-storage.ts'), BUCKET],
    { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'inherit'] }
  );
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the storage process exited (${String(code)}) before it listened`);
  });
  const line = new Promise<string>((resolve) => lines.once('line', resolve));
  const started = JSON.parse(await Promise.race([line, exited])) as {
    endpoint: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
  child.stdout?.resume();
  const client = createStorageClient({
    endpoint: started.endpoint,
    region: 'us-east-1',
    bucket: BUCKET,
    forcePathStyle: true,
    credentials: { accessKeyId: started.accessKeyId, secretAccessKey: started.secretAccessKey },
    maxSockets: CONCURRENCY * 2
  });
  return {
    client,
    async close() {
      client.destroy();
      if (child.exitCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    }
  };
}

type PlainBody = 'buffer' | 'stream';

/** The plain SDK upload: each file read into (or streamed to) one PutObject, `concurrency` at a time. */
async function plainUpload(
  set: GeneratedSet,
  dir: string,
  storage: Storage,
  body: PlainBody
): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < set.files.length; i = next++) {
      const file = set.files[i]!;
      await storage.client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `plain/${file.source}`,
          Body:
            body === 'buffer'
              ? await readFile(path.join(dir, file.source))
              : createReadStream(path.join(dir, file.source)),
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
    const thumbnailRates: number[] = [];
    const endToEnd: number[] = [];
    // The upload loop alone (first claim to last upload noted), without the run's fixed costs.
    const uploadLoop: number[] = [];

    interface Subject {
      transfer: number;
      thumbnailsPerSecond: number;
      endToEnd: number;
    }
    const migrateOnce = async (): Promise<Subject> => {
      await db.pool.query('TRUNCATE media.migration_images, media.migration_runs');
      const storage = await freshStorage();
      try {
        const options = {
          pool: db.pool,
          storage: { client: storage.client, bucket: BUCKET },
          salesforce,
          manifest: set.manifest
        };
        const started = performance.now();
        const moved = await runMigration({
          ...options,
          settings: { ...settings, thumbnails: false }
        });
        const transferSeconds = (performance.now() - started) / 1000;
        const thumbnailed = await runMigration({
          ...options,
          settings: {
            ...settings,
            transfer: false,
            ...(THUMBNAIL_CONCURRENCY ? { thumbnailConcurrency: THUMBNAIL_CONCURRENCY } : {})
          }
        });
        const totalSeconds = (performance.now() - started) / 1000;
        if (
          moved.uploaded !== IMAGES ||
          moved.recordsUpserted !== IMAGES ||
          thumbnailed.thumbnailsMade !== IMAGES ||
          thumbnailed.thumbnailsRecorded !== IMAGES ||
          thumbnailed.outcome !== 'completed'
        )
          throw new Error(`the migration did not complete: ${JSON.stringify(thumbnailed.state)}`);
        uploadLoop.push(moved.megabytesPerSecond);
        return {
          transfer: megabytes / transferSeconds,
          thumbnailsPerSecond: thumbnailed.thumbnailsPerSecond,
          endToEnd: megabytes / totalSeconds
        };
      } finally {
        await storage.close();
      }
    };
    const plainOnce = async (round: number) => {
      const rates: Record<PlainBody, number> = { buffer: 0, stream: 0 };
      const kinds: PlainBody[] = round % 2 === 0 ? ['buffer', 'stream'] : ['stream', 'buffer'];
      for (const kind of kinds) {
        const storage = await freshStorage();
        try {
          rates[kind] = megabytes / (await plainUpload(set, setDir, storage, kind));
        } finally {
          await storage.close();
        }
      }
      return rates;
    };

    // Warm-up of both paths (JIT, sharp's thread pool, first connections): not measured.
    await plainOnce(0);
    await migrateOnce();
    uploadLoop.length = 0;
    const rounds = await alternateRounds({
      rounds: ROUNDS,
      baseline: plainOnce,
      subject: migrateOnce,
      onRound: (r) => {
        thumbnailRates.push(r.subject.thumbnailsPerSecond);
        endToEnd.push(r.subject.endToEnd / r.baseline.stream);
        progress(
          `${BENCH}: round ${r.round + 1}/${ROUNDS} (${r.order.join(' first, ')}): transfer ${sig(r.subject.transfer)} MB/s, plain SDK ${sig(r.baseline.stream)} MB/s (buffer, checked: ${sig(r.baseline.buffer)}), thumbnails ${sig(r.subject.thumbnailsPerSecond)}/s, both phases ${sig(r.subject.endToEnd)} MB/s`
        );
      }
    });
    const sdk = median(rounds.map((r) => r.baseline.stream));
    const detail = {
      images: IMAGES,
      bytesPerImage: BYTES,
      megabytes: sig(megabytes),
      concurrency: CONCURRENCY,
      thumbnailConcurrency: THUMBNAIL_CONCURRENCY ?? 'CPU count',
      transferMegabytesPerSecond: sig(median(rounds.map((r) => r.subject.transfer))),
      sdkMegabytesPerSecond: sig(sdk),
      sdkCheckedMegabytesPerSecond: sig(median(rounds.map((r) => r.baseline.buffer))),
      uploadLoopMegabytesPerSecond: sig(median(uploadLoop)),
      uploadLoopRatioVsSdk: sig(median(uploadLoop) / sdk),
      storage: 'embedded (s3rver behind the SigV4 check, own process, loopback)',
      goal: '>= 0.8',
      machine: load()
    };
    reportMedian(
      { bench: BENCH, metric: 'throughput_ratio_vs_sdk', unit: 'ratio' },
      rounds.map((r) => r.subject.transfer / r.baseline.stream),
      detail
    );
    reportMedian(
      { bench: BENCH, metric: 'throughput_ratio_vs_sdk_checked', unit: 'ratio' },
      rounds.map((r) => r.subject.transfer / r.baseline.buffer),
      { ...detail, goal: 'none: both sides checked by the storage alike' }
    );
    reportMedian(
      { bench: BENCH, metric: 'thumbnails_per_second', unit: 'images/s' },
      thumbnailRates,
      {
        images: IMAGES,
        bytesPerImage: BYTES,
        thumbnailConcurrency: THUMBNAIL_CONCURRENCY ?? 'CPU count',
        goal: 'none: sizes the thumbnail workers (CPU)',
        machine: load()
      }
    );
    reportMedian({ bench: BENCH, metric: 'end_to_end_ratio_vs_sdk', unit: 'ratio' }, endToEnd, {
      ...detail,
      goal: 'none: both phases one after the other on the same 2 cores'
    });

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
      if (result.recordsUpserted !== API_IMAGES || result.thumbnailsRecorded !== API_IMAGES)
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
          thumbnailJobs: result.thumbnailJobs.length,
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
