// What Bulk API 2.0 query and ingest jobs share: job info, the states, and waiting for a job to
// finish by polling with a growing interval (every poll is an API call).
//
// A poll timeout leaves the job alone. jsforce deletes the job when its poll times out
// (TOOLCHAIN.md), which throws away work the org already did and may be nearly finished; here the
// caller gets a BulkJobPollTimeoutError naming the job and may wait again, read it later, or
// abort it deliberately.
import { isSalesforceId } from '../../../../toolkit/src/salesforce-id.ts';
import { backoffDelay, delay, type BackoffOptions } from '../../../../toolkit/src/backoff.ts';
import type { SalesforceConnection, SalesforceRequest } from './connection.ts';
import { SalesforceError } from './errors.ts';

export type BulkJobState =
  'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

export type BulkJobKind = 'query' | 'ingest';

/** Job info as Bulk API 2.0 returns it (the fields the clients use, and the rest as-is). */
export interface BulkJobInfo {
  id: string;
  object: string;
  operation: string;
  state: BulkJobState;
  apiVersion?: number;
  columnDelimiter?: string;
  lineEnding?: string;
  /** Failed jobs: why (may be absent: the real API does not always say). */
  errorMessage?: string;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
  [key: string]: unknown;
}

export interface PollOptions extends BackoffOptions {
  /** Give up waiting (the job is NOT deleted) after this long. */
  timeoutMs: number;
}

export const DEFAULT_POLL: PollOptions = {
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  factor: 1.5,
  timeoutMs: 30 * 60_000
};

/** A job that ended Failed or Aborted. */
export class BulkJobFailedError extends SalesforceError {
  readonly jobId: string;
  readonly state: BulkJobState;
  readonly job: BulkJobInfo;

  constructor(kind: BulkJobKind, job: BulkJobInfo) {
    const why = job.errorMessage ? `: ${job.errorMessage}` : ' (Salesforce gave no reason)';
    super({
      status: 200,
      errorCode: job.state === 'Aborted' ? 'BULK_JOB_ABORTED' : 'BULK_JOB_FAILED',
      message: `Bulk API 2.0 ${kind} job ${job.id} ended ${job.state}${why}`,
      operation: `bulk.${kind}.poll`
    });
    this.name = 'BulkJobFailedError';
    this.jobId = job.id;
    this.state = job.state;
    this.job = job;
  }
}

/** Still running when we stopped waiting; the job lives on and can be waited for again. */
export class BulkJobPollTimeoutError extends SalesforceError {
  readonly jobId: string;
  readonly lastState: BulkJobState;

  constructor(kind: BulkJobKind, jobId: string, lastState: BulkJobState, waitedMs: number) {
    super({
      status: 0,
      errorCode: 'BULK_JOB_POLL_TIMEOUT',
      message: `Bulk API 2.0 ${kind} job ${jobId} still ${lastState} after ${Math.round(waitedMs / 1000)} s; the job was left running`,
      operation: `bulk.${kind}.poll`
    });
    this.name = 'BulkJobPollTimeoutError';
    this.jobId = jobId;
    this.lastState = lastState;
  }
}

export function checkJobId(jobId: string): string {
  if (!isSalesforceId(jobId))
    throw new TypeError(`Not a Bulk API job id: ${JSON.stringify(jobId)}`);
  return jobId;
}

/** How a job's CSV is written; Salesforce's defaults are COMMA and LF. */
export interface CsvFormat {
  columnDelimiter?: string;
  lineEnding?: 'LF' | 'CRLF';
}

/**
 * POST `jobs/{kind}`: a new job with the kind's `properties` (operation, object or query) and
 * its CSV format, the only content type Bulk API 2.0 takes.
 */
export function createBulkJob(
  connection: SalesforceConnection,
  kind: BulkJobKind,
  properties: Record<string, unknown>,
  format: CsvFormat,
  signal?: AbortSignal
): Promise<BulkJobInfo> {
  return connection.requestJson<BulkJobInfo>({
    operation: `bulk.${kind}.create`,
    method: 'POST',
    path: `jobs/${kind}`,
    json: {
      ...properties,
      contentType: 'CSV',
      columnDelimiter: format.columnDelimiter ?? 'COMMA',
      lineEnding: format.lineEnding ?? 'LF'
    },
    signal
  });
}

/** A request on the resource of one job, `jobs/{kind}/{id}`, counted as `bulk.{kind}.{action}`. */
function jobRequest(
  kind: BulkJobKind,
  jobId: string,
  action: 'poll' | 'abort' | 'delete',
  request: Omit<SalesforceRequest, 'operation' | 'path'>
): SalesforceRequest {
  return {
    operation: `bulk.${kind}.${action}`,
    path: `jobs/${kind}/${checkJobId(jobId)}`,
    ...request
  };
}

export function getJob(
  connection: SalesforceConnection,
  kind: BulkJobKind,
  jobId: string,
  signal?: AbortSignal
): Promise<BulkJobInfo> {
  return connection.requestJson<BulkJobInfo>(jobRequest(kind, jobId, 'poll', { signal }));
}

export interface WaitOptions {
  poll?: Partial<PollOptions>;
  signal?: AbortSignal;
  /** Called with every job info seen (progress reporting). */
  onPoll?: (job: BulkJobInfo) => void;
}

/**
 * Polls until JobComplete (returned), Failed/Aborted (BulkJobFailedError) or the timeout
 * (BulkJobPollTimeoutError, job untouched). The first poll is immediate.
 */
export async function waitForJob(
  connection: SalesforceConnection,
  kind: BulkJobKind,
  jobId: string,
  options: WaitOptions = {}
): Promise<BulkJobInfo> {
  const poll: PollOptions = { ...DEFAULT_POLL, ...options.poll };
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    const job = await getJob(connection, kind, jobId, options.signal);
    options.onPoll?.(job);
    if (job.state === 'JobComplete') return job;
    if (job.state === 'Failed' || job.state === 'Aborted') throw new BulkJobFailedError(kind, job);
    const waited = performance.now() - started;
    const wait = backoffDelay(attempt, poll);
    if (waited + wait > poll.timeoutMs)
      throw new BulkJobPollTimeoutError(kind, jobId, job.state, waited);
    await delay(wait, options.signal);
  }
}

/** PATCH state Aborted. */
export function abortJob(
  connection: SalesforceConnection,
  kind: BulkJobKind,
  jobId: string,
  signal?: AbortSignal
): Promise<BulkJobInfo> {
  return connection.requestJson<BulkJobInfo>(
    jobRequest(kind, jobId, 'abort', { method: 'PATCH', json: { state: 'Aborted' }, signal })
  );
}

/** DELETE (only for jobs in a terminal state; results are gone afterwards). */
export async function deleteJob(
  connection: SalesforceConnection,
  kind: BulkJobKind,
  jobId: string,
  signal?: AbortSignal
): Promise<void> {
  const response = await connection.request(
    jobRequest(kind, jobId, 'delete', { method: 'DELETE', signal })
  );
  await response.body?.cancel();
}

/** What the query reader and the ingest writer both offer on one of their jobs. */
export interface BulkJobOperations {
  getJob(jobId: string, options?: { signal?: AbortSignal }): Promise<BulkJobInfo>;
  /** Until JobComplete; Failed/Aborted throw BulkJobFailedError, a timeout BulkJobPollTimeoutError. */
  waitForJob(jobId: string, options?: WaitOptions): Promise<BulkJobInfo>;
  abortJob(jobId: string, options?: { signal?: AbortSignal }): Promise<BulkJobInfo>;
  deleteJob(jobId: string, options?: { signal?: AbortSignal }): Promise<void>;
}

/** The job operations for jobs of one kind; `poll` holds the client's polling defaults. */
export function jobOperations(
  connection: SalesforceConnection,
  kind: BulkJobKind,
  poll?: Partial<PollOptions>
): BulkJobOperations {
  return {
    getJob: (jobId, options = {}) => getJob(connection, kind, jobId, options.signal),
    waitForJob: (jobId, options = {}) =>
      waitForJob(connection, kind, jobId, { ...options, poll: { ...poll, ...options.poll } }),
    abortJob: (jobId, options = {}) => abortJob(connection, kind, jobId, options.signal),
    deleteJob: (jobId, options = {}) => deleteJob(connection, kind, jobId, options.signal)
  };
}
