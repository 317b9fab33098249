// Property_Image__c records for uploaded images: Bulk API 2.0 ingest, upsert on Storage_Key__c
// with the parent named by its external id (Property__r.Listing_Number__c), so a record sent
// twice (a run killed after its job was submitted) is the same record, and the migration never
// needs Salesforce Ids. One job takes up to 10,000 rows: create, upload, close, one or two polls
// and, only when Salesforce refused some rows, failedResults - about 5 API calls per 10,000
// images. successfulResults is never read: every row of a complete job not in failedResults was
// upserted.
import path from 'node:path';
import {
  BulkJobFailedError,
  type BulkIngestWriter,
  type Logger,
  type PollOptions
} from '../../platform/index.ts';
import type { RecordRow } from './progress-store.ts';
import { isUrlSource } from './manifest.ts';

export const RECORD_COLUMNS = [
  'Property__r.Listing_Number__c',
  'Storage_Key__c',
  'Thumbnail_Key__c',
  'File_Name__c',
  'Content_Type__c',
  'Size_Bytes__c',
  'SHA256__c',
  'Width__c',
  'Height__c',
  'Status__c',
  'Sort_Order__c',
  'Caption__c'
] as const;

/** The file name shown in the gallery: the source's last path segment. */
export function fileNameOf(source: string): string {
  const name = isUrlSource(source)
    ? decodeURIComponent(new URL(source).pathname.split('/').pop() ?? '')
    : path.basename(source);
  return (name || 'image').slice(0, 255);
}

export function imageRecord(row: RecordRow): Record<string, unknown> {
  return {
    'Property__r.Listing_Number__c': row.listingNumber,
    Storage_Key__c: row.storageKey,
    Thumbnail_Key__c: row.thumbnailKey ?? undefined,
    File_Name__c: fileNameOf(row.source),
    Content_Type__c: row.contentType,
    Size_Bytes__c: row.sizeBytes,
    SHA256__c: row.sha256,
    Width__c: row.width,
    Height__c: row.height,
    Status__c: 'Available',
    Sort_Order__c: row.sortOrder ?? undefined,
    Caption__c: row.caption ?? undefined
  };
}

export interface RecordOutcome {
  jobIds: string[];
  upserted: number;
  /** Storage key -> Salesforce's error, for the rows it refused (or all, when the job failed). */
  refused: Map<string, string>;
}

/** The parent column: sent on creation only, since Property__c is not reparentable. */
const PARENT = 'Property__r.Listing_Number__c';

/**
 * Salesforce refuses a value for a non-reparentable master-detail field when the upsert finds an
 * existing record, even the same parent: INVALID_FIELD_FOR_INSERT_UPDATE on Property__c.
 */
function existedAlready(failure: { errorCode: string; fields: string[]; message: string }) {
  return (
    failure.errorCode === 'INVALID_FIELD_FOR_INSERT_UPDATE' &&
    (failure.fields.includes('Property__c') || failure.message.includes('Property__c'))
  );
}

/** One job; Salesforce's refusals (storage key -> error) are returned, not thrown. */
async function upsertJob(
  bulk: BulkIngestWriter,
  records: Array<Record<string, unknown>>,
  columns: readonly string[],
  options: { poll?: Partial<PollOptions>; signal?: AbortSignal; logger?: Logger }
): Promise<{
  jobId: string | undefined;
  refused: Map<string, { error: string; existed: boolean }>;
}> {
  const refused = new Map<string, { error: string; existed: boolean }>();
  const outcome = await bulk
    .ingest(records, {
      object: 'Property_Image__c',
      operation: 'upsert',
      externalIdFieldName: 'Storage_Key__c',
      columns,
      results: 'none',
      ...(options.poll ? { poll: options.poll } : {}),
      ...(options.signal ? { signal: options.signal } : {})
    })
    .catch((error: unknown) => {
      if (error instanceof BulkJobFailedError) return { jobs: [error.job], failedJob: error };
      throw error;
    });
  const job = outcome.jobs[0];
  if ('failedJob' in outcome) {
    // A failed job may have upserted some rows; sending them all again is harmless (upsert).
    for (const record of records)
      refused.set(String(record.Storage_Key__c), {
        error: outcome.failedJob.message,
        existed: false
      });
    options.logger?.warn({ jobId: job?.id, err: outcome.failedJob }, 'record job failed');
    return { jobId: job?.id, refused };
  }
  const failed = outcome.jobs.reduce((n, j) => n + Number(j.numberRecordsFailed ?? 0), 0);
  const processed = outcome.jobs.reduce((n, j) => n + Number(j.numberRecordsProcessed ?? 0), 0);
  if (failed > 0) {
    for (const info of outcome.jobs) {
      if (Number(info.numberRecordsFailed ?? 0) === 0) continue;
      for await (const failure of bulk.failedResults(info.id, options))
        refused.set(failure.record.Storage_Key__c ?? '', {
          error: failure.error || failure.message,
          existed: existedAlready(failure)
        });
    }
  }
  if (processed < records.length) {
    // Rows the job never processed: not upserted, so not recorded.
    for (const info of outcome.jobs)
      for await (const row of bulk.unprocessedRecords(info.id, options))
        if (!refused.has(row.record.Storage_Key__c ?? ''))
          refused.set(row.record.Storage_Key__c ?? '', {
            error: 'not processed by the ingest job',
            existed: false
          });
  }
  return { jobId: job?.id, refused };
}

/**
 * Upserts `rows`. Records that already exist (a run killed after its job was processed but
 * before it noted so) are refused by the first job for their parent column and sent again, in a
 * second job without it: an update of the same values. That second job only ever follows a crash.
 */
export async function recordImages(
  bulk: BulkIngestWriter,
  rows: readonly RecordRow[],
  options: { poll?: Partial<PollOptions>; signal?: AbortSignal; logger?: Logger } = {}
): Promise<RecordOutcome> {
  const refused = new Map<string, string>();
  if (rows.length === 0) return { jobIds: [], upserted: 0, refused };
  const first = await upsertJob(bulk, rows.map(imageRecord), RECORD_COLUMNS, options);
  const jobIds = first.jobId ? [first.jobId] : [];
  const existing = rows.filter((row) => first.refused.get(row.storageKey)?.existed);
  for (const [key, why] of first.refused) if (!why.existed) refused.set(key, why.error);
  if (existing.length > 0) {
    const records = existing.map((row) => {
      const record = imageRecord(row);
      delete record[PARENT];
      return record;
    });
    const second = await upsertJob(
      bulk,
      records,
      RECORD_COLUMNS.filter((c) => c !== PARENT),
      options
    );
    if (second.jobId) jobIds.push(second.jobId);
    for (const [key, why] of second.refused) refused.set(key, why.error);
  }
  return { jobIds, upserted: rows.length - refused.size, refused };
}

/** The thumbnail phase's job: two columns onto records that exist (no parent, so no insert). */
export const THUMBNAIL_COLUMNS = [
  'Storage_Key__c',
  'Thumbnail_Key__c',
  'Status__c',
  'Failure_Reason__c'
] as const;

/** Failure_Reason__c holds 255 characters. */
const REASON_LENGTH = 255;

/**
 * Puts the thumbnail phase's outcomes on the records of `rows` (one Bulk API 2.0 upsert job, about
 * 5 API calls per 10,000 images, as the records' own job): Thumbnail_Key__c for a thumbnail made,
 * Status__c Failed with the reason for an original that cannot be decoded (as the media service's
 * confirmation does for an upload: Available means decodable). An empty cell leaves a field as it
 * is. Without the parent column an upsert cannot create a record: a record deleted meanwhile is
 * refused (REQUIRED_FIELD_MISSING), not re-created.
 */
export async function recordThumbnails(
  bulk: BulkIngestWriter,
  rows: ReadonlyArray<{ storageKey: string; thumbnailKey: string | null; failure: string | null }>,
  options: { poll?: Partial<PollOptions>; signal?: AbortSignal; logger?: Logger } = {}
): Promise<RecordOutcome> {
  const refused = new Map<string, string>();
  if (rows.length === 0) return { jobIds: [], upserted: 0, refused };
  const job = await upsertJob(
    bulk,
    rows.map((row) =>
      row.failure !== null
        ? {
            Storage_Key__c: row.storageKey,
            Status__c: 'Failed',
            Failure_Reason__c: `The original cannot be decoded (${row.failure})`.slice(
              0,
              REASON_LENGTH
            )
          }
        : { Storage_Key__c: row.storageKey, Thumbnail_Key__c: row.thumbnailKey ?? '' }
    ),
    THUMBNAIL_COLUMNS,
    options
  );
  for (const [key, why] of job.refused) refused.set(key, why.error);
  return { jobIds: job.jobId ? [job.jobId] : [], upserted: rows.length - refused.size, refused };
}
