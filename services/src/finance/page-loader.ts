// One Bulk API 2.0 results page into the run's staging table, and the chunk's checkpoint, in one
// transaction: after a crash the page is either loaded with its checkpoint or neither, so a
// restart reads again from the first page not loaded and never loads one twice.
//
// The CSV is not parsed in JavaScript. Bulk API 2.0 writes RFC 4180 CSV with every value quoted
// and null as an empty unquoted field; PostgreSQL's COPY ... (FORMAT csv) reads exactly that
// dialect as it streams in (quotes doubled, line breaks inside quotes, UTF-8, unquoted empty =
// NULL, quoted "" = empty string), so the page's bytes go from the socket to the database
// untouched. Parsing them here and writing them out again would cost a CSV parse and a CSV
// write per row in this process (csv-parse cannot even tell "" from null without its slow
// `cast` hook), and the values would still be text for PostgreSQL to convert. What is checked
// here: the header line (the page's columns must be the mapping's, in the query's order) and the
// row count (COPY's count must equal Sforce-NumberOfRecords, so a truncated body fails the page).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { RawResultPage } from '../platform/index.ts';
import { OWNS_RUN, RunTakenOverError } from './export-runs.ts';

const LF = 0x0a;
/** A header longer than this is not a Bulk API header (a page without line breaks). */
const MAX_HEADER_BYTES = 256 * 1024;

export class PageLoadError extends Error {
  constructor(
    message: string,
    /** A body cut short is worth reading again; a header that is not the query's is not. */
    readonly retryable: boolean
  ) {
    super(message);
    this.name = 'PageLoadError';
  }
}

/** `"Id","Account__r.Name"` -> ['Id', 'Account__r.Name']. */
function headerColumns(line: Buffer): string[] {
  const text = line.toString('utf8').replace(/\r$/, '');
  const [cells = []] = parse(text, { bom: true }) as string[][];
  return cells;
}

/**
 * The page's bytes after its header line, after checking the header names `expected` (the query's
 * columns, case-insensitive: Salesforce heads columns as the query wrote them).
 */
export async function* csvRowsAfterHeader(
  body: AsyncIterable<Uint8Array>,
  expected: readonly string[]
): AsyncGenerator<Buffer> {
  let head: Buffer = Buffer.alloc(0);
  let checked = false;
  for await (const chunk of body) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (checked) {
      yield bytes;
      continue;
    }
    head = head.length === 0 ? bytes : Buffer.concat([head, bytes]);
    const end = head.indexOf(LF);
    if (end < 0) {
      if (head.length > MAX_HEADER_BYTES)
        throw new PageLoadError('The page has no header line', false);
      continue;
    }
    checkHeader(headerColumns(head.subarray(0, end)), expected);
    checked = true;
    const rest = head.subarray(end + 1);
    head = Buffer.alloc(0);
    if (rest.length > 0) yield rest;
  }
  // A page without rows may come without a header line at all, or with one and no line break.
  if (!checked && head.length > 0) checkHeader(headerColumns(head), expected);
}

function checkHeader(actual: string[], expected: readonly string[]): void {
  const same =
    actual.length === expected.length &&
    actual.every((name, i) => name.toLowerCase() === expected[i]?.toLowerCase());
  if (!same) {
    throw new PageLoadError(
      `The results' columns (${actual.join(', ')}) are not the query's (${expected.join(', ')})`,
      false
    );
  }
}

export interface LoadPageOptions {
  /** Quoted, qualified staging table. */
  stage: string;
  /** Staging columns in the CSV's order (quoted SQL names). */
  columns: readonly string[];
  /** The query's columns, as the header must name them. */
  header: readonly string[];
  /**
   * Non-text staging columns (quoted names): an empty field loads as NULL whether or not it is
   * quoted. Salesforce writes null as an empty unquoted field; this keeps a number, date or
   * boolean column safe should a page quote an empty value (`""` is not a number).
   */
  forceNull?: readonly string[];
  runId: number;
  chunkNo: number;
  /** The chunk's job: the checkpoint moves only if the chunk still reads this job. */
  jobId: string;
  /** This process's attempt at the run (the owner token of its writes). */
  attempt: number;
}

export interface LoadedPage {
  rows: number;
}

/** COPY one page into staging and move the chunk's checkpoint past it, in one transaction. */
export async function loadPage(
  pool: pg.Pool,
  page: RawResultPage,
  options: LoadPageOptions
): Promise<LoadedPage> {
  if (!Number.isSafeInteger(page.numberOfRecords) || page.numberOfRecords < 0) {
    page.release();
    throw new PageLoadError(
      'The page came without a valid Sforce-NumberOfRecords: its rows cannot be checked',
      true
    );
  }
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    // The page's socket must not stay open while the database is out of reach.
    page.release();
    throw error;
  }
  let released = false;
  try {
    await client.query('BEGIN');
    const forceNull = options.forceNull?.length
      ? `, FORCE_NULL (${options.forceNull.join(', ')})`
      : '';
    const copy = client.query(
      copyFrom(
        `COPY ${options.stage} (${options.columns.join(', ')}) FROM STDIN WITH (FORMAT csv${forceNull})`
      )
    );
    await pipeline(Readable.from(csvRowsAfterHeader(page.body, options.header)), copy);
    const rows = Number(copy.rowCount);
    if (rows !== page.numberOfRecords) {
      throw new PageLoadError(
        `The page held ${rows} rows where Sforce-NumberOfRecords said ${page.numberOfRecords}`,
        true
      );
    }
    const done = page.nextLocator === undefined;
    // Compare-and-set on the checkpoint (same job, same locator, same owner): if another process
    // took the run over (this one lost its lease), this load must not count.
    const moved = await client.query(
      `UPDATE finance.export_chunks
          SET next_locator = $3, done = $4, pages = pages + 1, records = records + $5
        WHERE run_id = $1 AND chunk_no = $2 AND NOT done AND job_id = $7
          AND next_locator IS NOT DISTINCT FROM $6 AND ${OWNS_RUN('$8')}`,
      [
        options.runId,
        options.chunkNo,
        page.nextLocator ?? null,
        done,
        rows,
        page.locator ?? null,
        options.jobId,
        options.attempt
      ]
    );
    if (moved.rowCount !== 1) throw new RunTakenOverError(options.runId);
    await client.query(
      `UPDATE finance.export_runs SET records = records + $2, pages = pages + 1 WHERE id = $1`,
      [options.runId, rows]
    );
    await client.query('COMMIT');
    return { rows };
  } catch (error) {
    page.release();
    // A COPY cut off mid-stream leaves the connection in an unknown protocol state: it is closed
    // instead of rolled back, which ends the transaction on the server just as well.
    client.release(error instanceof Error ? error : true);
    released = true;
    throw error;
  } finally {
    if (!released) client.release();
  }
}
