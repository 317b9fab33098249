// One run of the migration: register the manifest's lines; the transfer phase uploads what is
// pending with bounded concurrency and records what is uploaded in Property_Image__c; the
// thumbnail phase (thumbnail-phase.ts) then makes the missing thumbnails with a concurrency of its
// own and sets Thumbnail_Key__c; and the run reports. Everything it learns is
// in PostgreSQL (progress-store.ts) the moment it is known, so a run may be killed at any point
// and the next one carries on; two runs at once share the work without doing any image twice.
//
// Passes: a run claims pending rows until none is left, then, if some failed in that pass with
// attempts left, waits a little and goes over them again (up to `passes`); the same for records
// Salesforce refused. What is still failing after that is reported, and the next run retries it
// until MEDIA_MIGRATE_MAX_ATTEMPTS.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import {
  acquireLease,
  advisoryLockKey,
  readKillSwitch,
  writeIntegrationLog,
  type Logger,
  type PollOptions,
  type SalesforceClients
} from '../../platform/index.ts';
import { BatchedNotes } from './batched-notes.ts';
import { BufferPool } from './buffer-pool.ts';
import { openSource, SourceRefused } from './image-source.ts';
import { readManifest, type ManifestIssue, type ManifestRow } from './manifest.ts';
import { silentProgress, type MigrationProgress } from './progress-bar.ts';
import {
  claimRecords,
  claimUploads,
  countClaimedElsewhere,
  databaseNow,
  failures,
  markRecorded,
  markUploaded,
  markUploadFailed,
  registerRows,
  releaseClaims,
  requeueFailed,
  stateCounts,
  type FailedImage,
  type ImageRow,
  type StateCounts
} from './progress-store.ts';
import { recordImages } from './record-images.ts';
import { runThumbnailPhase, type ThumbnailPhaseResult } from './thumbnail-phase.ts';
import { ImageRefused, uploadImage, type UploadedImage } from './upload-image.ts';

/** Integration_Setting__mdt record (and Integration_Log__c source) of Scenario 6. */
export const KILL_SWITCH = 'PropertyMedia';

export interface MigrationSettings {
  concurrency: number;
  multipartBytes: number;
  /** Multipart part size (default 8 MiB). */
  partBytes?: number;
  maxBytes: number;
  maxAttempts: number;
  recordsPerJob: number;
  /** Passes over failed rows within one run (default 3). */
  passes?: number;
  /** Run the thumbnail phase (default true; `--no-thumbnails` leaves it to a later run). */
  thumbnails?: boolean;
  /** Thumbnails made at once (default: the CPU count; `--thumbnail-concurrency`). */
  thumbnailConcurrency?: number;
  /** Run the transfer phase (default true; false: thumbnails only, `--thumbnails-only`). */
  transfer?: boolean;
  /** Give failed images and images out of attempts a fresh start first (`--retry-failed`). */
  retryFailed?: boolean;
  /** Skip the records (the benchmark's upload-only rounds). */
  records?: boolean;
  /** Wait between passes (default 1 s, doubled each pass). */
  retryDelayMs?: number;
  poll?: Partial<PollOptions>;
}

export interface MigrationOptions {
  pool: pg.Pool;
  storage: { client: S3Client; bucket: string };
  salesforce: Pick<SalesforceClients, 'rest' | 'bulkIngest' | 'meter'>;
  manifest: string;
  settings: MigrationSettings;
  logger?: Logger;
  progress?: MigrationProgress;
  signal?: AbortSignal;
}

export interface MigrationReport {
  runId: number;
  manifest: string;
  outcome: 'completed' | 'incomplete';
  manifestRows: number;
  manifestIssues: ManifestIssue[];
  /** Manifest issues beyond those listed. */
  manifestIssuesOmitted: number;
  /** Images this run uploaded, and their bytes. */
  uploaded: number;
  bytes: number;
  megabytesPerSecond: number;
  /** Manifest images uploaded (or recorded) before this run. */
  alreadyDone: number;
  /** Images refused or out of attempts, and rows still carrying an error. */
  failed: number;
  failures: FailedImage[];
  recordsUpserted: number;
  recordJobs: string[];
  /** Seconds of the transfer phase's uploads (first claim to last upload noted). */
  transferSeconds: number;
  /** Thumbnails this run made, their phase's seconds, and the records given Thumbnail_Key__c. */
  thumbnailsMade: number;
  thumbnailSeconds: number;
  thumbnailsPerSecond: number;
  thumbnailsRecorded: number;
  thumbnailJobs: string[];
  apiCalls: number;
  durationMs: number;
  /** The whole migration table after the run. */
  state: StateCounts;
}

/** The kill switch Integration_Setting.PropertyMedia is off: nothing was uploaded or recorded. */
export class MigrationSwitchedOffError extends Error {
  override readonly name = 'MigrationSwitchedOffError';
  constructor() {
    super(
      'The property media integration is switched off (Integration_Setting__mdt PropertyMedia, Enabled__c unchecked): nothing was uploaded or recorded. Switch it on and run again.'
    );
  }
}

const REGISTER_BATCH = 1_000;
const MAX_LISTED_ISSUES = 1_000;

/** Registers the manifest's rows in batches; counts those uploaded or recorded before. */
async function registerManifest(
  pool: pg.Pool,
  manifest: string
): Promise<{ rows: number; issues: ManifestIssue[]; omitted: number; alreadyDone: number }> {
  const dir = path.dirname(path.resolve(manifest));
  const issues: ManifestIssue[] = [];
  let omitted = 0;
  let rows = 0;
  let alreadyDone = 0;
  let batch: ManifestRow[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const done = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM media.migration_images
        WHERE storage_key = ANY($1::text[]) AND state IN ('uploaded', 'recorded')`,
      [batch.map((row) => row.storageKey)]
    );
    alreadyDone += done.rows[0]?.n ?? 0;
    await registerRows(pool, dir, batch);
    batch = [];
  };
  for await (const entry of readManifest(manifest)) {
    if ('issues' in entry) {
      for (const issue of entry.issues)
        if (issues.length < MAX_LISTED_ISSUES) issues.push(issue);
        else omitted += 1;
      continue;
    }
    rows += 1;
    batch.push(entry.row);
    if (batch.length >= REGISTER_BATCH) await flush();
  }
  await flush();
  return { rows, issues, omitted, alreadyDone };
}

export async function runMigration(options: MigrationOptions): Promise<MigrationReport> {
  const { pool, settings, salesforce } = options;
  const progress = options.progress ?? silentProgress;
  const logger = options.logger;
  const started = performance.now();
  const callsBefore = salesforce.meter.total();
  const passes = settings.passes ?? 3;
  const retryDelayMs = settings.retryDelayMs ?? 1_000;

  if (settings.retryFailed) await requeueFailed(pool, settings.maxAttempts);
  const registered = await registerManifest(pool, options.manifest);
  const alreadyDone = registered.alreadyDone;

  let switchReadAt = performance.now();
  if (!(await readKillSwitch(salesforce.rest, KILL_SWITCH))) throw new MigrationSwitchedOffError();

  const run = await pool.query<{ id: string }>(
    'INSERT INTO media.migration_runs (manifest) VALUES ($1) RETURNING id',
    [path.resolve(options.manifest)]
  );
  const runId = Number(run.rows[0]!.id);
  const leaseName = `media-migrate-run:${randomUUID()}`;
  const lease = await acquireLease(pool, leaseName, logger ? { logger } : {});
  if (!lease) throw new Error('could not take the run lease (a fresh name)');
  const claim = advisoryLockKey(leaseName);
  const signal = options.signal ? AbortSignal.any([options.signal, lease.signal]) : lease.signal;

  let uploaded = 0;
  let bytes = 0;
  let uploadSeconds = 0;
  let recordsUpserted = 0;
  const recordJobs: string[] = [];
  let thumbnails: ThumbnailPhaseResult = { made: 0, seconds: 0, recorded: 0, jobIds: [] };
  const transfer = settings.transfer !== false;
  let outcome: MigrationReport['outcome'] = 'incomplete';
  let error: unknown;
  progress.start(registered.rows, alreadyDone);

  /** The kill switch again before an ingest job once a minute has passed since the last read. */
  const checkSwitch = async () => {
    if (performance.now() - switchReadAt <= 60_000) return;
    switchReadAt = performance.now();
    if (!(await readKillSwitch(salesforce.rest, KILL_SWITCH))) {
      await releaseClaims(pool, claim);
      throw new MigrationSwitchedOffError();
    }
  };

  // ---- records ----------------------------------------------------------------------------
  let recording: Promise<unknown> = Promise.resolve();
  let recordPassStart = await databaseNow(pool);
  let recordFailuresThisPass = 0;
  const recordBatch = async (limit: number): Promise<number> => {
    const rows = await claimRecords(pool, claim, limit, settings.maxAttempts, recordPassStart);
    if (rows.length === 0) return 0;
    await checkSwitch();
    progress.note(`recording ${rows.length} images`);
    const result = await recordImages(salesforce.bulkIngest, rows, {
      ...(settings.poll ? { poll: settings.poll } : {}),
      signal,
      ...(logger ? { logger } : {})
    });
    recordJobs.push(...result.jobIds);
    await markRecorded(
      pool,
      claim,
      rows.map((r) => r.storageKey),
      result.refused
    );
    recordsUpserted += result.upserted;
    recordFailuresThisPass += result.refused.size;
    progress.note('');
    return rows.length;
  };
  /** Records full jobs while uploads go on (one job at a time, in the background). */
  let uploadedSinceRecord = 0;
  const maybeRecord = () => {
    if (settings.records === false || uploadedSinceRecord < settings.recordsPerJob) return;
    uploadedSinceRecord = 0;
    recording = recording.then(() => recordBatch(settings.recordsPerJob));
  };

  // ---- uploads ------------------------------------------------------------------------------
  let uploadFailuresThisPass = 0;
  const buffers = new BufferPool(settings.concurrency);
  // Uploads are noted a batch at a time (batched-notes.ts): one statement per ~32 images.
  const uploadNotes = new BatchedNotes<{ storageKey: string; image: UploadedImage }>(
    (rows) => markUploaded(pool, claim, rows),
    { maxItems: Math.max(32, settings.concurrency * 4), maxDelayMs: 200 }
  );
  const uploadOne = async (row: ImageRow): Promise<void> => {
    let read = 0;
    try {
      const source = await openSource(row.manifestDir, row.source, signal);
      const image = await uploadImage({
        client: options.storage.client,
        bucket: options.storage.bucket,
        storageKey: row.storageKey,
        source,
        maxBytes: settings.maxBytes,
        multipartBytes: settings.multipartBytes,
        ...(settings.partBytes ? { partBytes: settings.partBytes } : {}),
        buffers,
        onBytes: (n) => (read += n),
        signal
      });
      uploadNotes.add({ storageKey: row.storageKey, image });
      uploaded += 1;
      bytes += image.size;
      uploadedSinceRecord += 1;
      progress.image(image.size);
      maybeRecord();
    } catch (failure) {
      if (signal.aborted) throw failure;
      const final = failure instanceof ImageRefused || failure instanceof SourceRefused;
      const message = `${row.source}: ${(failure as Error).message}`;
      logger?.warn({ storageKey: row.storageKey, err: failure, final }, 'image upload failed');
      await markUploadFailed(pool, claim, row.storageKey, message, final);
      if (final || row.attempts + 1 >= settings.maxAttempts) progress.image(read);
      uploadFailuresThisPass += 1;
    }
  };

  /** Claims in batches and keeps `concurrency` uploads going until nothing is claimable. */
  const uploadPass = async (passStart: Date): Promise<void> => {
    const queue: ImageRow[] = [];
    let exhausted = false;
    let refill: Promise<void> | undefined;
    const fill = async () => {
      const rows = await claimUploads(
        pool,
        claim,
        settings.concurrency * 4,
        settings.maxAttempts,
        passStart
      );
      queue.push(...rows);
      if (rows.length === 0) exhausted = true;
    };
    const next = async (): Promise<ImageRow | undefined> => {
      while (queue.length === 0 && !exhausted) {
        refill ??= fill().finally(() => (refill = undefined));
        await refill;
      }
      return queue.shift();
    };
    const worker = async () => {
      for (;;) {
        signal.throwIfAborted();
        const row = await next();
        if (!row) return;
        await uploadOne(row);
      }
    };
    await Promise.all(Array.from({ length: settings.concurrency }, worker));
    await uploadNotes.flush();
  };

  try {
    const uploadStarted = performance.now();
    for (let pass = 1; transfer;) {
      uploadFailuresThisPass = 0;
      await uploadPass(await databaseNow(pool));
      // Another live run's rows: wait for it rather than leave them (it may die).
      if ((await countClaimedElsewhere(pool, claim)) > 0) {
        await sleep(500, undefined, { signal });
        continue;
      }
      if (uploadFailuresThisPass === 0 || pass >= passes) break;
      progress.note(`retrying ${uploadFailuresThisPass} failed uploads`);
      await sleep(retryDelayMs * 2 ** (pass - 1), undefined, { signal });
      pass += 1;
    }
    uploadSeconds = (performance.now() - uploadStarted) / 1000;
    await recording;
    if (transfer && settings.records !== false) {
      for (let pass = 1; ;) {
        recordFailuresThisPass = 0;
        recordPassStart = await databaseNow(pool);
        while ((await recordBatch(settings.recordsPerJob)) > 0);
        if ((await countClaimedElsewhere(pool, claim)) > 0) {
          await sleep(500, undefined, { signal });
          continue;
        }
        if (recordFailuresThisPass === 0 || pass >= passes) break;
        progress.note(`retrying ${recordFailuresThisPass} refused records`);
        await sleep(retryDelayMs * 2 ** (pass - 1), undefined, { signal });
        pass += 1;
      }
    }
    if (settings.thumbnails !== false)
      thumbnails = await runThumbnailPhase({
        pool,
        claim,
        storage: options.storage,
        bulk: salesforce.bulkIngest,
        concurrency: settings.thumbnailConcurrency ?? os.availableParallelism(),
        maxAttempts: settings.maxAttempts,
        recordsPerJob: settings.recordsPerJob,
        passes,
        retryDelayMs,
        ...(settings.poll ? { poll: settings.poll } : {}),
        signal,
        ...(logger ? { logger } : {}),
        progress,
        checkSwitch
      });
  } catch (failure) {
    error = failure;
  } finally {
    progress.stop();
    await uploadNotes.flush().catch(() => undefined);
    await recording.catch(() => undefined);
    await releaseClaims(pool, claim).catch(() => undefined);
    await lease.release();
  }

  const state = await stateCounts(pool, settings.maxAttempts);
  const failed = await failures(pool, undefined);
  const durationMs = performance.now() - started;
  const thumbnailsDone =
    settings.thumbnails === false ||
    (state.thumbnailsPending === 0 && state.thumbnailsStored === 0 && state.thumbnailsFailed === 0);
  if (!error && state.pending === 0 && state.uploaded === 0 && state.failed === 0 && thumbnailsDone)
    outcome = 'completed';
  if (!error && settings.records === false && state.pending === 0 && state.failed === 0)
    outcome = 'completed';
  const report: MigrationReport = {
    runId,
    manifest: path.resolve(options.manifest),
    outcome,
    manifestRows: registered.rows,
    manifestIssues: registered.issues,
    manifestIssuesOmitted: registered.omitted,
    uploaded,
    bytes,
    megabytesPerSecond: uploadSeconds > 0 ? bytes / 1_000_000 / uploadSeconds : 0,
    alreadyDone,
    failed: failed.length,
    failures: failed,
    recordsUpserted,
    recordJobs,
    transferSeconds: uploadSeconds,
    thumbnailsMade: thumbnails.made,
    thumbnailSeconds: thumbnails.seconds,
    thumbnailsPerSecond: thumbnails.seconds > 0 ? thumbnails.made / thumbnails.seconds : 0,
    thumbnailsRecorded: thumbnails.recorded,
    thumbnailJobs: thumbnails.jobIds,
    apiCalls: 0,
    durationMs,
    state
  };
  if (!error || !(error instanceof MigrationSwitchedOffError)) {
    await writeIntegrationLog(
      salesforce.rest,
      KILL_SWITCH,
      [
        {
          severity:
            error || report.failed > 0 ? 'ERROR' : outcome === 'completed' ? 'INFO' : 'WARN',
          message: error
            ? `Property image migration run ${runId} stopped: ${(error as Error).message}\n${describeReport(report)}`
            : describeReport(report),
          reference: `media-migrate-${runId}`
        }
      ],
      logger
    );
  }
  report.apiCalls = salesforce.meter.total() - callsBefore;
  await pool.query(
    `UPDATE media.migration_runs SET ended_at = now(), outcome = $2, report = $3 WHERE id = $1`,
    [
      runId,
      error
        ? error instanceof MigrationSwitchedOffError
          ? 'off'
          : signal.aborted
            ? 'interrupted'
            : 'failed'
        : outcome,
      JSON.stringify(report)
    ]
  );
  if (error) throw error;
  return report;
}

const mb = (bytes: number) => (bytes / 1_000_000).toFixed(1);

/** The report as text (the CLI prints it; the integration log keeps it). */
export function describeReport(report: MigrationReport): string {
  const lines = [
    `Property image migration run ${report.runId}: ${report.outcome}`,
    `  manifest ${report.manifest}: ${report.manifestRows} images, ${report.manifestIssues.length + report.manifestIssuesOmitted} bad lines`,
    `  uploaded ${report.uploaded} (${mb(report.bytes)} MB, ${report.megabytesPerSecond.toFixed(1)} MB/s), already done ${report.alreadyDone}, failed ${report.failed}`,
    `  records upserted ${report.recordsUpserted} in ${report.recordJobs.length} Bulk API jobs, ${report.apiCalls} API calls`,
    `  thumbnails made ${report.thumbnailsMade} (${report.thumbnailsPerSecond.toFixed(1)}/s), Thumbnail_Key__c set on ${report.thumbnailsRecorded} records in ${report.thumbnailJobs.length} jobs; still to make ${report.state.thumbnailsPending}, to record ${report.state.thumbnailsStored}, failed ${report.state.thumbnailsFailed}`,
    `  duration ${(report.durationMs / 1000).toFixed(1)} s; migration table: ${report.state.recorded} recorded, ${report.state.uploaded} to record, ${report.state.pending} to upload, ${report.state.failed} failed`
  ];
  for (const issue of report.manifestIssues.slice(0, 20))
    lines.push(`  line ${issue.line}, ${issue.column}: ${issue.message}`);
  if (report.manifestIssues.length > 20)
    lines.push(
      `  ... ${report.manifestIssues.length - 20 + report.manifestIssuesOmitted} more bad lines (--json lists them)`
    );
  for (const failure of report.failures.slice(0, 20))
    lines.push(
      `  ${failure.state === 'uploaded' ? 'not recorded' : failure.state === 'recorded' ? 'no thumbnail' : failure.state === 'failed' ? 'failed' : 'will retry'}: ${failure.error}`
    );
  if (report.failures.length > 20)
    lines.push(`  ... ${report.failures.length - 20} more failures (--json lists them)`);
  return lines.join('\n');
}
