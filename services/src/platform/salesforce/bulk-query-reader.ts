// Bulk API 2.0 query reader that streams any number of rows with flat memory.
//
// create job (`query` or `queryAll`) -> poll with backoff until JobComplete -> loop over
// `results?locator=&maxRecords=`: each page is requested with `Accept-Encoding: gzip` (over
// node:http rather than fetch, see connection.ts StreamedResponse), its body fed to its own
// csv-parse parser and yielded in batches or row by row. Rows are pulled by the consumer
// (async iteration), so a slow consumer stops the socket reads instead of piling rows up: at most
// one page's socket and parser buffers are in memory, whatever the result size.
//
// Why not jsforce `bulk2.query` (TOOLCHAIN.md, checked with jsforce 3.10.16): it buffers every
// page before its promise resolves, counts the header line of every later page as a record, stalls
// at about 1M rows on an internal PassThrough, and DELETEs the job when its poll times out. Here
// each page has its own parser (a page's header is never a record), a poll timeout leaves the job
// alone, and every request goes through the shared connection, so it is counted as an API call.
//
// Resuming: results are addressed by locator. `readPages` tells, per page, the locator it was
// read with and the one after it; a caller that checkpoints `nextLocator` after finishing a page
// resumes exactly there with `readQueryResults(jobId, { fromLocator })` (query results stay
// available for 7 days after the job completes). A page interrupted by a dropped connection is
// fetched again from its own locator, skipping the rows already yielded.
import { finished } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type { SalesforceConnection, StreamedResponse } from './connection.ts';
import {
  checkJobId,
  createBulkJob,
  jobOperations,
  type BulkJobInfo,
  type BulkJobOperations,
  type WaitOptions
} from './bulk-jobs.ts';
import { isNetworkError, isTransientError, networkError, SalesforceError } from './errors.ts';

/** One result row: column (`Id`, `Account.Name`) -> text, null for an empty (null) field. */
export type BulkRow = Record<string, string | null>;

export type BulkQueryOperation = 'query' | 'queryAll';

export const COLUMN_DELIMITERS = {
  COMMA: ',',
  TAB: '\t',
  SEMICOLON: ';',
  PIPE: '|',
  CARET: '^',
  BACKQUOTE: '`'
} as const;

export type ColumnDelimiter = keyof typeof COLUMN_DELIMITERS;

export interface CreateQueryJobOptions {
  operation?: BulkQueryOperation;
  columnDelimiter?: ColumnDelimiter;
  lineEnding?: 'LF' | 'CRLF';
  signal?: AbortSignal;
}

export interface ReadResultsOptions {
  /** Start at this locator (a checkpoint); absent = first page. The string `null` = nothing left. */
  fromLocator?: string;
  /** Rows per page (`maxRecords`); absent = Salesforce's choice. */
  maxRecords?: number;
  /** The job's column delimiter when it is not COMMA. */
  columnDelimiter?: ColumnDelimiter;
  /**
   * Ask for gzip (default true): about 5x fewer bytes on the wire from a real org. Turn it off
   * when client and server share a machine (the local emulator), where it only costs CPU.
   */
  gzip?: boolean;
  /** Re-fetches of one page after a transient failure. Default 2. */
  pageRetries?: number;
  signal?: AbortSignal;
}

export interface ResultPage {
  /** The locator this page was read with (undefined for the first page). */
  locator: string | undefined;
  /** The locator of the next page, or undefined after the last one. */
  nextLocator: string | undefined;
  /** `Sforce-NumberOfRecords` of this page. */
  numberOfRecords: number;
  /** `gzip` when the page came compressed (it is decoded either way). */
  contentEncoding: string | undefined;
  /** The page's rows; consume them (or `batches`) before asking for the next page. */
  rows: AsyncIterable<BulkRow>;
  /**
   * The same rows in arrays, as they come off the socket (a few hundred each): cheaper than
   * row-by-row iteration, and the natural unit for a batched database insert.
   */
  batches: AsyncIterable<BulkRow[]>;
}

/**
 * One results page as Salesforce sent it: the CSV bytes (gunzipped when the page came
 * compressed), header line included, for a consumer that hands CSV on without parsing it here
 * (PostgreSQL's COPY parses it on the database side). Consume `body` or call `release()`.
 */
export interface RawResultPage {
  locator: string | undefined;
  nextLocator: string | undefined;
  numberOfRecords: number;
  contentEncoding: string | undefined;
  body: AsyncIterable<Uint8Array>;
  release(): void;
}

/** Rows of a job's results, with the position a caller can checkpoint. */
export interface QueryResultStream extends AsyncIterable<BulkRow> {
  readonly jobId: string;
  /**
   * Locator of the page the last yielded row belongs to (undefined: the first page). Resuming
   * from it re-delivers at most that page (at-least-once).
   */
  readonly locator: string | undefined;
  /** Locator of the page after the current one (undefined once the last page is being read). */
  readonly nextLocator: string | undefined;
  readonly rowsRead: number;
  readonly pagesRead: number;
}

export interface BulkQueryReaderOptions {
  /** Polling defaults for every job (see bulk-jobs.ts DEFAULT_POLL). */
  poll?: WaitOptions['poll'];
  /** Default `maxRecords` per page. */
  maxRecords?: number;
  /** Default of ReadResultsOptions.gzip. */
  gzip?: boolean;
}

export interface BulkQueryReader extends BulkJobOperations {
  createJob(soql: string, options?: CreateQueryJobOptions): Promise<BulkJobInfo>;
  /** Result pages one at a time, each with its locators. */
  readPages(jobId: string, options?: ReadResultsOptions): AsyncGenerator<ResultPage>;
  /**
   * One page, unparsed, read from `fromLocator` (absent: the first page). No re-fetch on failure:
   * the caller redoes the page from its locator (e.g. by rolling back what it loaded).
   */
  fetchRawPage(
    jobId: string,
    options?: Omit<ReadResultsOptions, 'columnDelimiter' | 'pageRetries'>
  ): Promise<RawResultPage>;
  /** Result rows, with the checkpointable position. */
  readQueryResults(jobId: string, options?: ReadResultsOptions): QueryResultStream;
  /** createJob + waitForJob + readQueryResults. */
  query(
    soql: string,
    options?: CreateQueryJobOptions &
      Omit<ReadResultsOptions, 'fromLocator'> &
      Omit<WaitOptions, 'signal'>
  ): Promise<{ job: BulkJobInfo; rows: QueryResultStream }>;
}

/**
 * Turns parsed CSV records into objects keyed by the page's own header line. Bulk API writes
 * null as an empty field, and Salesforce stores no empty strings, so every empty cell is null.
 * (Telling `""` from an empty unquoted field would need csv-parse's `cast` hook, which costs ~6x
 * the parse time: 1M rows took 40 s instead of 7.)
 */
class RowBuilder {
  private header: string[] | undefined;

  /** The row of a record, or undefined for the header line. */
  build(cells: string[]): BulkRow | undefined {
    const header = this.header;
    if (header === undefined) {
      this.header = cells;
      return undefined;
    }
    const row: BulkRow = {};
    for (let i = 0; i < header.length; i++) {
      const value = cells[i];
      row[header[i] as string] = value === undefined || value === '' ? null : value;
    }
    return row;
  }
}

/**
 * Parses a CSV body into batches of rows. The body is pulled one network chunk at a time and the
 * next chunk is read only after the consumer took the rows of the previous one: backpressure
 * reaches the socket, and at most one chunk's rows (tens of KB) are in memory. Batching keeps the
 * per-row cost down: one async step per network chunk, not per row.
 */
async function* csvBatches(
  body: AsyncIterable<Uint8Array>,
  delimiter: string
): AsyncGenerator<BulkRow[]> {
  const parser = parse({ delimiter, bom: true });
  const builder = new RowBuilder();
  let batch: BulkRow[] = [];
  let failure: unknown;
  parser.on('data', (cells: string[]) => {
    const row = builder.build(cells);
    if (row) batch.push(row);
  });
  parser.on('error', (error) => {
    failure ??= error;
  });
  const write = (chunk: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      parser.write(chunk, (error) => (error ? reject(error) : resolve()));
    });
  try {
    for await (const chunk of body) {
      await write(chunk);
      if (failure) throw failure;
      if (batch.length > 0) {
        const ready = batch;
        batch = [];
        yield ready;
      }
    }
    parser.end();
    await finished(parser);
    if (failure) throw failure;
    if (batch.length > 0) yield batch;
  } finally {
    parser.destroy();
  }
}

/**
 * Rows one at a time from an async source of batches, as a hand-written async iterator: one
 * promise per row, where a chain of async generators costs several per layer. At a million rows
 * (and under the async-context tracking of a test runner or an APM agent) that garbage is what
 * drives the process's memory.
 */
function rowsOf<T>(batches: AsyncIterable<T[]>, onRow?: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const source = batches[Symbol.asyncIterator]();
      let batch: T[] = [];
      let index = 0;
      let done = false;
      const finished: IteratorReturnResult<undefined> = { value: undefined, done: true };
      const refill = async (): Promise<IteratorResult<T>> => {
        for (;;) {
          const next = await source.next();
          if (next.done) {
            done = true;
            return finished;
          }
          batch = next.value;
          index = 0;
          if (batch.length > 0) {
            onRow?.();
            return { value: batch[index++] as T, done: false };
          }
        }
      };
      return {
        next() {
          if (index < batch.length) {
            onRow?.();
            return Promise.resolve({ value: batch[index++] as T, done: false });
          }
          return done ? Promise.resolve(finished) : refill();
        },
        async return() {
          done = true;
          batch = [];
          await source.return?.(undefined);
          return finished;
        }
      };
    }
  };
}

/** A results page whose headers arrived; `release()` drops its connection. */
interface FetchedPage {
  response: StreamedResponse;
  release(): void;
  nextLocator: string | undefined;
  numberOfRecords: number;
}

/** `Sforce-Locator` says `null` after the last page. */
function locatorFrom(header: string | null): string | undefined {
  return header === null || header === '' || header === 'null' ? undefined : header;
}

export function createBulkQueryReader(
  connection: SalesforceConnection,
  defaults: BulkQueryReaderOptions = {}
): BulkQueryReader {
  /** One GET of a results page: headers read, body not yet. */
  const fetchPage = async (
    jobId: string,
    locator: string | undefined,
    options: ReadResultsOptions
  ): Promise<FetchedPage> => {
    const maxRecords = options.maxRecords ?? defaults.maxRecords;
    if (maxRecords !== undefined && (!Number.isInteger(maxRecords) || maxRecords < 1)) {
      throw new RangeError('maxRecords must be a positive integer');
    }
    const response = await connection.stream({
      operation: 'bulk.query.results',
      path: `jobs/query/${jobId}/results`,
      query: { locator, maxRecords },
      headers: {
        Accept: 'text/csv',
        'Accept-Encoding': (options.gzip ?? defaults.gzip ?? true) ? 'gzip' : 'identity'
      },
      signal: options.signal
    });
    return {
      response,
      // A consumer that stops mid-page must drop the connection, or the unread body keeps the
      // socket (and the server's response) busy until a timeout.
      release: () => response.release(),
      nextLocator: locatorFrom(response.header('sforce-locator')),
      numberOfRecords: Number(response.header('sforce-numberofrecords') ?? NaN)
    };
  };

  /** One page's rows in batches, re-fetched after a transient failure, skipping rows seen. */
  async function* pageBatches(
    jobId: string,
    locator: string | undefined,
    first: FetchedPage,
    options: ReadResultsOptions
  ): AsyncGenerator<BulkRow[]> {
    const delimiter = COLUMN_DELIMITERS[options.columnDelimiter ?? 'COMMA'];
    const retries = options.pageRetries ?? 2;
    let page: FetchedPage | undefined = first;
    let yielded = 0;
    for (let attempt = 0; ; attempt++) {
      page ??= await fetchPage(jobId, locator, options);
      const body = page.response.body as AsyncIterable<Uint8Array>;
      let skip = yielded;
      let complete = false;
      try {
        for await (let batch of csvBatches(body, delimiter)) {
          if (skip > 0) {
            const dropped = Math.min(skip, batch.length);
            skip -= dropped;
            batch = batch.slice(dropped);
            if (batch.length === 0) continue;
          }
          yielded += batch.length;
          yield batch;
        }
        complete = true;
        return;
      } catch (error) {
        // A dropped connection mid-body is worth another try; a CSV that does not parse is not.
        if (!(error instanceof SalesforceError) && !isNetworkError(error)) throw error;
        const failure =
          error instanceof SalesforceError ? error : networkError('bulk.query.results', error);
        if (options.signal?.aborted || attempt >= retries || !isTransientError(failure)) {
          throw failure;
        }
        connection.logger?.warn(
          { jobId, locator, rowsOfPageRead: yielded, errorCode: failure.errorCode },
          'Bulk API result page interrupted; reading it again'
        );
        page.release();
        page = undefined;
      } finally {
        // Reached on early exit (break/return of the consumer) too: drop the connection.
        if (!complete) page?.release();
      }
    }
  }

  async function* readPages(
    jobId: string,
    options: ReadResultsOptions = {}
  ): AsyncGenerator<ResultPage> {
    checkJobId(jobId);
    if (options.fromLocator === 'null') return;
    let locator = options.fromLocator === '' ? undefined : options.fromLocator;
    for (;;) {
      const page = await fetchPage(jobId, locator, options);
      const { nextLocator, numberOfRecords } = page;
      const batches = pageBatches(jobId, locator, page, options);
      try {
        yield {
          locator,
          nextLocator,
          numberOfRecords,
          contentEncoding: page.response.contentEncoding,
          batches,
          rows: rowsOf(batches)
        };
      } finally {
        // Rows the consumer did not read are dropped with the connection, not downloaded.
        await batches.return(undefined);
      }
      if (nextLocator === undefined) return;
      locator = nextLocator;
    }
  }

  const readQueryResults = (jobId: string, options: ReadResultsOptions = {}): QueryResultStream => {
    let locator =
      options.fromLocator === '' || options.fromLocator === 'null'
        ? undefined
        : options.fromLocator;
    let nextLocator: string | undefined;
    let rowsRead = 0;
    let pagesRead = 0;
    return {
      jobId,
      get locator() {
        return locator;
      },
      get nextLocator() {
        return nextLocator;
      },
      get rowsRead() {
        return rowsRead;
      },
      get pagesRead() {
        return pagesRead;
      },
      [Symbol.asyncIterator]() {
        async function* batches(): AsyncGenerator<BulkRow[]> {
          for await (const page of readPages(jobId, options)) {
            locator = page.locator;
            nextLocator = page.nextLocator;
            pagesRead += 1;
            yield* page.batches;
          }
        }
        return rowsOf(batches(), () => (rowsRead += 1))[Symbol.asyncIterator]();
      }
    };
  };

  return {
    async createJob(soql, options = {}) {
      if (typeof soql !== 'string' || soql.trim() === '')
        throw new TypeError('A SOQL query is required');
      return createBulkJob(
        connection,
        'query',
        { operation: options.operation ?? 'query', query: soql },
        options,
        options.signal
      );
    },
    ...jobOperations(connection, 'query', defaults.poll),
    readPages,
    async fetchRawPage(jobId, options = {}) {
      checkJobId(jobId);
      if (options.fromLocator === 'null') {
        throw new RangeError('The locator `null` means the last page was read: nothing to fetch');
      }
      const locator = options.fromLocator === '' ? undefined : options.fromLocator;
      const page = await fetchPage(jobId, locator, options);
      return {
        locator,
        nextLocator: page.nextLocator,
        numberOfRecords: page.numberOfRecords,
        contentEncoding: page.response.contentEncoding,
        body: page.response.body as AsyncIterable<Uint8Array>,
        release: page.release
      };
    },
    readQueryResults,
    async query(soql, options = {}) {
      const created = await this.createJob(soql, options);
      const job = await this.waitForJob(created.id, {
        poll: options.poll,
        onPoll: options.onPoll,
        signal: options.signal
      });
      return {
        job,
        rows: readQueryResults(job.id, {
          maxRecords: options.maxRecords,
          columnDelimiter: options.columnDelimiter,
          gzip: options.gzip,
          pageRetries: options.pageRetries,
          signal: options.signal
        })
      };
    }
  };
}
