// Bulk API 2.0 ingest: records in, per-record outcomes out, with flat memory.
//
// Records (any iterable or async iterable) are written as CSV (csv-stringify) to a temporary
// spool file; when the next row would take the file past `maxBytesPerJob` (100 MB by default:
// Salesforce takes at most 150 MB of base64 per job and advises "upload data that does not
// exceed 100 MB" to allow for the base64 growth), that part becomes one job: create, one PUT of
// the file, UploadComplete. A job takes a single upload (a second PUT makes the close fail with
// "Found multiple contents for job"), so larger inputs become several jobs. Spooling to disk keeps
// memory flat and makes the upload repeatable after a token refresh or a dropped connection.
// While Salesforce processes one job the next part is spooled; once every part is submitted the
// writer waits for the jobs and reads successfulResults / failedResults / unprocessedrecords,
// parsing each result CSV as a stream into typed results.
//
// Cell values: undefined -> empty cell (field left unchanged), null -> `#N/A` (set to null),
// booleans `true`/`false`, numbers as written, Date -> ISO-8601 UTC.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { RequestBody, SalesforceConnection } from './connection.ts';
import {
  BulkJobFailedError,
  checkJobId,
  createBulkJob,
  jobOperations,
  type BulkJobInfo,
  type BulkJobOperations,
  type WaitOptions
} from './bulk-jobs.ts';
import type { BulkRow } from './bulk-query-reader.ts';

export type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';

/** Salesforce's advice for one upload (leaves room for the base64 growth up to 150 MB). */
export const DEFAULT_MAX_BYTES_PER_JOB = 100 * 1024 * 1024;

export interface IngestJobOptions {
  object: string;
  operation: IngestOperation;
  /** Upserts: the external id field (or `Id`). */
  externalIdFieldName?: string;
  lineEnding?: 'LF' | 'CRLF';
  signal?: AbortSignal;
}

export interface IngestOptions extends IngestJobOptions {
  /** CSV columns (field names, or `Parent__r.External_Id__c`); default: the first record's keys. */
  columns?: readonly string[];
  /** Split into another job when a part would grow past this many CSV bytes. */
  maxBytesPerJob?: number;
  /** Polling of each job. */
  poll?: WaitOptions['poll'];
  /** `collect` (default): read every result into the outcome; `none`: leave them to the caller. */
  results?: 'collect' | 'none';
  /** Where spool files go (default the OS temp dir). */
  spoolDir?: string;
}

export interface IngestSuccess {
  jobId: string;
  id: string;
  created: boolean;
  /** The row as uploaded (column -> text). */
  record: BulkRow;
}

export interface IngestFailure {
  jobId: string;
  /** Set for updates/deletes of an existing id; absent for failed inserts. */
  id: string | undefined;
  errorCode: string;
  message: string;
  fields: string[];
  /** `sf__Error` as Salesforce wrote it. */
  error: string;
  record: BulkRow;
}

export interface IngestUnprocessed {
  jobId: string;
  record: BulkRow;
}

export interface IngestOutcome {
  /** Final info of every job, in submission order. */
  jobs: BulkJobInfo[];
  recordsSent: number;
  recordsProcessed: number;
  recordsFailed: number;
  successful: IngestSuccess[];
  failed: IngestFailure[];
  unprocessed: IngestUnprocessed[];
}

export interface BulkIngestWriter extends BulkJobOperations {
  /** The whole pipeline: spool, submit job(s), wait, read results. */
  ingest(
    records: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>,
    options: IngestOptions
  ): Promise<IngestOutcome>;
  createJob(options: IngestJobOptions): Promise<BulkJobInfo>;
  /** One PUT of CSV data; `body` is called again if the upload must be repeated. */
  uploadJobData(
    jobId: string,
    body: () => RequestBody,
    options?: { signal?: AbortSignal }
  ): Promise<void>;
  closeJob(jobId: string, options?: { signal?: AbortSignal }): Promise<BulkJobInfo>;
  successfulResults(
    jobId: string,
    options?: { signal?: AbortSignal }
  ): AsyncGenerator<IngestSuccess>;
  failedResults(jobId: string, options?: { signal?: AbortSignal }): AsyncGenerator<IngestFailure>;
  unprocessedRecords(
    jobId: string,
    options?: { signal?: AbortSignal }
  ): AsyncGenerator<IngestUnprocessed>;
}

/** `CODE:message:Field1,Field2 --` (fields may be empty: `CODE:message:--`). */
export function parseSfError(text: string): {
  errorCode: string;
  message: string;
  fields: string[];
} {
  const body = text.replace(/\s*--\s*$/, '');
  const colon = body.indexOf(':');
  if (colon < 0) return { errorCode: 'UNKNOWN_EXCEPTION', message: text, fields: [] };
  const errorCode = body.slice(0, colon);
  const rest = body.slice(colon + 1);
  const last = rest.lastIndexOf(':');
  const tail = last >= 0 ? rest.slice(last + 1).trim() : '';
  if (last >= 0 && /^[A-Za-z0-9_.]*(?:,[A-Za-z0-9_.]+)*$/.test(tail)) {
    return {
      errorCode,
      message: rest.slice(0, last),
      fields: tail === '' ? [] : tail.split(',')
    };
  }
  return { errorCode, message: rest, fields: [] };
}

/** A record value as a Bulk API 2.0 CSV cell. */
export function cellText(value: unknown, column: string): string {
  if (value === undefined) return '';
  if (value === null) return '#N/A';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`Column ${column}: ${value} cannot be sent`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  throw new TypeError(`Column ${column}: a ${typeof value} value cannot be written to CSV`);
}

interface SpooledPart {
  file: string;
  rows: number;
  bytes: number;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export function createBulkIngestWriter(connection: SalesforceConnection): BulkIngestWriter {
  const resultRows = async function* (
    jobId: string,
    kind: 'successfulResults' | 'failedResults' | 'unprocessedrecords',
    signal?: AbortSignal
  ): AsyncGenerator<BulkRow> {
    const response = await connection.stream({
      operation: `bulk.ingest.${kind}`,
      path: `jobs/ingest/${checkJobId(jobId)}/${kind}`,
      headers: { Accept: 'text/csv', 'Accept-Encoding': 'gzip' },
      signal
    });
    const parser = parse({ columns: true, bom: true, relax_column_count: true });
    let complete = false;
    try {
      // pipeline: a dropped connection fails the parser instead of leaving it waiting.
      pipeline(response.body, parser, () => {});
      for await (const row of parser as AsyncIterable<Record<string, string>>) yield row;
      complete = true;
    } finally {
      if (!complete) response.release();
      parser.destroy();
    }
  };

  /** The uploaded columns of a result row (without the sf__ ones). */
  const uploaded = (row: BulkRow): BulkRow => {
    const record: BulkRow = {};
    for (const [key, value] of Object.entries(row))
      if (!key.startsWith('sf__')) record[key] = value;
    return record;
  };

  const writer: BulkIngestWriter = {
    async createJob(options) {
      if (!NAME.test(options.object))
        throw new TypeError(`Invalid object name: ${JSON.stringify(options.object)}`);
      if (options.operation === 'upsert' && !options.externalIdFieldName) {
        throw new TypeError('An upsert job needs externalIdFieldName');
      }
      return createBulkJob(
        connection,
        'ingest',
        {
          object: options.object,
          operation: options.operation,
          ...(options.externalIdFieldName
            ? { externalIdFieldName: options.externalIdFieldName }
            : {})
        },
        // The spooled CSV is always comma-delimited.
        { lineEnding: options.lineEnding },
        options.signal
      );
    },
    async uploadJobData(jobId, body, options = {}) {
      const response = await connection.request({
        operation: 'bulk.ingest.upload',
        method: 'PUT',
        path: `jobs/ingest/${checkJobId(jobId)}/batches`,
        headers: { 'Content-Type': 'text/csv' },
        body,
        signal: options.signal
      });
      await response.body?.cancel();
    },
    closeJob(jobId, options = {}) {
      return connection.requestJson<BulkJobInfo>({
        operation: 'bulk.ingest.close',
        method: 'PATCH',
        path: `jobs/ingest/${checkJobId(jobId)}`,
        json: { state: 'UploadComplete' },
        // Closing twice fails the second time with InvalidJobState; never repeat it blindly.
        idempotent: false,
        signal: options.signal
      });
    },
    ...jobOperations(connection, 'ingest'),
    async *successfulResults(jobId, options = {}) {
      for await (const row of resultRows(jobId, 'successfulResults', options.signal)) {
        yield {
          jobId,
          id: row.sf__Id ?? '',
          created: row.sf__Created === 'true',
          record: uploaded(row)
        };
      }
    },
    async *failedResults(jobId, options = {}) {
      for await (const row of resultRows(jobId, 'failedResults', options.signal)) {
        const error = row.sf__Error ?? '';
        yield {
          jobId,
          id: row.sf__Id ? row.sf__Id : undefined,
          ...parseSfError(error),
          error,
          record: uploaded(row)
        };
      }
    },
    async *unprocessedRecords(jobId, options = {}) {
      for await (const row of resultRows(jobId, 'unprocessedrecords', options.signal)) {
        yield { jobId, record: uploaded(row) };
      }
    },
    async ingest(records, options) {
      const maxBytes = options.maxBytesPerJob ?? DEFAULT_MAX_BYTES_PER_JOB;
      if (!Number.isInteger(maxBytes) || maxBytes < 1024)
        throw new RangeError('maxBytesPerJob must be at least 1024');
      const newline = options.lineEnding === 'CRLF' ? '\r\n' : '\n';
      const spoolDir = await mkdtemp(path.join(options.spoolDir ?? tmpdir(), 'sf-bulk-ingest-'));
      const submitted: string[] = [];
      let recordsSent = 0;
      try {
        const iterator = (
          Symbol.asyncIterator in records
            ? (records as AsyncIterable<Record<string, unknown>>)[Symbol.asyncIterator]()
            : (records as Iterable<Record<string, unknown>>)[Symbol.iterator]()
        ) as AsyncIterator<Record<string, unknown>> | Iterator<Record<string, unknown>>;
        let columns = options.columns ? [...options.columns] : undefined;
        let known: Set<string> | undefined = columns ? new Set(columns) : undefined;
        let header = '';
        /** A row that did not fit in the previous part. */
        let carried: string | undefined;
        let exhausted = false;

        const line = (record: Record<string, unknown>): string => {
          if (!columns) {
            columns = Object.keys(record).filter((key) => key !== 'attributes');
            known = new Set(columns);
          }
          for (const key of Object.keys(record)) {
            if (key !== 'attributes' && !known?.has(key)) {
              throw new TypeError(
                `Record ${recordsSent + 1} has column ${key}, which is not among the CSV columns (${columns.join(', ')})`
              );
            }
          }
          const cells = columns.map((column) => cellText(record[column], column));
          return stringify([cells], { record_delimiter: newline });
        };

        const spool = async (index: number): Promise<SpooledPart | undefined> => {
          const file = path.join(spoolDir, `part-${index}.csv`);
          const out = createWriteStream(file);
          let rows = 0;
          let bytes = 0;
          const write = async (text: string) => {
            bytes += Buffer.byteLength(text);
            if (!out.write(text)) await once(out, 'drain');
          };
          try {
            while (!exhausted) {
              let row = carried;
              carried = undefined;
              if (row === undefined) {
                const next = await iterator.next();
                if (next.done) {
                  exhausted = true;
                  break;
                }
                row = line(next.value);
                recordsSent += 1;
              }
              if (rows === 0) {
                header = header || stringify([columns ?? []], { record_delimiter: newline });
                await write(header);
              }
              const size = Buffer.byteLength(row);
              if (rows > 0 && bytes + size > maxBytes) {
                carried = row;
                break;
              }
              if (rows === 0 && bytes + size > maxBytes) {
                throw new RangeError(
                  `Record ${recordsSent} alone exceeds maxBytesPerJob (${maxBytes} bytes)`
                );
              }
              await write(row);
              rows += 1;
            }
          } finally {
            out.end();
            await once(out, 'close');
          }
          return rows > 0 ? { file, rows, bytes } : undefined;
        };

        for (let index = 0; ; index++) {
          options.signal?.throwIfAborted();
          const part = await spool(index);
          if (!part) break;
          const job = await writer.createJob(options);
          submitted.push(job.id);
          const size = (await stat(part.file)).size;
          connection.logger?.info(
            {
              jobId: job.id,
              object: options.object,
              operation: options.operation,
              rows: part.rows,
              bytes: size
            },
            'Bulk API ingest job submitted'
          );
          await writer.uploadJobData(
            job.id,
            () => Readable.toWeb(createReadStream(part.file)) as unknown as RequestBody,
            { signal: options.signal }
          );
          await writer.closeJob(job.id, { signal: options.signal });
          await rm(part.file, { force: true });
          if (exhausted && carried === undefined) break;
        }
      } catch (error) {
        if (submitted.length > 0) {
          // Those jobs run on regardless: whoever handles the error must know them.
          connection.logger?.error(
            { jobIds: submitted, object: options.object, operation: options.operation },
            'Bulk API ingest stopped after submitting some jobs'
          );
        }
        throw error;
      } finally {
        await rm(spoolDir, { recursive: true, force: true });
      }

      const outcome: IngestOutcome = {
        jobs: [],
        recordsSent,
        recordsProcessed: 0,
        recordsFailed: 0,
        successful: [],
        failed: [],
        unprocessed: []
      };
      for (const jobId of submitted) {
        let job: BulkJobInfo;
        try {
          job = await writer.waitForJob(jobId, { poll: options.poll, signal: options.signal });
        } catch (error) {
          // A failed job still has results worth reading (what succeeded before it failed).
          if (!(error instanceof BulkJobFailedError) || options.results === 'none') throw error;
          job = error.job;
          connection.logger?.warn(
            { jobId, state: job.state, errorMessage: job.errorMessage },
            'Bulk API ingest job did not complete'
          );
        }
        outcome.jobs.push(job);
        outcome.recordsProcessed += Number(job.numberRecordsProcessed ?? 0);
        outcome.recordsFailed += Number(job.numberRecordsFailed ?? 0);
        if (options.results === 'none') continue;
        for await (const row of writer.successfulResults(jobId, options))
          outcome.successful.push(row);
        for await (const row of writer.failedResults(jobId, options)) outcome.failed.push(row);
        for await (const row of writer.unprocessedRecords(jobId, options))
          outcome.unprocessed.push(row);
      }
      return outcome;
    }
  };
  return writer;
}
