// The service's own deadline sweep (under a lease, every BACKGROUND_CHECK_SWEEP_INTERVAL_MS):
//  1. checks past their deadline without a result are flagged (logged once, WARN);
//  2. flagged checks are polled at GET /v1/checks/{reference}, at most once per poll interval
//     each: a callback BackCheck lost (or we refused and it gave up on) completes them here,
//     exactly as the callback would have (result recorded, then the outbox);
//  3. checks past expire_at are `expired` (Salesforce's own sweep has moved the application to
//     Error by then); they are still polled, and a late result is recorded, though Salesforce's
//     Result_Only_From_Background_Check rule refuses to write it on an application in Error
//     (it stays in the outbox's refused records: the case worker resubmits). One still
//     `submitted` then (its submit job died without marking it: SIGKILL in the last attempt,
//     markFailed failing) is `failed` and Error goes to Salesforce, so that a resubmit is not
//     refused as a conflict forever;
//  4. callback eventIds older than a week are forgotten (a signature older than 5 minutes is
//     refused anyway).
import type pg from 'pg';
import type { Logger } from '../platform/index.ts';
import type { BackCheckClient } from './backcheck-client.ts';
import { NOT_STARTED_REASON, type Checks } from './checks.ts';

/** Polls per sweep, so that a backlog does not hammer BackCheck. */
const POLLS_PER_SWEEP = 200;
/** An expired check is polled for this long after its request, then left to the operator. */
const POLL_HORIZON_DAYS = 30;

export interface SweepOptions {
  pool: pg.Pool;
  checks: Checks;
  backCheck: BackCheckClient;
  logger: Logger;
  pollIntervalMs: number;
  /** False while the kill switch holds BackCheck calls: flag, expire and prune, but no polls. */
  pollAllowed?: boolean;
  onResult?: () => void;
}

export interface SweepReport {
  flagged: number;
  polled: number;
  completed: number;
  expired: number;
  /** `submitted` checks past their expiry, failed. */
  failed: number;
}

export async function sweep(options: SweepOptions): Promise<SweepReport> {
  const { pool, checks, backCheck, logger } = options;
  const flagged = await pool.query<{ application_id: string; reference: string }>(
    `UPDATE background_checks SET flagged_at = now()
      WHERE state = 'accepted' AND deadline_at <= now() AND flagged_at IS NULL
      RETURNING application_id, reference`
  );
  for (const row of flagged.rows) {
    logger.warn(
      { applicationId: row.application_id, reference: row.reference },
      'background check overdue: no callback by its deadline; polling BackCheck'
    );
  }
  const expired = await pool.query<{ application_id: string; reference: string }>(
    `UPDATE background_checks SET state = 'expired', flagged_at = coalesce(flagged_at, now())
      WHERE state = 'accepted' AND expire_at <= now()
      RETURNING application_id, reference`
  );
  for (const row of expired.rows) {
    logger.error(
      { applicationId: row.application_id, reference: row.reference },
      'background check expired without a result'
    );
  }
  const stranded = await pool.query<{ application_id: string }>(
    `UPDATE background_checks
        SET state = 'failed', error = $1, applicant = NULL, next_delivery_at = now()
      WHERE state = 'submitted' AND expire_at <= now()
      RETURNING application_id`,
    [NOT_STARTED_REASON]
  );
  for (const row of stranded.rows) {
    logger.error(
      { applicationId: row.application_id },
      'background check never sent by its expiry; failed, Error goes to Salesforce'
    );
  }
  const due =
    options.pollAllowed === false
      ? { rows: [] }
      : await pool.query<{ application_id: string; reference: string }>(
          `SELECT application_id, reference FROM background_checks
      WHERE state IN ('accepted', 'expired') AND flagged_at IS NOT NULL
        AND (last_polled_at IS NULL OR last_polled_at <= now() - $1 * interval '1 millisecond')
        AND recorded_at > now() - $2 * interval '1 day'
      ORDER BY last_polled_at NULLS FIRST, deadline_at
      LIMIT $3`,
          [options.pollIntervalMs, POLL_HORIZON_DAYS, POLLS_PER_SWEEP]
        );
  let completed = 0;
  for (const row of due.rows) {
    await pool.query(
      'UPDATE background_checks SET last_polled_at = now() WHERE application_id = $1',
      [row.application_id]
    );
    try {
      const status = await backCheck.status(row.reference);
      if (!status) {
        logger.error(
          { applicationId: row.application_id, reference: row.reference },
          'BackCheck does not know an overdue check'
        );
        continue;
      }
      if (status.reference !== row.reference || status.clientReference !== row.application_id) {
        // Another check's answer (BackCheck's bug, or a proxy's): never stored for this one.
        logger.error(
          { applicationId: row.application_id, reference: row.reference },
          'BackCheck status poll answered for another check; ignored'
        );
        continue;
      }
      if (status.status !== 'completed' || !status.result || !status.completedAt) continue;
      const applied = await checks.applyPolled({
        reference: row.reference,
        result: status.result,
        notes: status.notes,
        completedAt: status.completedAt
      });
      if (applied) {
        completed += 1;
        logger.warn(
          { applicationId: row.application_id, reference: row.reference },
          'background check completed by the fallback poll (its callback never arrived)'
        );
      }
    } catch (error) {
      logger.warn(
        {
          applicationId: row.application_id,
          failure: (error as Error).name,
          message: (error as Error).message
        },
        'BackCheck status poll failed; next sweep'
      );
    }
  }
  if (completed > 0 || (stranded.rowCount ?? 0) > 0) options.onResult?.();
  await pool.query(
    "DELETE FROM backcheck_callback_events WHERE received_at < now() - interval '7 days'"
  );
  return {
    flagged: flagged.rowCount ?? 0,
    polled: due.rows.length,
    completed,
    expired: expired.rowCount ?? 0,
    failed: stranded.rowCount ?? 0
  };
}
