// The migration's progress in PostgreSQL (media.migration_images, migration 0014): what is
// uploaded, what is recorded, what failed and why. Every state change is one statement after the
// work it records, so a run killed at any point leaves each row either still to do (done again,
// onto the same key: an overwrite of the same bytes, an upsert of the same record) or done.
//
// Two runs at once never work on the same row: a run claims rows with FOR UPDATE SKIP LOCKED and
// stamps them with its lease's advisory lock key (claimed_by). A claim counts while that lock is
// held, which PostgreSQL ends by itself when the run's session ends, so the rows of a SIGKILLed
// run are free for the next run at once, without waiting out a timeout.
//
// The thumbnail step (migration 0015) has its own state, attempts and claim column
// (thumbnail_claimed_by): the thumbnail phase works on rows the transfer is done with, and the two
// phases never release each other's claims.
import type pg from 'pg';
import type { ManifestRow } from './manifest.ts';
import type { UploadedImage } from './upload-image.ts';

export interface ImageRow {
  storageKey: string;
  listingNumber: string;
  source: string;
  manifestDir: string;
  sortOrder: number | null;
  caption: string | null;
  attempts: number;
  recordAttempts: number;
}

export interface RecordRow extends ImageRow {
  sizeBytes: number;
  sha256: string;
  contentType: string;
  width: number;
  height: number;
  thumbnailKey: string | null;
}

export interface StateCounts {
  pending: number;
  uploaded: number;
  recorded: number;
  failed: number;
  /** Of pending and uploaded: rows out of attempts (reported, not retried). */
  exhausted: number;
  pendingBytes: number;
  /** The thumbnail step of uploaded and recorded rows. */
  thumbnailsPending: number;
  /** Stored, Thumbnail_Key__c not upserted yet. */
  thumbnailsStored: number;
  thumbnailsRecorded: number;
  /** Undecodable originals, and thumbnails out of attempts. */
  thumbnailsFailed: number;
}

/** A claim is live while its run's lock is held (pg_locks shows bigint keys split in two). */
const unclaimed = (column: string) => `(${column} IS NULL OR NOT EXISTS (
    SELECT 1 FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
       AND ((l.classid::bigint << 32) | l.objid::bigint) = ${column}))`;
const UNCLAIMED = unclaimed('claimed_by');
const THUMBNAIL_UNCLAIMED = unclaimed('thumbnail_claimed_by');

const COLUMNS = `storage_key AS "storageKey", listing_number AS "listingNumber", source,
  manifest_dir AS "manifestDir", sort_order AS "sortOrder", caption, attempts,
  record_attempts AS "recordAttempts"`;

/**
 * Registers manifest rows (one INSERT per batch). A known key keeps its state; its order and
 * caption follow the manifest while it is not recorded yet.
 */
export async function registerRows(
  pool: pg.Pool,
  manifestDir: string,
  rows: readonly ManifestRow[]
): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await pool.query(
    `INSERT INTO media.migration_images
       (storage_key, listing_number, source, manifest_dir, sort_order, caption)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[])
     ON CONFLICT (storage_key) DO UPDATE
       SET sort_order = EXCLUDED.sort_order, caption = EXCLUDED.caption,
           manifest_dir = EXCLUDED.manifest_dir, updated_at = now()
       WHERE media.migration_images.state <> 'recorded'
         AND (media.migration_images.sort_order, media.migration_images.caption,
              media.migration_images.manifest_dir)
             IS DISTINCT FROM (EXCLUDED.sort_order, EXCLUDED.caption, EXCLUDED.manifest_dir)`,
    [
      rows.map((r) => r.storageKey),
      rows.map((r) => r.listingNumber),
      rows.map((r) => r.source),
      rows.map(() => manifestDir),
      rows.map((r) => r.sortOrder ?? null),
      rows.map((r) => r.caption ?? null)
    ]
  );
  return result.rowCount ?? 0;
}

/**
 * Takes up to `limit` pending rows with attempts left for this run; rows that failed since
 * `passStart` (this pass) wait for the next pass.
 */
export async function claimUploads(
  pool: pg.Pool,
  claim: string,
  limit: number,
  maxAttempts: number,
  passStart: Date
): Promise<ImageRow[]> {
  const result = await pool.query<ImageRow>(
    `UPDATE media.migration_images SET claimed_by = $1::bigint
      WHERE storage_key IN (
        SELECT storage_key FROM media.migration_images
         WHERE state = 'pending' AND attempts < $3 AND updated_at < $4 AND ${UNCLAIMED}
         ORDER BY listing_number, storage_key
         LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING ${COLUMNS}`,
    [claim, limit, maxAttempts, passStart]
  );
  return result.rows;
}

export interface UploadedRow {
  storageKey: string;
  image: UploadedImage;
}

/**
 * Notes uploaded images, many in one statement: the transfer phase collects them for a moment
 * rather than paying a round trip per image. A run killed before the statement leaves those rows
 * pending under a dead claim; the next run uploads them again onto the same keys (the same bytes)
 * and nothing is recorded twice, since records follow this state.
 */
export async function markUploaded(
  pool: pg.Pool,
  claim: string,
  rows: readonly UploadedRow[]
): Promise<void> {
  if (rows.length === 0) return;
  await pool.query(
    `UPDATE media.migration_images AS m
        SET state = 'uploaded', size_bytes = u.size, sha256 = u.sha256, content_type = u.type,
            width = u.width, height = u.height, uploaded_at = now(), last_error = NULL,
            claimed_by = NULL, updated_at = now()
       FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::int[])
            AS u(key, size, sha256, type, width, height)
      WHERE m.storage_key = u.key AND m.claimed_by = $1::bigint AND m.state = 'pending'`,
    [
      claim,
      rows.map((r) => r.storageKey),
      rows.map((r) => r.image.size),
      rows.map((r) => r.image.sha256),
      rows.map((r) => r.image.contentType),
      rows.map((r) => r.image.width),
      rows.map((r) => r.image.height)
    ]
  );
}

/** A failed upload: retried on a later pass while attempts last; `final` fails it at once. */
export async function markUploadFailed(
  pool: pg.Pool,
  claim: string,
  storageKey: string,
  error: string,
  final: boolean
): Promise<void> {
  await pool.query(
    `UPDATE media.migration_images
        SET attempts = attempts + 1, last_error = left($3, 1000),
            state = CASE WHEN $4 THEN 'failed' ELSE state END, claimed_by = NULL, updated_at = now()
      WHERE storage_key = $1 AND claimed_by = $2::bigint AND state = 'pending'`,
    [storageKey, claim, error, final]
  );
}

/** Takes up to `limit` uploaded rows with record attempts left for one ingest job. */
export async function claimRecords(
  pool: pg.Pool,
  claim: string,
  limit: number,
  maxAttempts: number,
  passStart: Date
): Promise<RecordRow[]> {
  const result = await pool.query<RecordRow>(
    `UPDATE media.migration_images SET claimed_by = $1::bigint
      WHERE storage_key IN (
        SELECT storage_key FROM media.migration_images
         WHERE state = 'uploaded' AND record_attempts < $3
           AND (record_error IS NULL OR updated_at < $4) AND ${UNCLAIMED}
         ORDER BY listing_number, storage_key
         LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING ${COLUMNS}, size_bytes::float8 AS "sizeBytes", sha256, content_type AS "contentType",
               width, height, thumbnail_key AS "thumbnailKey"`,
    [claim, limit, maxAttempts, passStart]
  );
  return result.rows;
}

/** The database's clock: the start of a pass (rows changed after it are this pass's). */
export async function databaseNow(pool: pg.Pool): Promise<Date> {
  const result = await pool.query<{ now: Date }>('SELECT now() AS now');
  return result.rows[0]!.now;
}

/** The job's outcome: refused keys back to be recorded (with Salesforce's error), the rest done. */
export async function markRecorded(
  pool: pg.Pool,
  claim: string,
  storageKeys: readonly string[],
  refused: ReadonlyMap<string, string>
): Promise<void> {
  const done = storageKeys.filter((key) => !refused.has(key));
  await pool.query(
    `UPDATE media.migration_images
        SET state = 'recorded', recorded_at = now(), record_error = NULL, claimed_by = NULL,
            updated_at = now()
      WHERE storage_key = ANY($1::text[]) AND claimed_by = $2::bigint AND state = 'uploaded'`,
    [done, claim]
  );
  if (refused.size > 0)
    await pool.query(
      `UPDATE media.migration_images AS m
          SET record_attempts = record_attempts + 1, record_error = left(r.error, 1000),
              claimed_by = NULL, updated_at = now()
         FROM unnest($1::text[], $2::text[]) AS r(key, error)
        WHERE m.storage_key = r.key AND m.claimed_by = $3::bigint AND m.state = 'uploaded'`,
      [[...refused.keys()], [...refused.values()], claim]
    );
}

/**
 * Gives failed rows and rows out of attempts a fresh start (`--retry-failed`, after the cause was
 * fixed: a file restored, a listing created); returns how many.
 */
export async function requeueFailed(pool: pg.Pool, maxAttempts: number): Promise<number> {
  const result = await pool.query(
    `UPDATE media.migration_images
        SET state = CASE WHEN state = 'failed' THEN 'pending' ELSE state END,
            attempts = CASE WHEN state IN ('failed', 'pending') THEN 0 ELSE attempts END,
            record_attempts = CASE WHEN state = 'uploaded' THEN 0 ELSE record_attempts END,
            thumbnail_state = CASE WHEN thumbnail_state = 'failed' THEN 'pending'
                                   ELSE thumbnail_state END,
            thumbnail_attempts = 0,
            updated_at = now()
      WHERE state = 'failed' OR (state = 'pending' AND attempts >= $1)
         OR (state = 'uploaded' AND record_attempts >= $1)
         OR thumbnail_state = 'failed'
         OR (thumbnail_state IN ('pending', 'stored') AND thumbnail_attempts >= $1)`,
    [maxAttempts]
  );
  return result.rowCount ?? 0;
}

/** Gives claimed rows back untouched (a run stopping between claim and work). */
export async function releaseClaims(pool: pg.Pool, claim: string): Promise<void> {
  await pool.query(
    'UPDATE media.migration_images SET claimed_by = NULL WHERE claimed_by = $1::bigint',
    [claim]
  );
  await pool.query(
    `UPDATE media.migration_images SET thumbnail_claimed_by = NULL
      WHERE thumbnail_claimed_by = $1::bigint`,
    [claim]
  );
}

/** Pending rows some live run holds (this run waits for them rather than skipping them). */
export async function countClaimedElsewhere(pool: pg.Pool, claim: string): Promise<number> {
  const result = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM media.migration_images
      WHERE state IN ('pending', 'uploaded') AND claimed_by IS NOT NULL
        AND claimed_by <> $1::bigint AND NOT ${UNCLAIMED}`,
    [claim]
  );
  return result.rows[0]?.n ?? 0;
}

/** Counts of the rows a manifest names (`keys`), or of every row. */
export async function stateCounts(
  pool: pg.Pool,
  maxAttempts: number,
  keys?: readonly string[]
): Promise<StateCounts> {
  const result = await pool.query<StateCounts>(
    `SELECT count(*) FILTER (WHERE state = 'pending')::int AS pending,
            count(*) FILTER (WHERE state = 'uploaded')::int AS uploaded,
            count(*) FILTER (WHERE state = 'recorded')::int AS recorded,
            count(*) FILTER (WHERE state = 'failed')::int AS failed,
            count(*) FILTER (WHERE (state = 'pending' AND attempts >= $1)
                                OR (state = 'uploaded' AND record_attempts >= $1))::int AS exhausted,
            0::float8 AS "pendingBytes",
            count(*) FILTER (WHERE state IN ('uploaded', 'recorded') AND thumbnail_state = 'pending'
                                AND thumbnail_attempts < $1)::int AS "thumbnailsPending",
            count(*) FILTER (WHERE state IN ('uploaded', 'recorded') AND thumbnail_state = 'stored'
                                AND thumbnail_attempts < $1)::int AS "thumbnailsStored",
            count(*) FILTER (WHERE thumbnail_state = 'recorded')::int AS "thumbnailsRecorded",
            count(*) FILTER (WHERE state IN ('uploaded', 'recorded')
                                AND (thumbnail_state = 'failed'
                                     OR (thumbnail_state IN ('pending', 'stored')
                                         AND thumbnail_attempts >= $1)))::int
              AS "thumbnailsFailed"
       FROM media.migration_images
      WHERE $2::text[] IS NULL OR storage_key = ANY($2::text[])`,
    [maxAttempts, keys ?? null]
  );
  return result.rows[0]!;
}

export interface FailedImage {
  storageKey: string;
  source: string;
  state: string;
  error: string;
}

/** Rows that failed for good or still carry an error (the report's reasons), most recent first. */
export async function failures(
  pool: pg.Pool,
  keys: readonly string[] | undefined,
  limit = 1000
): Promise<FailedImage[]> {
  const result = await pool.query<FailedImage>(
    `SELECT storage_key AS "storageKey", source, state,
            coalesce(CASE WHEN state = 'uploaded' THEN record_error END,
                     CASE WHEN state IN ('uploaded', 'recorded')
                          THEN 'thumbnail: ' || thumbnail_error END,
                     last_error) AS error
       FROM media.migration_images
      WHERE (state = 'failed' OR (state = 'pending' AND last_error IS NOT NULL)
             OR (state = 'uploaded' AND record_error IS NOT NULL)
             OR (state IN ('uploaded', 'recorded') AND thumbnail_error IS NOT NULL))
        AND ($1::text[] IS NULL OR storage_key = ANY($1::text[]))
      ORDER BY updated_at DESC LIMIT $2`,
    [keys ?? null, limit]
  );
  return result.rows;
}

// ---- thumbnails ---------------------------------------------------------------------------------

export interface ThumbnailRow {
  storageKey: string;
  source: string;
  manifestDir: string;
  sizeBytes: number;
  sha256: string;
  thumbnailAttempts: number;
}

/**
 * Takes up to `limit` uploaded or recorded rows still without a stored thumbnail, with attempts
 * left; rows that failed since `passStart` wait for the next pass.
 */
export async function claimThumbnails(
  pool: pg.Pool,
  claim: string,
  limit: number,
  maxAttempts: number,
  passStart: Date
): Promise<ThumbnailRow[]> {
  const result = await pool.query<ThumbnailRow>(
    `UPDATE media.migration_images SET thumbnail_claimed_by = $1::bigint
      WHERE storage_key IN (
        SELECT storage_key FROM media.migration_images
         WHERE thumbnail_state = 'pending' AND state IN ('uploaded', 'recorded')
           AND thumbnail_attempts < $3 AND (thumbnail_error IS NULL OR updated_at < $4)
           AND ${THUMBNAIL_UNCLAIMED}
         ORDER BY listing_number, storage_key
         LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING storage_key AS "storageKey", source, manifest_dir AS "manifestDir",
               size_bytes::float8 AS "sizeBytes", sha256,
               thumbnail_attempts AS "thumbnailAttempts"`,
    [claim, limit, maxAttempts, passStart]
  );
  return result.rows;
}

/** Notes stored thumbnails (several at once, as markUploaded; a lost note means a re-made one). */
export async function markThumbnailsStored(
  pool: pg.Pool,
  claim: string,
  rows: ReadonlyArray<{ storageKey: string; thumbnailKey: string }>
): Promise<void> {
  if (rows.length === 0) return;
  await pool.query(
    `UPDATE media.migration_images AS m
        SET thumbnail_state = 'stored', thumbnail_key = t.thumbnail, thumbnail_error = NULL,
            thumbnail_claimed_by = NULL, updated_at = now()
       FROM unnest($2::text[], $3::text[]) AS t(key, thumbnail)
      WHERE m.storage_key = t.key AND m.thumbnail_claimed_by = $1::bigint
        AND m.thumbnail_state = 'pending'`,
    [claim, rows.map((r) => r.storageKey), rows.map((r) => r.thumbnailKey)]
  );
}

/** A failed thumbnail: retried on a later pass while attempts last; `final` fails it at once. */
export async function markThumbnailFailed(
  pool: pg.Pool,
  claim: string,
  storageKey: string,
  error: string,
  final: boolean
): Promise<void> {
  await pool.query(
    `UPDATE media.migration_images
        SET thumbnail_attempts = thumbnail_attempts + 1, thumbnail_error = left($3, 1000),
            thumbnail_state = CASE WHEN $4 THEN 'failed' ELSE thumbnail_state END,
            thumbnail_claimed_by = NULL, updated_at = now()
      WHERE storage_key = $1 AND thumbnail_claimed_by = $2::bigint
        AND thumbnail_state = 'pending'`,
    [storageKey, claim, error, final]
  );
}

/** A thumbnail to put on its record, or (failure set) an undecodable original to mark Failed. */
export interface ThumbnailRecordRow {
  storageKey: string;
  thumbnailKey: string | null;
  failure: string | null;
}

/**
 * Takes up to `limit` recorded rows whose outcome is not on their record yet: a stored thumbnail
 * (Thumbnail_Key__c) or an original that cannot be decoded (Status__c Failed with the reason).
 */
export async function claimThumbnailRecords(
  pool: pg.Pool,
  claim: string,
  limit: number,
  maxAttempts: number,
  passStart: Date
): Promise<ThumbnailRecordRow[]> {
  const result = await pool.query<ThumbnailRecordRow>(
    `UPDATE media.migration_images SET thumbnail_claimed_by = $1::bigint
      WHERE storage_key IN (
        SELECT storage_key FROM media.migration_images
         WHERE state = 'recorded' AND ${THUMBNAIL_UNCLAIMED}
           AND ((thumbnail_state = 'stored' AND thumbnail_attempts < $3
                 AND (thumbnail_error IS NULL OR updated_at < $4))
             OR (thumbnail_state = 'failed' AND NOT thumbnail_failure_recorded
                 AND thumbnail_attempts < $3 + 1
                 AND (thumbnail_failure_error IS NULL OR updated_at < $4)))
         ORDER BY listing_number, storage_key
         LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING storage_key AS "storageKey",
               CASE WHEN thumbnail_state = 'stored' THEN thumbnail_key END AS "thumbnailKey",
               CASE WHEN thumbnail_state = 'failed' THEN thumbnail_error END AS failure`,
    [claim, limit, maxAttempts, passStart]
  );
  return result.rows;
}

/**
 * The record job's outcome: done rows are recorded (a thumbnail) or their failure is; refused
 * ones keep Salesforce's error and are tried again in a later pass.
 */
export async function markThumbnailsRecorded(
  pool: pg.Pool,
  claim: string,
  storageKeys: readonly string[],
  refused: ReadonlyMap<string, string>
): Promise<void> {
  const done = storageKeys.filter((key) => !refused.has(key));
  await pool.query(
    `UPDATE media.migration_images
        SET thumbnail_state = CASE WHEN thumbnail_state = 'stored' THEN 'recorded'
                                   ELSE thumbnail_state END,
            thumbnail_error = CASE WHEN thumbnail_state = 'stored' THEN NULL
                                   ELSE thumbnail_error END,
            thumbnail_failure_recorded = (thumbnail_state = 'failed'),
            thumbnail_failure_error = NULL,
            thumbnail_claimed_by = NULL, updated_at = now()
      WHERE storage_key = ANY($1::text[]) AND thumbnail_claimed_by = $2::bigint
        AND thumbnail_state IN ('stored', 'failed')`,
    [done, claim]
  );
  if (refused.size > 0)
    await pool.query(
      `UPDATE media.migration_images AS m
          SET thumbnail_attempts = thumbnail_attempts + 1,
              thumbnail_error = CASE WHEN m.thumbnail_state = 'stored' THEN left(r.error, 1000)
                                     ELSE m.thumbnail_error END,
              thumbnail_failure_error = CASE WHEN m.thumbnail_state = 'failed'
                                             THEN left(r.error, 1000) END,
              thumbnail_claimed_by = NULL, updated_at = now()
         FROM unnest($1::text[], $2::text[]) AS r(key, error)
        WHERE m.storage_key = r.key AND m.thumbnail_claimed_by = $3::bigint
          AND m.thumbnail_state IN ('stored', 'failed')`,
      [[...refused.keys()], [...refused.values()], claim]
    );
}

/** Thumbnail work some live run holds (this run waits for it rather than skipping it). */
export async function countThumbnailsClaimedElsewhere(
  pool: pg.Pool,
  claim: string
): Promise<number> {
  const result = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM media.migration_images
      WHERE thumbnail_state IN ('pending', 'stored') AND thumbnail_claimed_by IS NOT NULL
        AND thumbnail_claimed_by <> $1::bigint AND NOT ${THUMBNAIL_UNCLAIMED}`,
    [claim]
  );
  return result.rows[0]?.n ?? 0;
}
