// The migration's thumbnail phase: for every uploaded or recorded image without one, the 480 px
// WebP thumbnail (thumbnails/<key>.webp) made from the stored original, then Thumbnail_Key__c set
// on its Property_Image__c with one Bulk API 2.0 upsert job per 10,000 images.
//
// Decoupled from the transfer because the two are bound by different things: a 3 MB JPEG costs
// ~40 ms of CPU to decode and resize and a few ms to move, so thumbnails made inline held the
// transfer to what the CPU allowed. Here they have their own concurrency (--thumbnail-concurrency,
// default the CPU count: sharp's work runs on libuv's thread pool, one image per core keeps every
// core busy without queueing originals in memory) and, at scale, their own machines.
//
// Where the original comes from: a file source is read again from the local file (one disk read,
// often from the page cache, no storage GET and no load on the storage server) and used only if
// its size and SHA-256 match what was uploaded (~3 ms per 3 MB, against ~40 ms of decoding), so a
// file changed since cannot make a thumbnail of something else; otherwise, and for URL sources
// (the old server may be slow or gone), the original is read back from storage.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import type { BulkIngestWriter, Logger, PollOptions } from '../../platform/index.ts';
import { thumbnailKeyOf } from '../keys.ts';
import { sha256HexToBase64 } from '../storage.ts';
import { BatchedNotes } from './batched-notes.ts';
import { readLocalSourceIfSized } from './local-file.ts';
import { isUrlSource } from './manifest.ts';
import type { MigrationProgress } from './progress-bar.ts';
import {
  claimThumbnailRecords,
  claimThumbnails,
  countThumbnailsClaimedElsewhere,
  databaseNow,
  markThumbnailFailed,
  markThumbnailsRecorded,
  markThumbnailsStored,
  type ThumbnailRow
} from './progress-store.ts';
import { recordThumbnails } from './record-images.ts';
import { thumbnailPipeline } from '../thumbnail.ts';
import { withPayloadHash } from './upload-image.ts';

export interface ThumbnailPhaseOptions {
  pool: pg.Pool;
  /** The run's claim (its lease's advisory lock key). */
  claim: string;
  storage: { client: S3Client; bucket: string };
  bulk: BulkIngestWriter;
  concurrency: number;
  maxAttempts: number;
  recordsPerJob: number;
  passes: number;
  retryDelayMs: number;
  poll?: Partial<PollOptions>;
  signal: AbortSignal;
  logger?: Logger;
  progress: MigrationProgress;
  /** Throws when the kill switch went off (checked before each ingest job). */
  checkSwitch(): Promise<void>;
}

export interface ThumbnailPhaseResult {
  /** Thumbnails this run made and stored. */
  made: number;
  /** Seconds from the first claim to the last thumbnail noted (the records' jobs not included). */
  seconds: number;
  /** Records given their Thumbnail_Key__c, and the jobs that did it. */
  recorded: number;
  jobIds: string[];
}

/** The original cannot be decoded: making its thumbnail again will not help. */
export class ThumbnailRefused extends Error {
  override readonly name = 'ThumbnailRefused';
}

const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function originalBytes(row: ThumbnailRow, options: ThumbnailPhaseOptions): Promise<Buffer> {
  if (!isUrlSource(row.source)) {
    // A regular file of the uploaded size only (never a link, a device or a FIFO), and only if
    // it is still the uploaded file; else the stored original.
    const local = await readLocalSourceIfSized(
      path.resolve(row.manifestDir, row.source),
      row.sizeBytes
    );
    if (local && sha256Hex(local) === row.sha256) return local;
  }
  const object = await options.storage.client.send(
    new GetObjectCommand({ Bucket: options.storage.bucket, Key: row.storageKey }),
    { abortSignal: options.signal }
  );
  return Buffer.from(await object.Body!.transformToByteArray());
}

async function makeThumbnail(row: ThumbnailRow, options: ThumbnailPhaseOptions): Promise<string> {
  const original = await originalBytes(row, options);
  const webp = await thumbnailPipeline(original)
    .toBuffer()
    .catch((error: unknown) => {
      throw new ThumbnailRefused(`not a decodable image: ${(error as Error).message}`);
    });
  const key = thumbnailKeyOf(row.storageKey);
  const sha256 = sha256Hex(webp);
  const put = new PutObjectCommand({
    Bucket: options.storage.bucket,
    Key: key,
    Body: webp,
    ContentLength: webp.length,
    ContentType: 'image/webp',
    ChecksumSHA256: sha256HexToBase64(sha256)
  });
  await options.storage.client.send(withPayloadHash(put, sha256), { abortSignal: options.signal });
  return key;
}

export async function runThumbnailPhase(
  options: ThumbnailPhaseOptions
): Promise<ThumbnailPhaseResult> {
  const { pool, claim, signal, progress } = options;
  const result: ThumbnailPhaseResult = { made: 0, seconds: 0, recorded: 0, jobIds: [] };
  const notes = new BatchedNotes<{ storageKey: string; thumbnailKey: string }>(
    (rows) => markThumbnailsStored(pool, claim, rows),
    { maxItems: Math.max(16, options.concurrency * 4), maxDelayMs: 200 }
  );
  let failuresThisPass = 0;

  const one = async (row: ThumbnailRow) => {
    try {
      notes.add({ storageKey: row.storageKey, thumbnailKey: await makeThumbnail(row, options) });
      result.made += 1;
      maybeRecord();
      if (result.made % 50 === 0) progress.note(`${result.made} thumbnails made`);
    } catch (failure) {
      if (signal.aborted) throw failure;
      const final = failure instanceof ThumbnailRefused;
      options.logger?.warn({ storageKey: row.storageKey, err: failure, final }, 'thumbnail failed');
      await markThumbnailFailed(pool, claim, row.storageKey, (failure as Error).message, final);
      failuresThisPass += 1;
    }
  };

  const pass = async (passStart: Date) => {
    const queue: ThumbnailRow[] = [];
    let exhausted = false;
    let refill: Promise<void> | undefined;
    const fill = async () => {
      // A phase of hours must still stop within about a minute of the kill switch going off.
      await options.checkSwitch();
      const rows = await claimThumbnails(
        pool,
        claim,
        options.concurrency * 4,
        options.maxAttempts,
        passStart
      );
      queue.push(...rows);
      if (rows.length === 0) exhausted = true;
    };
    const worker = async () => {
      for (;;) {
        signal.throwIfAborted();
        while (queue.length === 0 && !exhausted) {
          refill ??= fill().finally(() => (refill = undefined));
          await refill;
        }
        const row = queue.shift();
        if (!row) return;
        await one(row);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    await notes.flush();
  };

  // Thumbnail_Key__c onto the records, one job per recordsPerJob stored thumbnails: while the
  // thumbnails are made (one job at a time, in the background) and for the rest at the end.
  let recordPassStart = await databaseNow(pool);
  let refusedThisPass = 0;
  const recordBatch = async (): Promise<number> => {
    const rows = await claimThumbnailRecords(
      pool,
      claim,
      options.recordsPerJob,
      options.maxAttempts,
      recordPassStart
    );
    if (rows.length === 0) return 0;
    await options.checkSwitch();
    progress.note(`recording ${rows.length} thumbnails`);
    const outcome = await recordThumbnails(options.bulk, rows, {
      ...(options.poll ? { poll: options.poll } : {}),
      signal,
      ...(options.logger ? { logger: options.logger } : {})
    });
    result.jobIds.push(...outcome.jobIds);
    await markThumbnailsRecorded(
      pool,
      claim,
      rows.map((r) => r.storageKey),
      outcome.refused
    );
    // Thumbnails recorded; the Failed marks of undecodable originals are counted as failures.
    result.recorded += rows.filter(
      (row) => row.failure === null && !outcome.refused.has(row.storageKey)
    ).length;
    refusedThisPass += outcome.refused.size;
    return rows.length;
  };
  let recording: Promise<unknown> = Promise.resolve();
  let madeSinceRecord = 0;
  const maybeRecord = () => {
    if (++madeSinceRecord < options.recordsPerJob) return;
    madeSinceRecord = 0;
    recording = recording.then(async () => {
      await notes.flush();
      await recordBatch();
    });
  };

  const started = performance.now();
  try {
    for (let round = 1; ;) {
      failuresThisPass = 0;
      await pass(await databaseNow(pool));
      if ((await countThumbnailsClaimedElsewhere(pool, claim)) > 0) {
        await sleep(500, undefined, { signal });
        continue;
      }
      if (failuresThisPass === 0 || round >= options.passes) break;
      progress.note(`retrying ${failuresThisPass} failed thumbnails`);
      await sleep(options.retryDelayMs * 2 ** (round - 1), undefined, { signal });
      round += 1;
    }
    result.seconds = (performance.now() - started) / 1000;
    await recording;
    for (let round = 1; ;) {
      refusedThisPass = 0;
      recordPassStart = await databaseNow(pool);
      while ((await recordBatch()) > 0);
      if ((await countThumbnailsClaimedElsewhere(pool, claim)) > 0) {
        await sleep(500, undefined, { signal });
        continue;
      }
      if (refusedThisPass === 0 || round >= options.passes) break;
      await sleep(options.retryDelayMs * 2 ** (round - 1), undefined, { signal });
      round += 1;
    }
  } finally {
    // What was made is noted even when the phase stops (else it is made again next time).
    await notes.flush().catch(() => undefined);
    await recording.catch(() => undefined);
  }
  progress.note('');
  return result;
}
