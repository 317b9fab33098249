// The migration's progress in PostgreSQL (media.migration_images, migration 0014): what is
// uploaded, what is recorded, what failed and why. Every state change is one statement after the
// work it records, so a run killed at any point leaves each row either still to do (done again,
// onto the same key: an overwrite of the same bytes, an upsert of the same record) or done.
//
// Two runs at once never work on the same row: a run claims rows with FOR UPDATE SKIP LOCKED and
// stamps them with its lease's advisory lock key (claimed_by). A claim counts while that lock is
// held, which PostgreSQL ends by itself when the run's session ends, so the rows of a SIGKILLed
// run are free for the next run at once, without waiting out a timeout.
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
}

/** A claim is live while its run's lock is held (pg_locks shows bigint keys split in two). */
const UNCLAIMED = `(claimed_by IS NULL OR NOT EXISTS (
    SELECT 1 FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
       AND ((l.classid::bigint << 32) | l.objid::bigint) = claimed_by))`;

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

export async function markUploaded(
  pool: pg.Pool,
  claim: string,
  storageKey: string,
  image: UploadedImage
): Promise<void> {
  await pool.query(
    `UPDATE media.migration_images
        SET state = 'uploaded', size_bytes = $3, sha256 = $4, content_type = $5, width = $6,
            height = $7, thumbnail_key = $8, uploaded_at = now(), last_error = NULL,
            claimed_by = NULL, updated_at = now()
      WHERE storage_key = $1 AND claimed_by = $2::bigint AND state = 'pending'`,
    [
      storageKey,
      claim,
      image.size,
      image.sha256,
      image.contentType,
      image.width,
      image.height,
      image.thumbnailKey ?? null
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
            updated_at = now()
      WHERE state = 'failed' OR (state = 'pending' AND attempts >= $1)
         OR (state = 'uploaded' AND record_attempts >= $1)`,
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
            0::float8 AS "pendingBytes"
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
            coalesce(CASE WHEN state = 'uploaded' THEN record_error END, last_error) AS error
       FROM media.migration_images
      WHERE (state = 'failed' OR (state = 'pending' AND last_error IS NOT NULL)
             OR (state = 'uploaded' AND record_error IS NOT NULL))
        AND ($1::text[] IS NULL OR storage_key = ANY($1::text[]))
      ORDER BY updated_at DESC LIMIT $2`,
    [keys ?? null, limit]
  );
  return result.rows;
}
