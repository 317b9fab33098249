// The log table (background_checks) and every state change of a check, each in one statement or
// one transaction, so that any instance may take any step and a SIGKILL loses nothing:
//
//   record()        POST /background-checks: a row per application (INSERT ... ON CONFLICT), the
//                   submit job enqueued in the same transaction. Same body again -> replay; other
//                   body while the check runs -> conflict; after a final state -> attempt n+1.
//   markAccepted()  the submit job got BackCheck's reference (applicant data dropped).
//   markFailed()    the check cannot start (photo, data, BackCheck refused, retries exhausted):
//                   Error goes to Salesforce through the outbox.
//   applyResult()   a verified callback (or a status poll): the result is recorded and put in the
//                   outbox (next_delivery_at) in the same transaction, before BackCheck hears 200.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { JobQueue } from '../platform/index.ts';
import type { SubmitAnswer, SubmitRequest } from './schemas.ts';

export const SUBMIT_QUEUE = 'background-check-submit';
export const DELIVER_QUEUE = 'background-check-deliver';
/** Where pg-boss puts a submit job whose retries are exhausted (platform: `<name>.dead-letter`). */
export const SUBMIT_DEAD_LETTER = 'background-check-submit.dead-letter';

export interface BackgroundCheckJobs {
  [SUBMIT_QUEUE]: { applicationId: string; attempt: number };
  [DELIVER_QUEUE]: { applicationId: string; attempt: number };
  [SUBMIT_DEAD_LETTER]: { applicationId: string; attempt: number };
  [key: string]: object;
}

export type CheckState =
  'submitted' | 'accepted' | 'completed' | 'delivered' | 'failed' | 'expired';
export type CheckResult = 'clear' | 'not_clear' | 'inconclusive';

/**
 * Error text of a check whose submit never finished: its last attempt died (the submit queue's
 * dead letter) or it was still `submitted` at its expiry (the sweep).
 */
export const NOT_STARTED_REASON =
  'The background check could not be started (the attempt was interrupted). Submit again; if it persists, contact support.';

/** States after which a new request (another body) starts a new attempt. */
export const FINAL_STATES: ReadonlySet<CheckState> = new Set(['delivered', 'failed', 'expired']);
/** States in which a result from BackCheck is still expected. */
const WAITING_STATES = ['submitted', 'accepted', 'expired'];

export interface CheckRow {
  application_id: string;
  idempotency_key: string;
  request_hash: string;
  content_version_id: string;
  applicant: SubmitRequest['applicant'] | null;
  attempts: number;
  state: CheckState;
  reference: string | null;
  result: CheckResult | null;
  notes: string | null;
  completed_at: Date | null;
  error: string | null;
}

/** SHA-256 of the request with its keys sorted: the same request hashes the same. */
export function requestHash(request: SubmitRequest): string {
  const sorted = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((key) => [key, sorted((value as Record<string, unknown>)[key])])
        )
      : value;
  return createHash('sha256')
    .update(JSON.stringify(sorted(request)))
    .digest('hex');
}

export type RecordOutcome =
  | { kind: 'created' | 'restarted' | 'replayed'; answer: SubmitAnswer; attempt: number }
  | { kind: 'conflict'; state: CheckState };

export function answerOf(
  row: Pick<CheckRow, 'application_id' | 'state' | 'reference'>
): SubmitAnswer {
  return {
    applicationId: row.application_id,
    state: row.reference ? 'accepted' : 'submitted',
    reference: row.reference
  };
}

export interface ChecksOptions {
  pool: pg.Pool;
  queue: JobQueue<BackgroundCheckJobs>;
  deadlineMs: number;
  expireMs: number;
}

export class Checks {
  constructor(private readonly options: ChecksOptions) {}

  async record(idempotencyKey: string, request: SubmitRequest): Promise<RecordOutcome> {
    const hash = requestHash(request);
    const { pool, queue, deadlineMs, expireMs } = this.options;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await client.query<{ attempts: number }>(
        `INSERT INTO background_checks
           (application_id, idempotency_key, request_hash, content_version_id, applicant,
            requested_at, deadline_at, expire_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond',
                 now() + $8 * interval '1 millisecond')
         ON CONFLICT (application_id) DO NOTHING
         RETURNING attempts`,
        [
          request.applicationId,
          idempotencyKey,
          hash,
          request.contentVersionId,
          JSON.stringify(request.applicant),
          request.requestedAt,
          deadlineMs,
          expireMs
        ]
      );
      let outcome: RecordOutcome;
      if (inserted.rowCount === 1) {
        outcome = {
          kind: 'created',
          attempt: 1,
          answer: { applicationId: request.applicationId, state: 'submitted', reference: null }
        };
      } else {
        const { rows } = await client.query<CheckRow>(
          'SELECT * FROM background_checks WHERE application_id = $1 FOR UPDATE',
          [request.applicationId]
        );
        const row = rows[0];
        if (!row) throw new Error(`background_checks row ${request.applicationId} vanished`);
        if (row.request_hash === hash) {
          outcome = { kind: 'replayed', attempt: row.attempts, answer: answerOf(row) };
        } else if (!FINAL_STATES.has(row.state)) {
          outcome = { kind: 'conflict', state: row.state };
        } else {
          // The previous attempt is over (failed, expired, or its result delivered): Salesforce
          // started a new check (a resubmit sends a new requestedAt, hence a new body).
          const restarted = await client.query<{ attempts: number }>(
            `UPDATE background_checks
                SET request_hash = $2, content_version_id = $3, applicant = $4, requested_at = $5,
                    attempts = attempts + 1, state = 'submitted', reference = NULL,
                    recorded_at = now(), submitted_at = NULL,
                    deadline_at = now() + $6 * interval '1 millisecond',
                    expire_at = now() + $7 * interval '1 millisecond',
                    flagged_at = NULL, last_polled_at = NULL, callback_received_at = NULL,
                    result = NULL, notes = NULL, completed_at = NULL, error = NULL,
                    delivery_attempts = 0, next_delivery_at = NULL, delivered_at = NULL,
                    delivery_error = NULL
              WHERE application_id = $1
              RETURNING attempts`,
            [
              request.applicationId,
              hash,
              request.contentVersionId,
              JSON.stringify(request.applicant),
              request.requestedAt,
              deadlineMs,
              expireMs
            ]
          );
          outcome = {
            kind: 'restarted',
            attempt: restarted.rows[0]!.attempts,
            answer: { applicationId: request.applicationId, state: 'submitted', reference: null }
          };
        }
      }
      if (outcome.kind === 'created' || outcome.kind === 'restarted') {
        await queue.send(
          SUBMIT_QUEUE,
          { applicationId: request.applicationId, attempt: outcome.attempt },
          { client }
        );
      }
      await client.query('COMMIT');
      return outcome;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async get(applicationId: string): Promise<CheckRow | undefined> {
    const { rows } = await this.options.pool.query<CheckRow>(
      'SELECT * FROM background_checks WHERE application_id = $1',
      [applicationId]
    );
    return rows[0];
  }

  /** BackCheck took the check: its reference, and the applicant data is no longer kept. */
  async markAccepted(applicationId: string, attempt: number, reference: string): Promise<boolean> {
    const { rowCount } = await this.options.pool.query(
      `UPDATE background_checks
          SET state = 'accepted', reference = $3, submitted_at = now(), applicant = NULL,
              next_delivery_at = now()
        WHERE application_id = $1 AND attempts = $2 AND state = 'submitted'`,
      [applicationId, attempt, reference]
    );
    return rowCount === 1;
  }

  /** The check cannot start: Error with the reason goes to Salesforce (outbox). */
  async markFailed(applicationId: string, attempt: number, reason: string): Promise<boolean> {
    const { rowCount } = await this.options.pool.query(
      `UPDATE background_checks
          SET state = 'failed', error = $3, applicant = NULL, next_delivery_at = now()
        WHERE application_id = $1 AND attempts = $2 AND state = 'submitted'`,
      [applicationId, attempt, reason]
    );
    return rowCount === 1;
  }

  /**
   * A verified callback: 'unknown' (no check has this reference), 'replayed' (this eventId was
   * seen before for another reference: refused, nothing applied), 'recorded' (result stored and
   * queued for Salesforce), 'duplicate' (the check already has its result, or this very event
   * was received before: nothing changes).
   */
  async applyCallback(callback: {
    reference: string;
    eventId: string;
    result: CheckResult;
    notes: string | null;
    completedAt: string;
  }): Promise<{
    outcome: 'unknown' | 'replayed' | 'recorded' | 'duplicate';
    applicationId?: string;
  }> {
    // One statement (one round trip, its own transaction): the row is locked, the eventId
    // inserted only when the row exists, the result stored only when the eventId is new and the
    // check still waits for it. Concurrent copies of one event: the second INSERT waits for the
    // first and finds the conflict; concurrent events of one check: the second UPDATE re-reads
    // the row and finds it completed.
    const { rows } = await this.options.pool.query<{
      application_id: string | null;
      fresh: boolean;
      recorded: boolean;
    }>(
      `WITH check_row AS (
         SELECT application_id FROM background_checks WHERE reference = $1 FOR UPDATE
       ), event AS (
         INSERT INTO backcheck_callback_events (event_id, reference)
         SELECT $2, $1 FROM check_row
         ON CONFLICT (event_id) DO NOTHING
         RETURNING 1
       ), stored AS (
         UPDATE background_checks
            SET state = 'completed', result = $3, notes = $4, completed_at = $5,
                callback_received_at = now(), next_delivery_at = now(), delivered_at = NULL, delivery_attempts = 0,
                delivery_error = NULL
          WHERE reference = $1 AND state = ANY($6::text[]) AND EXISTS (SELECT 1 FROM event)
          RETURNING 1
       )
       SELECT (SELECT application_id FROM check_row) AS application_id,
              EXISTS (SELECT 1 FROM event) AS fresh,
              EXISTS (SELECT 1 FROM stored) AS recorded`,
      [
        callback.reference,
        callback.eventId,
        callback.result,
        callback.notes,
        callback.completedAt,
        WAITING_STATES
      ]
    );
    const row = rows[0];
    if (!row?.application_id) return { outcome: 'unknown' };
    const applicationId = row.application_id;
    if (!row.fresh) {
      // BackCheck resending an event whose 200 it never got (same eventId, same check) is a
      // retry, answered 200 duplicate so it stops; only an eventId reused on another check is a
      // replay. Read after the statement: a concurrent copy's INSERT is committed by now.
      const prior = await this.options.pool.query<{ reference: string }>(
        'SELECT reference FROM backcheck_callback_events WHERE event_id = $1',
        [callback.eventId]
      );
      return prior.rows[0]?.reference === callback.reference
        ? { outcome: 'duplicate', applicationId }
        : { outcome: 'replayed', applicationId };
    }
    return { outcome: row.recorded ? 'recorded' : 'duplicate', applicationId };
  }

  /** A result read by the fallback poll; false when the check had it already. */
  async applyPolled(result: {
    reference: string;
    result: CheckResult;
    notes: string | null;
    completedAt: string;
  }): Promise<boolean> {
    const { rowCount } = await this.options.pool.query(
      `UPDATE background_checks
          SET state = 'completed', result = $2, notes = $3, completed_at = $4,
              next_delivery_at = now(), delivered_at = NULL, delivery_attempts = 0, delivery_error = NULL
        WHERE reference = $1 AND state = ANY($5::text[])`,
      [result.reference, result.result, result.notes, result.completedAt, WAITING_STATES]
    );
    return rowCount === 1;
  }
}
