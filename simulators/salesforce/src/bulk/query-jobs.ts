/**
 * Bulk API 2.0 query jobs: creation (with the rejections the real API gives), the state machine
 * UploadComplete -> InProgress -> JobComplete, abort, delete, and results served set by set.
 *
 * Memory stays flat whatever the result size: a job never materialises its rows. Processing
 * counts the matching rows, and each results request walks the query's lazy iterator for one
 * set only, streaming the CSV as the client reads it. The iterator of the last set served is
 * kept, positioned at the next locator, so a client reading sets in order pays O(set) per
 * request; a request for any other locator starts a fresh iterator and skips to its offset.
 *
 * Like a real org, results are a snapshot of the matching rows at completion: a set never
 * reaches past the row count taken then (rows inserted later are not served; rows deleted
 * meanwhile shorten the last set).
 */
import { Readable } from 'node:stream';
import type { EmulatorContext, PreparedQuery, Principal } from '../model.ts';
import { bulkQueryRestriction } from '../soql/index.ts';
import { cellFormatters, writeQueryCsv, type CellFormatter } from './csv.ts';
import { bulkFaultsOf } from './faults.ts';
import {
  deleteNotTerminated,
  invalidJobState,
  invalidLocator,
  invalidProperty,
  resultsNotReady
} from './errors.ts';
import {
  TERMINAL_STATES,
  cancelJobStep,
  checkAbortable,
  csvFormatProperties,
  decodeOffset,
  encodeOffset,
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

export interface QueryJobSettings {
  /**
   * Least time (ms) from creation to JobComplete. The job turns InProgress after half of it, or
   * at the first poll, whichever comes first. 0: complete as soon as the rows are counted.
   */
  processingDelayMs: number;
  /** Rows per results set when the request has no `maxRecords` (before the size limit). */
  defaultMaxRecords: number;
  /**
   * About this many CSV bytes at most per set, with or without `maxRecords` ("the request is
   * still subject to the size limits"); rows are counted by the job's average row width.
   */
  maxSetBytes: number;
}

export const DEFAULT_QUERY_JOB_SETTINGS: QueryJobSettings = {
  processingDelayMs: 0,
  // Salesforce sizes sets by bytes when maxRecords is absent (large enough that its docs warn
  // of timeouts); the emulator streams sets, so a large set costs no memory.
  defaultMaxRecords: Number.POSITIVE_INFINITY,
  maxSetBytes: 64 * 1024 * 1024
};

/** Rows serialised per chunk of a results response. */
// 500 rows of ~125 bytes stay under V8's large-object size, so slices die young in the nursery.
const ROWS_PER_SLICE = 500;

/** Rows sampled to estimate a job's row width. */
const SAMPLE_ROWS = 200;

type QueryOperation = 'query' | 'queryAll';

interface Cursor {
  offset: number;
  iterator: Iterator<Record<string, unknown>>;
}

interface QueryJob {
  id: string;
  operation: QueryOperation;
  object: string;
  apiVersion: string;
  createdById: string;
  createdDate: Date;
  systemModstamp: Date;
  state: JobState;
  lineEnding: LineEnding;
  columnDelimiter: ColumnDelimiter;
  prepared: PreparedQuery;
  formatters: CellFormatter[];
  /** performance-clock instants (ms) driving the state machine. */
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** Rows the query matched, known once processing has counted them. */
  totalRows?: number;
  cursor?: Cursor;
  /** Why the job ended Failed / Aborted by itself (job info `errorMessage`). */
  errorMessage?: string;
  /** A driver fault this job meets when processing starts (faults.ts). */
  fault?: { state: 'Failed' | 'Aborted'; message: string };
  /** Mean CSV bytes per row, sampled at the first results request. */
  averageRowBytes?: number;
  timer?: NodeJS.Timeout;
}

export interface ResultSet {
  /** The set's CSV, produced while it is sent. */
  body: Readable;
  numberOfRecords: number;
  /** The locator of the next set, or the string `null` after the last one. */
  nextLocator: string;
}

/** Advances past `count` rows; false when the rows ran out first. */
function skipRows(iterator: Iterator<Record<string, unknown>>, count: number): boolean {
  for (let i = 0; i < count; i++) if (iterator.next().done) return false;
  return true;
}

export class QueryJobs {
  private readonly jobs = new Map<string, QueryJob>();

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly ids: JobIds,
    private readonly settings: QueryJobSettings,
    /** Told about queries that threw while processing (the plugin logs them). */
    private readonly onFailure?: (jobId: string, error: unknown) => void
  ) {}

  /** POST /jobs/query: validates the job and its SOQL, then queues it (state UploadComplete). */
  create(body: unknown, apiVersion: string, by: Principal): Record<string, unknown> {
    const request = requestObject(body);
    // `operation` and `query` are required; the other properties have defaults.
    if (request.operation === undefined) throw invalidProperty('operation', undefined);
    const operation = enumProperty<QueryOperation>(
      request,
      'operation',
      ['query', 'queryAll'],
      'query'
    );
    const { columnDelimiter, lineEnding } = csvFormatProperties(request);
    const soql = request.query;
    if (typeof soql !== 'string' || soql.trim() === '') throw invalidProperty('query', soql);

    // What Bulk API 2.0 refuses (aggregates, compound fields, subqueries...) is reported with
    // its own error before the usual SOQL parse/resolve errors.
    // The query runs with the job creator's permissions (their schema view, records and FLS).
    const ctx = this.ctx.permissions.contextFor(this.ctx, by);
    const restriction = bulkQueryRestriction(soql, ctx.schema);
    if (restriction) throw restriction;
    const prepared = ctx.soql.prepare(soql);

    const now = this.ctx.clock.now();
    const job: QueryJob = {
      id: this.ids.next(),
      operation,
      object: prepared.objectName,
      apiVersion,
      createdById: by.userId,
      createdDate: now,
      systemModstamp: now,
      state: 'UploadComplete',
      lineEnding,
      columnDelimiter,
      prepared,
      formatters: cellFormatters(ctx.schema, prepared.objectName, prepared.columns),
      createdAt: performance.now()
    };
    const fault = bulkFaultsOf(this.ctx).takeQueryJob(job.object);
    if (fault) job.fault = fault;
    this.jobs.set(job.id, job);
    // Every query job created counts against the org's daily allocation (/limits).
    this.ctx.apiCalls.addUsage('DailyBulkV2QueryJobs');
    scheduleJobStep(job, this.settings.processingDelayMs / 2, () => this.start(job));
    return {
      ...this.summary(job),
      lineEnding: job.lineEnding,
      columnDelimiter: job.columnDelimiter
    };
  }

  /**
   * GET /jobs/query/{id}. A poll also moves a queued job on (it need not wait for the timer),
   * so a client sees InProgress at its first poll at the latest.
   */
  info(id: string): Record<string, unknown> | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (job.state === 'UploadComplete') this.start(job);
    return this.fullInfo(job);
  }

  /** GET /jobs/query: every job, newest last, in the list shape. */
  list(): Array<Record<string, unknown>> {
    return [...this.jobs.values()].map((job) => this.listEntry(job));
  }

  /** PATCH /jobs/query/{id} `{state: 'Aborted'}`: only a job still queued or running. */
  patch(id: string, body: unknown): Record<string, unknown> | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    const request = requestObject(body);
    if (request.state !== 'Aborted') {
      throw invalidJobState(`Invalid state for a query job update: ${String(request.state)}`);
    }
    checkAbortable(job);
    this.stop(job);
    job.state = 'Aborted';
    if (job.startedAt !== undefined) job.finishedAt = performance.now();
    job.systemModstamp = this.ctx.clock.now();
    return this.fullInfo(job);
  }

  /** DELETE /jobs/query/{id}: only once the job is JobComplete, Aborted or Failed. */
  delete(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (!TERMINAL_STATES.has(job.state)) throw deleteNotTerminated();
    this.stop(job);
    this.jobs.delete(id);
    return true;
  }

  creatorOf(id: string): string | undefined {
    return this.jobs.get(id)?.createdById;
  }

  apiVersionOf(id: string): string | undefined {
    return this.jobs.get(id)?.apiVersion;
  }

  /** GET /jobs/query/{id}/results: one set of rows as CSV, header row included. */
  results(
    id: string,
    locator: string | undefined,
    maxRecords: number | undefined
  ): ResultSet | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (job.state === 'UploadComplete') this.start(job);
    if (job.state !== 'JobComplete' || job.totalRows === undefined)
      throw resultsNotReady(job.state);
    const total = job.totalRows;

    let offset = 0;
    if (locator !== undefined) {
      const decoded = decodeOffset(locator);
      if (decoded === undefined || decoded >= total) throw invalidLocator(locator);
      offset = decoded;
    }

    // The set's size is fixed before the first byte is sent (its headers carry the count and
    // the next locator): the requested or default row count, cut to the size limit by the
    // average width of this job's rows.
    const rowsBySize = Math.max(
      1,
      Math.floor(this.settings.maxSetBytes / this.averageRowBytes(job))
    );
    const setRows = Math.min(
      maxRecords ?? this.settings.defaultMaxRecords,
      rowsBySize,
      total - offset
    );
    const nextOffset = offset + setRows;

    // Resume the iterator left at this locator, else start over and skip to it. It is taken
    // out while in use: a concurrent request for the same locator starts its own.
    const cursor = job.cursor?.offset === offset ? job.cursor : undefined;
    job.cursor = undefined;
    const body = Readable.from(
      this.writeSet(job, offset, setRows, cursor?.iterator, (iterator) => {
        if (nextOffset < total && this.jobs.get(job.id) === job && job.state === 'JobComplete') {
          job.cursor = { offset: nextOffset, iterator };
        }
      }),
      { objectMode: false }
    );
    return {
      body,
      numberOfRecords: setRows,
      nextLocator: nextOffset < total ? encodeOffset(nextOffset) : 'null'
    };
  }

  /**
   * The CSV of one set, produced as the response is read: the header row, then the rows in
   * slices. Once every row was written the iterator, now at the next locator, is handed back.
   */
  private *writeSet(
    job: QueryJob,
    offset: number,
    setRows: number,
    resumed: Iterator<Record<string, unknown>> | undefined,
    keep: (iterator: Iterator<Record<string, unknown>>) => void
  ): Generator<string> {
    const columns = job.prepared.columns;
    yield writeQueryCsv([columns.slice()], job);
    const iterator = resumed ?? this.rows(job)[Symbol.iterator]();
    if (!resumed && !skipRows(iterator, offset)) return;
    let written = 0;
    while (written < setRows) {
      const slice: Array<Array<string | null>> = [];
      const sliceEnd = Math.min(setRows, written + ROWS_PER_SLICE);
      while (written < sliceEnd) {
        const next = iterator.next();
        // Rows deleted since completion shorten the set.
        if (next.done) {
          if (slice.length > 0) yield writeQueryCsv(slice, job);
          return;
        }
        slice.push(this.cells(job, next.value));
        written += 1;
      }
      yield writeQueryCsv(slice, job);
    }
    keep(iterator);
  }

  private cells(job: QueryJob, row: Record<string, unknown>): Array<string | null> {
    const columns = job.prepared.columns;
    const cells = new Array<string | null>(columns.length);
    for (let c = 0; c < columns.length; c++) {
      cells[c] = (job.formatters[c] as CellFormatter)(row[columns[c] as string]);
    }
    return cells;
  }

  /** Mean CSV width of the job's first rows, measured once (at least 1 byte). */
  private averageRowBytes(job: QueryJob): number {
    if (job.averageRowBytes === undefined) {
      let rows = 0;
      let bytes = 0;
      for (const row of this.rows(job)) {
        bytes += writeQueryCsv([this.cells(job, row)], job).length;
        if (++rows >= SAMPLE_ROWS) break;
      }
      job.averageRowBytes = rows === 0 ? 1 : Math.max(1, bytes / rows);
    }
    return job.averageRowBytes;
  }

  /** Stops every timer and forgets every job (emulator reset / shutdown). */
  clear(): void {
    for (const job of this.jobs.values()) this.stop(job);
    this.jobs.clear();
  }

  private rows(job: QueryJob): Iterable<Record<string, unknown>> {
    return job.prepared.runFlat({ includeDeleted: job.operation === 'queryAll' });
  }

  /** The fields every job answer starts with (create, list, info). */
  private summary(job: QueryJob): Record<string, unknown> {
    return {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: job.createdById,
      createdDate: jobDate(job.createdDate),
      systemModstamp: jobDate(job.systemModstamp),
      state: job.state,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(job.apiVersion)
    };
  }

  /** A job in the job list; its full info adds the progress to these fields. */
  private listEntry(job: QueryJob): Record<string, unknown> {
    return {
      ...this.summary(job),
      jobType: 'V2Query',
      lineEnding: job.lineEnding,
      columnDelimiter: job.columnDelimiter
    };
  }

  private fullInfo(job: QueryJob): Record<string, unknown> {
    return {
      ...this.listEntry(job),
      numberRecordsProcessed: job.state === 'JobComplete' ? (job.totalRows ?? 0) : 0,
      retries: 0,
      totalProcessingTime: processingTime(job),
      isPkChunkingSupported: true,
      ...(job.errorMessage === undefined ? {} : { errorMessage: job.errorMessage })
    };
  }

  private stop(job: QueryJob): void {
    cancelJobStep(job);
    job.cursor = undefined;
  }

  /** UploadComplete -> InProgress: counts the rows, then completes once the delay is over. */
  private start(job: QueryJob): void {
    if (!startProcessing(job, this.ctx.clock)) return;
    if (job.fault) {
      this.end(job, job.fault.state, job.fault.message);
      return;
    }

    // The row count is the snapshot the results are served from; counting walks the store
    // without building rows (and is immediate for a query without WHERE).
    let rows: number;
    try {
      rows = job.prepared.count({ includeDeleted: job.operation === 'queryAll' });
    } catch (error) {
      this.fail(job, error);
      return;
    }
    this.counted(job, rows);
  }

  private counted(job: QueryJob, rows: number): void {
    if (job.state !== 'InProgress') return;
    job.totalRows = rows;
    const remaining = job.createdAt + this.settings.processingDelayMs - performance.now();
    if (remaining <= 0) this.complete(job);
    else scheduleJobStep(job, remaining, () => this.complete(job));
  }

  private complete(job: QueryJob): void {
    if (job.state !== 'InProgress') return;
    job.state = 'JobComplete';
    job.finishedAt = performance.now();
    job.systemModstamp = this.ctx.clock.now();
  }

  /** A query that throws while running fails the job (the real API gives no message). */
  private fail(job: QueryJob, error: unknown): void {
    if (job.state !== 'InProgress') return;
    this.end(job, 'Failed', undefined);
    this.onFailure?.(job.id, error);
  }

  /** InProgress -> Failed / Aborted without results, with the job info's `errorMessage`. */
  private end(job: QueryJob, state: 'Failed' | 'Aborted', message: string | undefined): void {
    job.state = state;
    if (message !== undefined) job.errorMessage = message;
    job.finishedAt = performance.now();
    job.systemModstamp = this.ctx.clock.now();
  }
}
