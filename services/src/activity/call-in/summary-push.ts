// The daily summary push (Remote Call-In): every interval, the activity_days changed since the
// last push go to Salesforce as Daily_Activity_Summary__c in ONE Bulk API 2.0 upsert job by
// External_Key__c, so Salesforce reports and automation see each user's day without one inbound
// call per reading. A clean run costs create + upload + close + a few polls (docs/activity.md).
//
// - Idempotent: an upsert by the day's external key; sending a day twice updates the same record.
// - Watermark: the (updated_at, user_id, day) key of the last day of a job; it moves only once
//   Salesforce completed the job, in the transaction that records the refused days.
// - Resumable: the job id is recorded before its data is uploaded; a restart (or another
//   instance taking over the lease) finds it and waits for that job instead of making a second.
// - A user without a Contact is no refusal: the row carries Fitness_User_Id__c and the org links
//   it (trigger ActivitySummaryLink) when a Contact has that id. Days Salesforce does refuse (a
//   value outside a field's range, a validation rule, a lock...) are counted, logged with
//   Salesforce's reason, written to one Integration_Log__c per run and kept in
//   activity_summary_retries: later runs send them again (backing off) until one takes them.
// - Kill switch: while it is off (or unknown) a run does nothing at all, no API call either; the
//   watermark stays where it was, so the first run after it is on again catches up.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'csv-stringify/sync';
import type pg from 'pg';
import {
  BulkJobFailedError,
  DEFAULT_MAX_BYTES_PER_JOB,
  cellText,
  type BulkIngestWriter,
  type BulkJobInfo,
  type IngestFailure,
  type Logger,
  type PollOptions,
  type RequestBody,
  type RestClient
} from '../../platform/index.ts';
import { writeIntegrationLog } from '../../platform/index.ts';
import { ACTIVITY_SCENARIO } from './kill-switch.ts';
import {
  SUMMARY_COLUMNS,
  SUMMARY_EXTERNAL_ID,
  SUMMARY_OBJECT,
  changedDays,
  dueRetries,
  externalKey,
  parseExternalKey,
  summaryRecord,
  type SummaryKey,
  type SummaryRow
} from './summary-rows.ts';

export const DEFAULT_PUSH_NAME = 'daily-summary';
/** Failed rows named in a log line or an Integration_Log__c (the counts cover all of them). */
const EXAMPLES = 10;

export interface SummaryPushOptions {
  pool: pg.Pool;
  bulkIngest: Pick<
    BulkIngestWriter,
    | 'createJob'
    | 'uploadJobData'
    | 'closeJob'
    | 'getJob'
    | 'waitForJob'
    | 'abortJob'
    | 'failedResults'
    | 'unprocessedRecords'
  >;
  /** For the Integration_Log__c of a run with refused days. */
  rest: Pick<RestClient, 'createMany'>;
  /** The Activity kill switch (platform ScenarioKillSwitch): runs only while `open`. */
  killSwitch: { readonly open: boolean };
  logger?: Logger;
  /** Row of activity_summary_pushes (default `daily-summary`). */
  name?: string;
  /** Pause between runs (ACTIVITY_SUMMARY_PUSH_INTERVAL_MS). */
  intervalMs: number;
  /** Days updated in the last settleMs wait for the next run (ACTIVITY_SUMMARY_SETTLE_MS). */
  settleMs: number;
  /** Days per job; a full job is followed by another run at once (ACTIVITY_SUMMARY_MAX_RECORDS_PER_JOB). */
  maxRecordsPerJob: number;
  /** CSV bytes per job (default 100 MB, Salesforce's advice for one upload). */
  maxBytesPerJob?: number;
  /** Rows per database query (default 100,000). */
  chunkSize?: number;
  /** Refused days sent again per run, at most (default 10,000). */
  retryLimit?: number;
  /** Backoff of refused days: first retry after initialDelayMs, doubling up to maxDelayMs. */
  retryBackoff?: { initialDelayMs: number; maxDelayMs: number };
  /** Job polling (each poll is an API call). */
  poll?: Partial<PollOptions>;
  /** Where the CSV is spooled (default the OS temp dir). */
  spoolDir?: string;
  /** Tests: called after the job id is recorded (before the upload) and after UploadComplete. */
  hooks?: {
    afterJobRecorded?(jobId: string): Promise<void> | void;
    afterJobSubmitted?(jobId: string): Promise<void> | void;
  };
  /** Every finished run (metrics). */
  onRun?(report: SummaryPushReport): void;
}

/** Requests a run sent to Salesforce, by kind: each one is an API call. */
export interface SummaryPushCalls {
  getJob: number;
  create: number;
  upload: number;
  close: number;
  poll: number;
  abort: number;
  results: number;
  log: number;
}

export interface SummaryPushReport {
  /** held: kill switch not open; idle: nothing to send; pushed: a job completed; waiting: poll timed out. */
  outcome: 'held' | 'idle' | 'pushed' | 'failed' | 'waiting';
  jobId?: string;
  /** The job was found in flight (a restart) and waited for, not made again. */
  resumed: boolean;
  /** Days in the job. */
  records: number;
  /** Days of the job that were refused earlier and sent again. */
  retried: number;
  /** Days Salesforce refused (or left unprocessed) in this job. */
  failed: number;
  /** Refusals by error code. */
  failures: Record<string, number>;
  /** Why the job failed as a whole (outcome `failed`): Salesforce's own message. */
  error?: string;
  /** The job was full: more days wait, the next run follows at once. */
  more: boolean;
  calls: SummaryPushCalls;
  apiCalls: number;
}

interface PushState {
  watermark: SummaryKey;
  pendingJobId: string | null;
  pendingState: 'created' | 'submitted' | null;
  pendingThrough: SummaryKey | null;
  pendingRecords: number | null;
}

function emptyCalls(): SummaryPushCalls {
  return { getJob: 0, create: 0, upload: 0, close: 0, poll: 0, abort: 0, results: 0, log: 0 };
}

function total(calls: SummaryPushCalls): number {
  return Object.values(calls).reduce((sum, n) => sum + n, 0);
}

export class SummaryPusher {
  private readonly name: string;
  private lastReport: SummaryPushReport | undefined;
  private lastError: Error | undefined;

  constructor(private readonly options: SummaryPushOptions) {
    this.name = options.name ?? DEFAULT_PUSH_NAME;
  }

  /** The last finished run, and the error of the last run that failed (cleared by a good one). */
  status(): { last: SummaryPushReport | undefined; error: Error | undefined } {
    return { last: this.lastReport, error: this.lastError };
  }

  /**
   * Runs until `signal` aborts (the duty under the lease, so one instance pushes): a run, then
   * the interval, or the next run at once when a job was full.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let more = false;
      try {
        more = (await this.runOnce(signal)).more;
      } catch (error) {
        if (signal.aborted) return;
        this.options.logger?.error({ err: error }, 'activity daily summary push failed');
      }
      if (!more) await sleep(this.options.intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One run: resume the job in flight, else send what changed. */
  async runOnce(signal?: AbortSignal): Promise<SummaryPushReport> {
    const calls = emptyCalls();
    try {
      const report = await this.push(calls, signal);
      this.lastReport = report;
      this.lastError = undefined;
      this.options.onRun?.(report);
      return report;
    } catch (error) {
      this.lastError = error as Error;
      throw error;
    }
  }

  private report(
    calls: SummaryPushCalls,
    fields: Partial<SummaryPushReport> & Pick<SummaryPushReport, 'outcome'>
  ): SummaryPushReport {
    return {
      resumed: false,
      records: 0,
      retried: 0,
      failed: 0,
      failures: {},
      more: false,
      ...fields,
      calls,
      apiCalls: total(calls)
    };
  }

  private async push(calls: SummaryPushCalls, signal?: AbortSignal): Promise<SummaryPushReport> {
    if (!this.options.killSwitch.open) return this.report(calls, { outcome: 'held' });
    const state = await this.loadState();

    if (state.pendingJobId !== null) {
      const jobId = state.pendingJobId;
      let resume = true;
      if (state.pendingState === 'created') {
        // The crash came between recording the job and UploadComplete: the data may or may not
        // be there, and a job takes one upload only. Salesforce says which.
        calls.getJob++;
        const job = await this.options.bulkIngest.getJob(jobId, signal ? { signal } : {});
        if (job.state === 'Open') {
          calls.abort++;
          await this.options.bulkIngest.abortJob(jobId, { signal });
          this.options.logger?.warn(
            { jobId },
            'activity daily summary: job found open after a restart; aborted, its days are sent again'
          );
          await this.clearPending(jobId);
          resume = false;
        }
      }
      if (resume) {
        this.options.logger?.info({ jobId }, 'activity daily summary: resuming the job in flight');
        return this.finish(calls, state, jobId, true, signal);
      }
    }

    const retryLimit = Math.min(this.options.retryLimit ?? 10_000, this.options.maxRecordsPerJob);
    const retries = retryLimit > 0 ? await dueRetries(this.options.pool, retryLimit) : [];
    const limit = this.options.maxRecordsPerJob - retries.length;
    const spool = await mkdtemp(path.join(this.options.spoolDir ?? tmpdir(), 'activity-summary-'));
    try {
      const file = path.join(spool, 'days.csv');
      const written = await this.spool(file, state.watermark, retries, limit, signal);
      if (written.records === 0) {
        await this.options.pool.query(
          `UPDATE activity_summary_pushes SET last_run_at = now() WHERE name = $1`,
          [this.name]
        );
        return this.report(calls, { outcome: 'idle' });
      }

      calls.create++;
      const job = await this.options.bulkIngest.createJob({
        object: SUMMARY_OBJECT,
        operation: 'upsert',
        externalIdFieldName: SUMMARY_EXTERNAL_ID,
        lineEnding: 'LF',
        ...(signal ? { signal } : {})
      });
      const through = written.last ?? state.watermark;
      await this.recordJob(job.id, through, written.records, retries);
      await this.options.hooks?.afterJobRecorded?.(job.id);
      this.options.logger?.info(
        { jobId: job.id, records: written.records, retried: retries.length },
        'activity daily summary: Bulk API upsert job submitted'
      );

      calls.upload++;
      await this.options.bulkIngest.uploadJobData(
        job.id,
        () => Readable.toWeb(createReadStream(file)) as unknown as RequestBody,
        signal ? { signal } : {}
      );
      calls.close++;
      await this.options.bulkIngest.closeJob(job.id, signal ? { signal } : {});
      await this.options.pool.query(
        `UPDATE activity_summary_pushes SET pending_state = 'submitted' WHERE name = $1 AND pending_job_id = $2`,
        [this.name, job.id]
      );
      await this.options.hooks?.afterJobSubmitted?.(job.id);
      const report = await this.finish(
        calls,
        { ...state, pendingThrough: through, pendingRecords: written.records },
        job.id,
        false,
        signal
      );
      return {
        ...report,
        retried: retries.length,
        more: written.full || written.changed >= limit
      };
    } finally {
      await rm(spool, { recursive: true, force: true });
    }
  }

  /**
   * Writes the retried days, then the changed ones (minus those already written) as CSV, until
   * `limit` changed days or `maxBytesPerJob` (a job takes one upload of at most 150 MB of base64:
   * Salesforce advises 100 MB of data); `full` when a day was left for the next job.
   */
  private async spool(
    file: string,
    watermark: SummaryKey,
    retries: readonly SummaryRow[],
    limit: number,
    signal?: AbortSignal
  ): Promise<{ records: number; changed: number; full: boolean; last: SummaryKey | undefined }> {
    const maxBytes = this.options.maxBytesPerJob ?? DEFAULT_MAX_BYTES_PER_JOB;
    const out = createWriteStream(file);
    let bytes = 0;
    const write = async (text: string) => {
      bytes += Buffer.byteLength(text);
      if (!out.write(text)) await once(out, 'drain');
    };
    const line = (day: SummaryRow) => {
      const record = summaryRecord(day);
      const cells = SUMMARY_COLUMNS.map((column) => cellText(record[column], column));
      return stringify([cells], { record_delimiter: '\n' });
    };
    let records = 0;
    let changed = 0;
    let full = false;
    let last: SummaryKey | undefined;
    try {
      await write(stringify([SUMMARY_COLUMNS], { record_delimiter: '\n' }));
      const sent = new Set<string>();
      for (const day of retries) {
        sent.add(externalKey(day.userId, day.day));
        await write(line(day));
        records++;
      }
      if (limit > 0) {
        for await (const day of changedDays(this.options.pool, watermark, {
          settleMs: this.options.settleMs,
          limit,
          chunkSize: this.options.chunkSize ?? 100_000,
          ...(signal ? { signal } : {})
        })) {
          // A day can be in a job once only (Salesforce refuses a duplicate external id).
          if (!sent.has(externalKey(day.userId, day.day))) {
            const text = line(day);
            if (records > 0 && bytes + Buffer.byteLength(text) > maxBytes) {
              full = true;
              break;
            }
            await write(text);
            records++;
          }
          changed++;
          last = { updatedAt: day.updatedAt, userId: day.userId, day: day.day };
        }
      }
    } finally {
      out.end();
      await once(out, 'close');
    }
    return { records, changed, full, last };
  }

  /** Waits for the job, records the refused days and moves the watermark, in one transaction. */
  private async finish(
    calls: SummaryPushCalls,
    state: PushState,
    jobId: string,
    resumed: boolean,
    signal?: AbortSignal
  ): Promise<SummaryPushReport> {
    const { bulkIngest, logger } = this.options;
    let job: BulkJobInfo;
    try {
      job = await bulkIngest.waitForJob(jobId, {
        ...(this.options.poll ? { poll: this.options.poll } : {}),
        ...(signal ? { signal } : {}),
        onPoll: () => calls.poll++
      });
    } catch (error) {
      if (error instanceof BulkJobFailedError) {
        // Nothing moves: the same days (and the retried ones) go in the next run's job.
        logger?.error(
          { jobId, state: error.job.state, errorMessage: error.job.errorMessage },
          'activity daily summary: Bulk API job did not complete; its days are sent again next run'
        );
        await this.clearPending(jobId);
        calls.log++;
        await writeIntegrationLog(
          this.options.rest,
          ACTIVITY_SCENARIO,
          [{ severity: 'ERROR', reference: jobId, message: error.message }],
          logger
        );
        return this.report(calls, {
          outcome: 'failed',
          error: error.message,
          jobId,
          resumed,
          records: state.pendingRecords ?? 0
        });
      }
      if ((error as { errorCode?: string }).errorCode === 'BULK_JOB_POLL_TIMEOUT') {
        logger?.warn({ jobId }, 'activity daily summary: job still running; waited for next run');
        return this.report(calls, { outcome: 'waiting', jobId, resumed });
      }
      throw error;
    }

    const records = state.pendingRecords ?? Number(job.numberRecordsProcessed ?? 0);
    const failures: IngestFailure[] = [];
    if (Number(job.numberRecordsFailed ?? 0) > 0) {
      calls.results++;
      for await (const failure of bulkIngest.failedResults(jobId, signal ? { signal } : {}))
        failures.push(failure);
    }
    const unprocessed: string[] = [];
    if (Number(job.numberRecordsProcessed ?? 0) < records) {
      calls.results++;
      for await (const row of bulkIngest.unprocessedRecords(jobId, signal ? { signal } : {}))
        if (row.record[SUMMARY_EXTERNAL_ID])
          unprocessed.push(String(row.record[SUMMARY_EXTERNAL_ID]));
    }
    const refused = [
      ...failures.map((f) => ({
        key: String(f.record[SUMMARY_EXTERNAL_ID] ?? ''),
        errorCode: f.errorCode,
        message: f.message
      })),
      ...unprocessed.map((key) => ({
        key,
        errorCode: 'UNPROCESSED',
        message: 'Salesforce did not process the row'
      }))
    ];
    await this.complete(jobId, state.pendingThrough ?? state.watermark, records, refused);

    const byCode: Record<string, number> = {};
    for (const r of refused) byCode[r.errorCode] = (byCode[r.errorCode] ?? 0) + 1;
    if (refused.length > 0) {
      const examples = refused
        .slice(0, EXAMPLES)
        .map((r) => ({ key: r.key, errorCode: r.errorCode, reason: r.message }));
      logger?.error(
        { jobId, records, failed: refused.length, failures: byCode, examples },
        'activity daily summary: Salesforce refused days; they are sent again on later runs'
      );
      calls.log++;
      await writeIntegrationLog(
        this.options.rest,
        ACTIVITY_SCENARIO,
        [
          {
            severity: 'ERROR',
            reference: jobId,
            message: [
              `Daily activity summary: Salesforce refused ${refused.length} of ${records} day(s) in Bulk API job ${jobId}; they are sent again on later runs.`,
              ...Object.entries(byCode).map(([code, n]) => `${code}: ${n}`),
              'Examples:',
              ...examples.map((e) => `${e.key} ${e.errorCode}: ${e.reason}`)
            ].join('\n')
          }
        ],
        logger
      );
    } else {
      logger?.info({ jobId, records }, 'activity daily summary: job completed');
    }
    return this.report(calls, {
      outcome: 'pushed',
      jobId,
      resumed,
      records,
      failed: refused.length,
      failures: byCode
    });
  }

  private async loadState(): Promise<PushState> {
    await this.options.pool.query(
      `INSERT INTO activity_summary_pushes (name, pushed_through) VALUES ($1, 'epoch')
       ON CONFLICT (name) DO NOTHING`,
      [this.name]
    );
    const { rows } = await this.options.pool.query<{
      pushed_through: Date;
      pushed_user_id: string;
      pushed_day: string;
      pending_job_id: string | null;
      pending_state: 'created' | 'submitted' | null;
      pending_through: Date | null;
      pending_user_id: string | null;
      pending_day: string | null;
      pending_records: number | null;
    }>(
      `SELECT pushed_through, pushed_user_id, to_char(pushed_day, 'YYYY-MM-DD') AS pushed_day,
              pending_job_id, pending_state, pending_through, pending_user_id,
              to_char(pending_day, 'YYYY-MM-DD') AS pending_day, pending_records
         FROM activity_summary_pushes WHERE name = $1`,
      [this.name]
    );
    const row = rows[0]!;
    return {
      watermark: { updatedAt: row.pushed_through, userId: row.pushed_user_id, day: row.pushed_day },
      pendingJobId: row.pending_job_id,
      pendingState: row.pending_state,
      pendingThrough:
        row.pending_through && row.pending_user_id !== null && row.pending_day !== null
          ? { updatedAt: row.pending_through, userId: row.pending_user_id, day: row.pending_day }
          : null,
      pendingRecords: row.pending_records
    };
  }

  /** The job id and what it carries, before anything is uploaded. */
  private async recordJob(
    jobId: string,
    through: SummaryKey,
    records: number,
    retries: readonly SummaryRow[]
  ): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `UPDATE activity_summary_pushes
            SET pending_job_id = $2, pending_state = 'created', pending_through = $3,
                pending_user_id = $4, pending_day = $5, pending_records = $6
          WHERE name = $1`,
        [this.name, jobId, through.updatedAt, through.userId, through.day, records]
      );
      if (retries.length > 0)
        await client.query(
          `UPDATE activity_summary_retries r SET job_id = $1
             FROM unnest($2::text[], $3::date[]) AS k(user_id, day)
            WHERE r.user_id = k.user_id AND r.day = k.day`,
          [jobId, retries.map((r) => r.userId), retries.map((r) => r.day)]
        );
    });
  }

  private async clearPending(jobId: string): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `UPDATE activity_summary_pushes
            SET pending_job_id = NULL, pending_state = NULL, pending_through = NULL,
                pending_user_id = NULL, pending_day = NULL, pending_records = NULL,
                last_run_at = now()
          WHERE name = $1 AND pending_job_id = $2`,
        [this.name, jobId]
      );
      await client.query(`UPDATE activity_summary_retries SET job_id = NULL WHERE job_id = $1`, [
        jobId
      ]);
    });
  }

  private async complete(
    jobId: string,
    through: SummaryKey,
    records: number,
    refused: ReadonlyArray<{ key: string; errorCode: string; message: string }>
  ): Promise<void> {
    const backoff = this.options.retryBackoff ?? {
      initialDelayMs: 15 * 60_000,
      maxDelayMs: 24 * 3_600_000
    };
    const keys = refused.map((r) => ({ ...r, parsed: parseExternalKey(r.key) }));
    const bad = keys.filter((k) => k.parsed === undefined);
    if (bad.length > 0)
      this.options.logger?.error(
        { jobId, keys: bad.slice(0, EXAMPLES).map((k) => k.key) },
        'activity daily summary: refused rows without a readable external key'
      );
    // One row per day (ON CONFLICT cannot touch a row twice in one statement).
    const good = [
      ...new Map(
        keys.filter((k) => k.parsed !== undefined).map((k) => [k.key, k] as const)
      ).values()
    ];
    await this.transaction(async (client) => {
      if (good.length > 0)
        await client.query(
          `INSERT INTO activity_summary_retries AS r
                  (user_id, day, error_code, message, next_attempt_at)
           SELECT k.user_id, k.day, k.error_code, k.message,
                  now() + make_interval(secs => $5::double precision / 1000)
             FROM unnest($1::text[], $2::date[], $3::text[], $4::text[])
                  AS k(user_id, day, error_code, message)
           ON CONFLICT (user_id, day) DO UPDATE
              SET error_code = EXCLUDED.error_code, message = EXCLUDED.message,
                  attempts = r.attempts + 1, last_failed_at = now(), job_id = NULL,
                  next_attempt_at = now() + make_interval(secs => least($6::double precision,
                    $5::double precision * power(2, r.attempts)) / 1000)`,
          [
            good.map((k) => k.parsed!.userId),
            good.map((k) => k.parsed!.day),
            good.map((k) => k.errorCode),
            good.map((k) => k.message),
            backoff.initialDelayMs,
            backoff.maxDelayMs
          ]
        );
      // What the job carried and Salesforce took is done.
      await client.query(`DELETE FROM activity_summary_retries WHERE job_id = $1`, [jobId]);
      await client.query(
        `UPDATE activity_summary_pushes
            SET pushed_through = $2, pushed_user_id = $3, pushed_day = $4,
                pending_job_id = NULL, pending_state = NULL, pending_through = NULL,
                pending_user_id = NULL, pending_day = NULL, pending_records = NULL,
                last_job_id = $5, last_run_at = now(), last_records = $6, last_failed = $7
          WHERE name = $1`,
        [this.name, through.updatedAt, through.userId, through.day, jobId, records, refused.length]
      );
    });
  }

  private async transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
