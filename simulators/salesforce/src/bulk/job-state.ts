/**
 * What query and ingest jobs share: the enumerations of the job resource, job ids, the state
 * steps and timer of a job's processing, the JSON Salesforce writes for job info, and paging of
 * the job lists.
 */
import { SalesforceApiError, type Clock } from '../model.ts';
import { newId, normalizeId } from '../ids.ts';
import { invalidJobState, invalidProperty } from './errors.ts';

export type JobState =
  'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['JobComplete', 'Failed', 'Aborted']);

/** `columnDelimiter` values and the character each stands for. */
export const COLUMN_DELIMITERS = {
  COMMA: ',',
  TAB: '\t',
  PIPE: '|',
  SEMICOLON: ';',
  CARET: '^',
  BACKQUOTE: '`'
} as const;
export type ColumnDelimiter = keyof typeof COLUMN_DELIMITERS;

export const LINE_ENDINGS = { LF: '\n', CRLF: '\r\n' } as const;
export type LineEnding = keyof typeof LINE_ENDINGS;

/** Reads an optional enumerated job property; absent means the default, as Salesforce does. */
export function enumProperty<T extends string>(
  body: Record<string, unknown>,
  property: string,
  allowed: readonly T[],
  fallback: T
): T {
  const value = body[property];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
    return value as T;
  throw invalidProperty(property, value);
}

/** The CSV format of a new job: `contentType` (CSV only), `columnDelimiter` and `lineEnding`. */
export function csvFormatProperties(body: Record<string, unknown>): {
  columnDelimiter: ColumnDelimiter;
  lineEnding: LineEnding;
} {
  enumProperty(body, 'contentType', ['CSV'], 'CSV');
  const columnDelimiter = enumProperty(
    body,
    'columnDelimiter',
    Object.keys(COLUMN_DELIMITERS) as ColumnDelimiter[],
    'COMMA'
  );
  const lineEnding = enumProperty(
    body,
    'lineEnding',
    Object.keys(LINE_ENDINGS) as LineEnding[],
    'LF'
  );
  return { columnDelimiter, lineEnding };
}

/** The JSON object of a create/patch request; anything else is a JSON parse problem. */
export function requestObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SalesforceApiError(
      400,
      'JSON_PARSER_ERROR',
      'The request body must be a JSON object describing the job'
    );
  }
  return body as Record<string, unknown>;
}

/** Bulk jobs carry the `750` key prefix; one sequence serves query and ingest jobs alike. */
export class JobIds {
  private sequence = 0;

  next(): string {
    this.sequence += 1;
    return newId('750', this.sequence);
  }

  /** The canonical 18-character form of an id from a URL (15 or 18 characters), if valid. */
  static normalize(raw: string): string | undefined {
    const id = normalizeId(raw);
    return id !== undefined && id.startsWith('750') ? id : undefined;
  }
}

/** A job whose next step (start, completion) waits on a timer. */
export interface TimedJob {
  timer?: NodeJS.Timeout;
}

/**
 * Runs `action` once `delayMs` have passed (at once for a negative delay), in place of any step
 * already scheduled. The timer does not keep the process alive.
 */
export function scheduleJobStep(job: TimedJob, delayMs: number, action: () => void): void {
  if (job.timer) clearTimeout(job.timer);
  job.timer = setTimeout(
    () => {
      job.timer = undefined;
      action();
    },
    Math.max(0, delayMs)
  );
  job.timer.unref();
}

/** Cancels the job's scheduled step, if any. */
export function cancelJobStep(job: TimedJob): void {
  if (job.timer) clearTimeout(job.timer);
  job.timer = undefined;
}

/** The processing progress every job keeps; the instants are performance-clock milliseconds. */
export interface JobProgress extends TimedJob {
  state: JobState;
  systemModstamp: Date;
  startedAt?: number;
  finishedAt?: number;
}

/**
 * UploadComplete -> InProgress, by its timer or by the first poll, whichever comes first; false
 * when the job is past that step already (the other one got there).
 */
export function startProcessing(job: JobProgress, clock: Clock): boolean {
  if (job.state !== 'UploadComplete') return false;
  cancelJobStep(job);
  job.state = 'InProgress';
  job.startedAt = performance.now();
  job.systemModstamp = clock.now();
  return true;
}

/** Milliseconds of processing so far (to its end once finished); 0 before it started. */
export function processingTime(job: JobProgress): number {
  if (job.startedAt === undefined) return 0;
  return Math.round((job.finishedAt ?? performance.now()) - job.startedAt);
}

/** A job that has finished, failed or was aborted cannot be aborted (again). */
export function checkAbortable(job: JobProgress): void {
  if (TERMINAL_STATES.has(job.state)) {
    throw invalidJobState(`Aborting a job in state ${job.state} is not allowed`);
  }
}

/** `2026-11-29T03:00:00.000+0000`: how job info writes dates. */
export function jobDate(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

/**
 * Job info as Salesforce serialises it: `apiVersion` is a JSON number with one decimal
 * (`65.0`), which `JSON.stringify` would shorten to `65`.
 */
export function jobJson(info: object): string {
  return JSON.stringify(info).replace(/"apiVersion":(\d+)(?=[,}])/g, '"apiVersion":$1.0');
}

/** The job lists answer at most this many jobs per page, as documented. */
export const JOB_LIST_PAGE_SIZE = 1000;

export interface JobListPage<T> {
  done: boolean;
  records: T[];
  nextRecordsUrl: string | null;
}

/**
 * One page of a job list. The `queryLocator` of `nextRecordsUrl` is opaque to clients; here it
 * is the offset of the next page, base64-encoded like result locators.
 */
export function pageOfJobs<T>(
  jobs: T[],
  queryLocator: string | undefined,
  basePath: string
): JobListPage<T> {
  let offset = 0;
  if (queryLocator !== undefined && queryLocator !== '') {
    const decoded = decodeOffset(queryLocator);
    if (decoded === undefined || decoded > jobs.length) {
      throw new SalesforceApiError(
        400,
        'INVALID_QUERY_LOCATOR',
        `Invalid queryLocator: ${queryLocator}`
      );
    }
    offset = decoded;
  }
  const records = jobs.slice(offset, offset + JOB_LIST_PAGE_SIZE);
  const next = offset + records.length;
  const done = next >= jobs.length;
  return {
    done,
    records,
    nextRecordsUrl: done ? null : `${basePath}?queryLocator=${encodeOffset(next)}`
  };
}

/**
 * Result locators: Salesforce documents them as pseudo-random strings such as `MTAwMDA`, which
 * is the base64 of `10000`, the offset of the set; the emulator uses the same encoding.
 */
export function encodeOffset(offset: number): string {
  return Buffer.from(String(offset), 'utf8').toString('base64').replace(/=+$/, '');
}

export function decodeOffset(locator: string): number | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(locator)) return undefined;
  const text = Buffer.from(locator, 'base64').toString('utf8');
  if (!/^(0|[1-9]\d{0,15})$/.test(text)) return undefined;
  const offset = Number(text);
  return Number.isSafeInteger(offset) ? offset : undefined;
}
