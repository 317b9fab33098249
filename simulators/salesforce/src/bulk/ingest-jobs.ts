/**
 * Bulk API 2.0 ingest jobs: create (Open), upload CSV (PUT .../batches), close
 * (UploadComplete), processing through the record store (InProgress -> JobComplete, or Failed
 * when the data cannot be read), abort, delete, and the successful / failed / unprocessed
 * record results.
 *
 * As in a real org a job takes its data in one upload: further PUTs are accepted, and closing
 * the job then fails with Salesforce's "Found multipe contents for job" error.
 */
import { Readable } from 'node:stream';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import type { EmulatorContext, FieldDescribe, Principal, SObjectDescribe } from '../model.ts';
import { writeIngestResultsCsv } from './csv.ts';
import {
  deleteNotTerminated,
  invalidJobState,
  invalidProperty,
  multipleUploads,
  notAnExternalId,
  unknownObject,
  uploadTooLarge
} from './errors.ts';
import { IngestRowWriter, resolveHeader, type IngestOperation } from './ingest-rows.ts';
import {
  COLUMN_DELIMITERS,
  LINE_ENDINGS,
  cancelJobStep,
  checkAbortable,
  csvFormatProperties,
  enumProperty,
  jobDate,
  processingTime,
  requestObject,
  scheduleJobStep,
  startProcessing,
  type ColumnDelimiter,
  type JobIds,
  type JobState,
  type LineEnding
} from './job-state.ts';

/** "A request can provide CSV data that does not in total exceed 150 MB of base64 encoded content." */
export const MAX_UPLOAD_BASE64_BYTES = 150 * 1024 * 1024;

/** The largest raw upload whose base64 form stays within the documented limit. */
export const MAX_UPLOAD_BYTES = Math.floor(MAX_UPLOAD_BASE64_BYTES / 4) * 3;

export interface IngestJobSettings {
  /** Least time (ms) from UploadComplete to JobComplete; 0 completes once rows are applied. */
  processingDelayMs: number;
  /** Most CSV bytes a job takes (set when the routes are registered). */
  maxUploadBytes: number;
}

export const DEFAULT_INGEST_JOB_SETTINGS: IngestJobSettings = {
  processingDelayMs: 0,
  maxUploadBytes: MAX_UPLOAD_BYTES
};

/** Rows applied between two yields to the event loop. */
const ROWS_PER_SLICE = 500;

const OPERATIONS: readonly IngestOperation[] = [
  'insert',
  'update',
  'upsert',
  'delete',
  'hardDelete'
];

interface IngestJob {
  id: string;
  operation: IngestOperation;
  object: SObjectDescribe;
  externalIdField?: FieldDescribe;
  apiVersion: string;
  principal: Principal;
  createdDate: Date;
  systemModstamp: Date;
  state: JobState;
  lineEnding: LineEnding;
  columnDelimiter: ColumnDelimiter;
  uploads: Buffer[];
  header: string[];
  successful: Array<{ id: string; created: boolean; values: string[] }>;
  failed: Array<{ id: string; error: string; values: string[] }>;
  unprocessed: string[][];
  errorMessage?: string;
  closedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  timer?: NodeJS.Timeout;
}

export type IngestResultKind = 'successfulResults' | 'failedResults' | 'unprocessedrecords';

export class IngestJobs {
  private readonly jobs = new Map<string, IngestJob>();

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly ids: JobIds,
    private readonly settings: IngestJobSettings
  ) {}

  /** POST /jobs/ingest. */
  create(body: unknown, apiVersion: string, by: Principal): Record<string, unknown> {
    const request = requestObject(body);
    if (request.operation === undefined) throw invalidProperty('operation', undefined);
    const operation = enumProperty(request, 'operation', OPERATIONS, 'insert');
    const objectName = typeof request.object === 'string' ? request.object : '';
    // Objects and fields the job's creator cannot see are unknown to their jobs.
    const ctx = this.ctx.permissions.contextFor(this.ctx, by);
    const object = ctx.schema.getObject(objectName);
    if (!object) throw unknownObject(objectName);
    const { columnDelimiter, lineEnding } = csvFormatProperties(request);
    let externalIdField: FieldDescribe | undefined;
    if (operation === 'upsert') {
      const name =
        typeof request.externalIdFieldName === 'string' ? request.externalIdFieldName : '';
      externalIdField = ctx.schema.getField(object, name);
      if (
        !externalIdField ||
        !(externalIdField.name === 'Id' || externalIdField.externalId || externalIdField.idLookup)
      ) {
        throw notAnExternalId(name, object.name);
      }
    }

    const now = this.ctx.clock.now();
    const job: IngestJob = {
      id: this.ids.next(),
      operation,
      object,
      externalIdField,
      apiVersion,
      principal: by,
      createdDate: now,
      systemModstamp: now,
      state: 'Open',
      lineEnding,
      columnDelimiter,
      uploads: [],
      header: [],
      successful: [],
      failed: [],
      unprocessed: []
    };
    this.jobs.set(job.id, job);
    return { ...this.summary(job), contentUrl: this.contentUrl(job), lineEnding, columnDelimiter };
  }

  /** GET /jobs/ingest/{id}; a poll also moves a closed job on. */
  info(id: string): Record<string, unknown> | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (job.state === 'UploadComplete') this.start(job);
    const processing = processingTime(job);
    return {
      ...this.summary(job),
      jobType: 'V2Ingest',
      ...(job.state === 'Open' ? { contentUrl: this.contentUrl(job) } : {}),
      lineEnding: job.lineEnding,
      columnDelimiter: job.columnDelimiter,
      numberRecordsProcessed: job.successful.length + job.failed.length,
      numberRecordsFailed: job.failed.length,
      retries: 0,
      totalProcessingTime: processing,
      apiActiveProcessingTime: processing,
      apexProcessingTime: 0,
      ...(job.errorMessage !== undefined ? { errorMessage: job.errorMessage } : {})
    };
  }

  list(): Array<Record<string, unknown>> {
    return [...this.jobs.values()].map((job) => ({
      ...this.summary(job),
      jobType: 'V2Ingest',
      lineEnding: job.lineEnding,
      columnDelimiter: job.columnDelimiter
    }));
  }

  creatorOf(id: string): string | undefined {
    return this.jobs.get(id)?.principal.userId;
  }

  /** PUT /jobs/ingest/{id}/batches: false for an unknown job. */
  upload(id: string, data: Buffer): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (job.state !== 'Open') {
      throw invalidJobState(
        `Job data can only be uploaded to an Open job; this job is ${job.state}`
      );
    }
    const total = job.uploads.reduce((sum, upload) => sum + upload.length, data.length);
    if (total > this.settings.maxUploadBytes) throw uploadTooLarge();
    job.uploads.push(data);
    job.systemModstamp = this.ctx.clock.now();
    return true;
  }

  /** PATCH /jobs/ingest/{id}: `UploadComplete` closes the job, `Aborted` aborts it. */
  patch(id: string, body: unknown): Record<string, unknown> | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    const request = requestObject(body);
    if (request.state === 'UploadComplete') {
      if (job.state !== 'Open') {
        throw invalidJobState(`Closing a job in state ${job.state} is not allowed`);
      }
      if (job.uploads.length > 1) throw multipleUploads(job.id);
      job.state = 'UploadComplete';
      job.closedAt = performance.now();
      job.systemModstamp = this.ctx.clock.now();
      scheduleJobStep(job, this.settings.processingDelayMs / 2, () => this.start(job));
    } else if (request.state === 'Aborted') {
      checkAbortable(job);
      this.abort(job);
    } else {
      throw invalidJobState(`Invalid state for an ingest job update: ${String(request.state)}`);
    }
    return this.summary(job);
  }

  /** DELETE /jobs/ingest/{id}: allowed once the job is closed or finished. */
  delete(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (job.state === 'Open' || job.state === 'InProgress') throw deleteNotTerminated();
    cancelJobStep(job);
    this.jobs.delete(id);
    return true;
  }

  /** The CSV of one result resource, or undefined for an unknown job. */
  results(id: string, kind: IngestResultKind): string | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (job.state === 'UploadComplete') this.start(job);
    switch (kind) {
      case 'successfulResults':
        return writeIngestResultsCsv(
          ['sf__Id', 'sf__Created'],
          job.header,
          job.successful.map((row) => [row.id, String(row.created), ...row.values]),
          job
        );
      case 'failedResults':
        return writeIngestResultsCsv(
          ['sf__Id', 'sf__Error'],
          job.header,
          job.failed.map((row) => [row.id, row.error, ...row.values]),
          job
        );
      case 'unprocessedrecords':
        return writeIngestResultsCsv([], job.header, job.unprocessed, job);
    }
  }

  clear(): void {
    for (const job of this.jobs.values()) cancelJobStep(job);
    this.jobs.clear();
  }

  private contentUrl(job: IngestJob): string {
    return `services/data/v${job.apiVersion}/jobs/ingest/${job.id}/batches`;
  }

  /** The fields every job answer carries (create, close/abort, list). */
  private summary(job: IngestJob): Record<string, unknown> {
    return {
      id: job.id,
      operation: job.operation,
      object: job.object.name,
      createdById: job.principal.userId,
      createdDate: jobDate(job.createdDate),
      systemModstamp: jobDate(job.systemModstamp),
      state: job.state,
      ...(job.externalIdField ? { externalIdFieldName: job.externalIdField.name } : {}),
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(job.apiVersion)
    };
  }

  private abort(job: IngestJob): void {
    cancelJobStep(job);
    const wasRunning = job.state === 'InProgress';
    job.state = 'Aborted';
    job.finishedAt = performance.now();
    job.systemModstamp = this.ctx.clock.now();
    // Data that never started processing is all unprocessed (a running job moves its
    // remaining rows there itself).
    const data = job.uploads[0];
    if (!wasRunning && data) {
      job.uploads = [];
      try {
        const [header = [], ...rows] = parseSync(data, {
          delimiter: COLUMN_DELIMITERS[job.columnDelimiter],
          bom: true,
          relax_column_count: true,
          skip_empty_lines: true
        }) as string[][];
        job.header = header;
        job.unprocessed = rows;
      } catch {
        // Unreadable data has no rows to report.
      }
    }
  }

  private finish(job: IngestJob, state: 'JobComplete' | 'Failed', errorMessage?: string): void {
    if (job.state !== 'InProgress') return;
    const complete = (): void => {
      if (job.state !== 'InProgress') return;
      job.state = state;
      // "Salesforce creates a separate batch for every 10,000 records in your job data"
      // (Bulk API 2.0 and Bulk API Developer Guide, limits): they count in DailyBulkApiBatches.
      const rows = job.successful.length + job.failed.length;
      if (rows > 0) this.ctx.apiCalls.addUsage('DailyBulkApiBatches', Math.ceil(rows / 10_000));
      if (errorMessage !== undefined) job.errorMessage = errorMessage;
      job.finishedAt = performance.now();
      job.systemModstamp = this.ctx.clock.now();
    };
    const remaining = (job.closedAt ?? 0) + this.settings.processingDelayMs - performance.now();
    if (remaining <= 0) complete();
    else scheduleJobStep(job, remaining, complete);
  }

  /** UploadComplete -> InProgress: parses the upload and applies it row by row. */
  private start(job: IngestJob): void {
    if (!startProcessing(job, this.ctx.clock)) return;
    void this.process(job).catch((error: unknown) => {
      this.finish(job, 'Failed', `InternalServerError : ${String(error)}`);
    });
  }

  private async process(job: IngestJob): Promise<void> {
    const data = job.uploads[0];
    job.uploads = [];
    if (!data || data.length === 0) {
      this.finish(
        job,
        'Failed',
        'ClientInputError : No job data was uploaded before UploadComplete'
      );
      return;
    }
    const lineEndingProblem = this.checkLineEnding(job, data);
    if (lineEndingProblem) {
      this.finish(job, 'Failed', lineEndingProblem);
      return;
    }

    const parser = Readable.from([data]).pipe(
      parse({
        delimiter: COLUMN_DELIMITERS[job.columnDelimiter],
        record_delimiter: LINE_ENDINGS[job.lineEnding],
        bom: true,
        relax_column_count: true,
        skip_empty_lines: true
      })
    );
    let writer: IngestRowWriter | undefined;
    let headerFailure: string | undefined;
    let pending: string[][] | undefined;
    let sinceYield = 0;
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        if (pending) {
          pending.push(record);
          continue;
        }
        if (!writer) {
          job.header = record;
          const ctx = this.ctx.permissions.contextFor(this.ctx, job.principal);
          const resolved = resolveHeader(ctx, job.object, record);
          if ('failure' in resolved) {
            // Field names are checked before any row: the whole upload stays unprocessed.
            headerFailure = resolved.failure;
            pending = job.unprocessed;
            continue;
          }
          writer = new IngestRowWriter(
            ctx,
            job.object,
            job.operation,
            resolved.targets,
            job.principal,
            job.externalIdField
          );
          continue;
        }
        if (job.state !== 'InProgress') {
          // Aborted meanwhile: the rest of the data is never applied.
          pending = job.unprocessed;
          pending.push(record);
          continue;
        }
        const outcome = writer.write(record);
        if (outcome.ok)
          job.successful.push({ id: outcome.id, created: outcome.created, values: record });
        else job.failed.push({ id: outcome.id, error: outcome.error, values: record });
        if (++sinceYield >= ROWS_PER_SLICE) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.finish(job, 'Failed', `InvalidBatch : Failed to parse CSV. ${reason}`);
      return;
    }
    if (headerFailure !== undefined) this.finish(job, 'Failed', headerFailure);
    else if (!writer) this.finish(job, 'Failed', 'InvalidBatch : The CSV has no header row');
    else this.finish(job, 'JobComplete');
  }

  /**
   * The data's line ending must be the job's: Salesforce fails the job with
   * `ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF`.
   * The end of the header row decides (values may legitimately contain other line breaks).
   */
  private checkLineEnding(job: IngestJob, data: Buffer): string | undefined {
    const newline = data.indexOf(0x0a);
    if (newline < 0) return undefined;
    const crlf = newline > 0 && data[newline - 1] === 0x0d;
    if ((job.lineEnding === 'LF') === !crlf) return undefined;
    return `ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is ${job.lineEnding}`;
  }
}
