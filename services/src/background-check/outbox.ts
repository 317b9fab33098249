// Results to Salesforce: the rows whose next_delivery_at is due are the outbox. One loop (under a
// lease: one instance writes at a time) takes them oldest first and writes them with sObject
// Collections, 200 records per call, allOrNone false: a burst of callbacks costs one API call per
// 200 results. A record Salesforce refuses is retried alone through the job queue
// (background-check-deliver, exponential backoff, dead letter when exhausted); when the whole
// call fails (Salesforce down, token refused) the rows stay in the outbox with a backoff, so a
// result is never lost: it is in PostgreSQL before BackCheck hears 200, and it leaves the outbox
// only once Salesforce has taken it.
import type pg from 'pg';
import {
  chunk,
  COLLECTION_CHUNK_SIZE,
  equalJitteredDelay,
  type JobQueue,
  type Logger,
  type QueueJob,
  type RestClient,
  type SaveResult
} from '../platform/index.ts';
import type { BackgroundCheckJobs, CheckResult, CheckState } from './checks.ts';
import { DELIVER_QUEUE } from './checks.ts';

export const APPLICATION = 'Passport_Application__c';

/** Rows taken per round: ten Collections calls, sent a few at a time. */
const ROUND = 10 * COLLECTION_CHUNK_SIZE;
const CALLS_IN_FLIGHT = 4;
const OUTBOX_BACKOFF = { initialDelayMs: 1_000, maxDelayMs: 5 * 60_000, factor: 2 };

interface OutboxRow {
  application_id: string;
  attempts: number;
  state: CheckState;
  reference: string | null;
  result: CheckResult | null;
  notes: string | null;
  completed_at: Date | null;
  error: string | null;
  delivery_attempts: number;
}

const STATUS: Record<CheckResult, string> = {
  clear: 'Approved',
  not_clear: 'Rejected',
  // BackCheck could not decide: no decision is made for the case worker. Error puts it in the
  // Errors list view with the agency's notes; the case worker resubmits or decides by other means.
  inconclusive: 'Error'
};
const RESULT: Record<CheckResult, string> = {
  clear: 'Clear',
  not_clear: 'Not Clear',
  inconclusive: 'Inconclusive'
};
const NOTES_MAX = 32_768;

/**
 * The application's fields for a row: its result, Error with the reason, or (BackCheck has just
 * accepted the check) its reference alone, so that a Pending application shows the check is with
 * the agency (the Salesforce side's runbook looks for Pending without a reference).
 */
export function applicationUpdate(row: OutboxRow): Record<string, unknown> {
  if (row.state === 'accepted' || row.state === 'expired') {
    return { Id: row.application_id, Background_Check_Reference__c: row.reference };
  }
  if (row.state === 'failed') {
    return {
      Id: row.application_id,
      Status__c: 'Error',
      Background_Check_Notes__c: (row.error ?? 'The background check could not be started.').slice(
        0,
        NOTES_MAX
      )
    };
  }
  const result = row.result as CheckResult;
  return {
    Id: row.application_id,
    Status__c: STATUS[result],
    Background_Check_Result__c: RESULT[result],
    Background_Check_Reference__c: row.reference,
    Background_Check_Completed_At__c: row.completed_at?.toISOString() ?? null,
    Background_Check_Notes__c: row.notes === null ? null : row.notes.slice(0, NOTES_MAX)
  };
}

export interface OutboxOptions {
  pool: pg.Pool;
  rest: RestClient;
  queue: JobQueue<BackgroundCheckJobs>;
  logger: Logger;
  batchWaitMs: number;
  /** How often the outbox is looked at without a kick (default 1000 ms). */
  pollMs?: number;
  onDelivered?: (count: number, calls: number) => void;
  /** A record Salesforce refused (retried alone). */
  onRefused?: () => void;
}

export class Outbox {
  private wake: (() => void) | undefined;
  private kicked = false;

  constructor(private readonly options: OutboxOptions) {}

  /** A result was recorded by this instance: write soon (after batchWaitMs for company). */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** The loop, while the lease is held. */
  async run(signal: AbortSignal): Promise<void> {
    const pollMs = this.options.pollMs ?? 1000;
    while (!signal.aborted) {
      let taken = 0;
      try {
        taken = await this.deliverDue();
      } catch (error) {
        this.options.logger.error({ err: error }, 'background-check outbox round failed');
      }
      if (taken >= ROUND) continue;
      if (!this.kicked) await this.sleep(pollMs, signal, true);
      if (this.kicked) {
        this.kicked = false;
        // Results keep arriving in bursts: let the batch fill before writing.
        await this.sleep(this.options.batchWaitMs, signal, false);
      }
    }
  }

  private sleep(ms: number, signal: AbortSignal, wakeOnKick: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      if (wakeOnKick) this.wake = done;
    });
  }

  /** One round: the due rows (at most ROUND), written in Collections of 200. Rows taken. */
  async deliverDue(): Promise<number> {
    const { pool, logger } = this.options;
    const { rows } = await pool.query<OutboxRow>(
      `SELECT application_id, attempts, state, reference, result, notes, completed_at, error,
              delivery_attempts
         FROM background_checks
        WHERE next_delivery_at <= now()
        ORDER BY next_delivery_at
        LIMIT $1`,
      [ROUND]
    );
    if (rows.length === 0) return 0;
    const batches = chunk(rows, COLLECTION_CHUNK_SIZE);
    let next = 0;
    let calls = 0;
    let delivered = 0;
    const lane = async () => {
      while (next < batches.length) {
        const batch = batches[next++] as OutboxRow[];
        calls += 1;
        delivered += await this.deliverBatch(batch);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CALLS_IN_FLIGHT, batches.length) }, lane));
    this.options.onDelivered?.(delivered, calls);
    logger.debug({ rows: rows.length, delivered, calls }, 'background-check results written');
    return rows.length;
  }

  private async deliverBatch(batch: OutboxRow[]): Promise<number> {
    const { pool, rest, queue, logger } = this.options;
    let results: SaveResult[];
    try {
      results = await rest.updateMany(APPLICATION, batch.map(applicationUpdate), {
        allOrNone: false
      });
    } catch (error) {
      // Nothing of this call is known to have landed: every row stays in the outbox, later.
      const attempts = Math.max(...batch.map((r) => r.delivery_attempts)) + 1;
      const delayMs = equalJitteredDelay(attempts - 1, OUTBOX_BACKOFF);
      await pool.query(
        `UPDATE background_checks
            SET delivery_attempts = delivery_attempts + 1, delivery_error = $2,
                next_delivery_at = now() + $3 * interval '1 millisecond'
          WHERE application_id = ANY($1::text[]) AND next_delivery_at IS NOT NULL`,
        [batch.map((r) => r.application_id), errorText(error), delayMs]
      );
      logger.warn(
        {
          rows: batch.length,
          failure: (error as Error).name,
          message: (error as Error).message,
          retryInMs: delayMs
        },
        'Salesforce did not take the background-check results; kept for a later write'
      );
      return 0;
    }
    const ok: OutboxRow[] = [];
    const refused: Array<{ row: OutboxRow; error: string }> = [];
    results.forEach((result, index) => {
      const row = batch[index] as OutboxRow;
      if (result.success) ok.push(row);
      else
        refused.push({
          row,
          error: result.errors.map((e) => `${e.statusCode}: ${e.message}`).join('; ') || 'refused'
        });
    });
    await this.markDelivered(ok);
    for (const { row, error } of refused) {
      // Retried alone (its own backoff), out of the batch loop's way.
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `UPDATE background_checks SET next_delivery_at = NULL, delivery_error = $3,
                  delivery_attempts = delivery_attempts + 1
            WHERE application_id = $1 AND attempts = $2`,
          [row.application_id, row.attempts, error.slice(0, 2000)]
        );
        await queue.send(
          DELIVER_QUEUE,
          { applicationId: row.application_id, attempt: row.attempts },
          { client }
        );
        await client.query('COMMIT');
      } catch (failure) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw failure;
      } finally {
        client.release();
      }
      this.options.onRefused?.();
      logger.warn(
        { applicationId: row.application_id, error },
        'Salesforce refused a background-check result; retried alone'
      );
    }
    return ok.length;
  }

  private async markDelivered(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.options.pool.query(
      `UPDATE background_checks AS c
          SET state = CASE WHEN c.state = 'completed' THEN 'delivered' ELSE c.state END,
              delivered_at = now(), next_delivery_at = NULL, delivery_error = NULL
         FROM unnest($1::text[], $2::int[], $3::text[]) AS d(application_id, attempts, state)
        WHERE c.application_id = d.application_id AND c.attempts = d.attempts
          AND c.state = d.state AND c.state IN ('accepted', 'expired', 'completed', 'failed')`,
      // The state written must still be the row's: a result recorded while its reference was
      // being written stays in the outbox.
      [rows.map((r) => r.application_id), rows.map((r) => r.attempts), rows.map((r) => r.state)]
    );
  }

  /** The deliver job: one refused record, alone. Throws to be retried by the queue. */
  async deliverOne(job: QueueJob<BackgroundCheckJobs[typeof DELIVER_QUEUE]>): Promise<void> {
    const { pool, rest, logger } = this.options;
    const { rows } = await pool.query<OutboxRow>(
      `SELECT application_id, attempts, state, reference, result, notes, completed_at, error,
              delivery_attempts
         FROM background_checks WHERE application_id = $1 AND attempts = $2
          AND state IN ('accepted', 'expired', 'completed', 'failed') AND delivered_at IS NULL`,
      [job.data.applicationId, job.data.attempt]
    );
    const row = rows[0];
    if (!row) return;
    const [result] = await rest.updateMany(APPLICATION, [applicationUpdate(row)], {
      allOrNone: false
    });
    if (!result?.success) {
      const error =
        result?.errors.map((e) => `${e.statusCode}: ${e.message}`).join('; ') ?? 'refused';
      await pool.query(
        `UPDATE background_checks SET delivery_error = $2, delivery_attempts = delivery_attempts + 1
          WHERE application_id = $1`,
        [row.application_id, error.slice(0, 2000)]
      );
      throw new Error(`Salesforce refused the result of ${row.application_id}: ${error}`);
    }
    await this.markDelivered([row]);
    logger.info({ applicationId: row.application_id }, 'background-check result written on retry');
  }
}

function errorText(error: unknown): string {
  const e = error as { name?: string; errorCode?: string; message?: string };
  return `${e.errorCode ?? e.name ?? 'Error'}: ${e.message ?? ''}`.slice(0, 2000);
}
