// Goal events (Remote Call-In): the activity_goals_reached outbox published as
// Activity_Goal_Reached__e through sObject Collections, 200 events per call, so a flow or trigger
// in Salesforce reacts to a user reaching the day's goal without polling. Ingestion inserts the
// row (once per user and day) and calls kick(); a poll catches what a kick missed (another
// instance ingested it, a restart).
//
// - Per-event results: a published row gets published_at; a refused one attempts + 1,
//   last_error and a backoff (next_attempt_at); after maxAttempts it is given up: logged, one
//   Integration_Log__c per round, and left in the table (published_at NULL) for an operator.
// - A call that fails as a whole (Salesforce unreachable, limits) counts an attempt for each of
//   its rows; the round stops there and the rest wait for the next one.
// - At least once: a call whose answer is lost is sent again, and Salesforce then has the event
//   twice; subscribers key on (Fitness_User_Id__c, Activity_Date__c). One publisher at a time
//   (the lead runs it under a lease), so two instances never send the same rows together.
// - Kill switch: while it is off (or unknown) nothing is published; rows wait in the outbox.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import {
  COLLECTION_CHUNK_SIZE,
  backoffDelay,
  chunk,
  type Logger,
  type RestClient,
  type SaveResult
} from '../../platform/index.ts';
import { writeIntegrationLog } from '../../platform/index.ts';
import { ACTIVITY_SCENARIO } from './kill-switch.ts';

export const GOAL_EVENT = 'Activity_Goal_Reached__e';
const EXAMPLES = 10;
const ERROR_MAX = 1_000;

export interface GoalEventsOptions {
  pool: pg.Pool;
  rest: Pick<RestClient, 'createMany'>;
  /** The Activity kill switch: publishes only while `open`. */
  killSwitch: { readonly open: boolean };
  logger?: Logger;
  /** Poll of the outbox when no kick came (ACTIVITY_GOAL_EVENTS_POLL_MS). */
  pollIntervalMs: number;
  /** Wait after a kick so that a burst of goals goes in full calls (default 500 ms). */
  kickDelayMs?: number;
  /** Rows per round (default 2,000: ten calls). */
  roundSize?: number;
  /**
   * Events published per rolling hour at most (ACTIVITY_GOAL_EVENTS_MAX_PER_HOUR; 0 = no cap):
   * the org's hourly publishing allocation of high-volume events is shared by every publisher,
   * and events beyond it fail. Counted by this publisher (one at a time, under the lease).
   */
  maxPerHour?: number;
  /** Attempts after which a row is given up (ACTIVITY_GOAL_EVENT_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Backoff between attempts of a row (default 5 s doubling to 1 h). */
  backoff?: { initialDelayMs: number; maxDelayMs: number; factor?: number };
  /** Every round (metrics). */
  onRound?(report: GoalEventsReport): void;
}

export interface GoalEventsReport {
  held: boolean;
  /** The hourly cap was reached: the rest waits. */
  throttled: boolean;
  published: number;
  /** Rows refused or not answered in this round (attempt counted). */
  failed: number;
  /** Rows that reached maxAttempts in this round. */
  gaveUp: number;
  /** sObject Collections calls (API calls) of the round. */
  calls: number;
  /** The round was full: more rows wait. */
  more: boolean;
}

interface GoalRow {
  user_id: string;
  day: string;
  goal: number;
  steps: string;
  reached_at: Date;
  attempts: number;
}

export function goalEvent(row: GoalRow): Record<string, unknown> {
  return {
    Fitness_User_Id__c: row.user_id,
    Activity_Date__c: row.day,
    Steps__c: Number(row.steps),
    Goal_Steps__c: row.goal,
    Reached_At__c: row.reached_at.toISOString()
  };
}

export class GoalEventPublisher {
  private kicked = false;
  private wake: (() => void) | undefined;
  /** Events sent in the last hour: [time, count] per call. */
  private readonly sentLastHour: Array<[number, number]> = [];

  constructor(private readonly options: GoalEventsOptions) {}

  /** Ingestion inserted a goal row: publish soon (coalesced; no-op when the loop is not running). */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** Runs until `signal` aborts (under the lease): rounds while rows are due, then waits. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let more = false;
      try {
        more = (await this.publishOnce()).more;
      } catch (error) {
        if (signal.aborted) return;
        this.options.logger?.error({ err: error }, 'activity goal events: round failed');
      }
      if (!more) await this.idle(signal);
    }
  }

  private async idle(signal: AbortSignal): Promise<void> {
    if (!this.kicked)
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, this.options.pollIntervalMs);
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    if (this.kicked && !signal.aborted)
      await sleep(this.options.kickDelayMs ?? 500, undefined, { signal }).catch(() => undefined);
    this.kicked = false;
  }

  /** One round: the due rows, oldest first, 200 per call. */
  async publishOnce(): Promise<GoalEventsReport> {
    const report: GoalEventsReport = {
      held: false,
      throttled: false,
      published: 0,
      failed: 0,
      gaveUp: 0,
      calls: 0,
      more: false
    };
    if (!this.options.killSwitch.open) {
      report.held = true;
      return report;
    }
    const fullRound = this.options.roundSize ?? 10 * COLLECTION_CHUNK_SIZE;
    const allowance = this.hourlyAllowance();
    const roundSize = Math.min(fullRound, allowance);
    if (roundSize <= 0) {
      report.throttled = true;
      this.options.onRound?.(report);
      return report;
    }
    const { rows } = await this.options.pool.query<GoalRow>(
      `SELECT user_id, to_char(day, 'YYYY-MM-DD') AS day, goal, steps::text AS steps,
              reached_at, attempts
         FROM activity_goals_reached
        WHERE published_at IS NULL AND attempts < $1
          AND (next_attempt_at IS NULL OR next_attempt_at <= now())
        ORDER BY reached_at, user_id, day
        LIMIT $2`,
      [this.options.maxAttempts, roundSize]
    );
    const gaveUp: Array<{ row: GoalRow; error: string }> = [];
    let stopped = false;
    for (const batch of chunk(rows, COLLECTION_CHUNK_SIZE)) {
      let results: SaveResult[] | undefined;
      let callError: string | undefined;
      report.calls++;
      this.sentLastHour.push([Date.now(), batch.length]);
      try {
        results = await this.options.rest.createMany(GOAL_EVENT, batch.map(goalEvent), {
          allOrNone: false
        });
      } catch (error) {
        callError = `${(error as { errorCode?: string }).errorCode ?? 'CALL_FAILED'}: ${(error as Error).message}`;
      }
      const published: GoalRow[] = [];
      const failed: Array<{ row: GoalRow; error: string }> = [];
      batch.forEach((row, i) => {
        const result = results?.[i];
        if (result?.success) published.push(row);
        else
          failed.push({
            row,
            error: (
              callError ??
              (result
                ? result.errors.map((e) => `${e.statusCode}: ${e.message}`).join('; ')
                : 'no result for the event')
            ).slice(0, ERROR_MAX)
          });
      });
      await this.record(published, failed);
      report.published += published.length;
      report.failed += failed.length;
      for (const f of failed) if (f.row.attempts + 1 >= this.options.maxAttempts) gaveUp.push(f);
      if (callError !== undefined) {
        this.options.logger?.warn(
          { error: callError, rows: batch.length },
          'activity goal events: publish call failed; retried with backoff'
        );
        stopped = true;
        break;
      }
      if (failed.length > 0)
        this.options.logger?.warn(
          {
            failed: failed.length,
            examples: failed
              .slice(0, EXAMPLES)
              .map((f) => ({ userId: f.row.user_id, day: f.row.day, error: f.error }))
          },
          'activity goal events: Salesforce refused events; retried with backoff'
        );
    }
    report.gaveUp = gaveUp.length;
    if (gaveUp.length > 0) {
      report.calls++;
      await this.reportGivenUp(gaveUp);
    }
    report.more = !stopped && rows.length === roundSize;
    if (report.more && roundSize < fullRound) {
      report.more = false;
      report.throttled = true;
    }
    this.options.onRound?.(report);
    return report;
  }

  /** Events this publisher may still send in the rolling hour. */
  private hourlyAllowance(): number {
    const cap = this.options.maxPerHour ?? 0;
    if (cap <= 0) return Number.POSITIVE_INFINITY;
    const since = Date.now() - 3_600_000;
    while (this.sentLastHour.length > 0 && this.sentLastHour[0]![0] <= since)
      this.sentLastHour.shift();
    return cap - this.sentLastHour.reduce((sum, [, count]) => sum + count, 0);
  }

  private async record(
    published: readonly GoalRow[],
    failed: ReadonlyArray<{ row: GoalRow; error: string }>
  ): Promise<void> {
    const { pool } = this.options;
    if (published.length > 0)
      await pool.query(
        `UPDATE activity_goals_reached g
            SET published_at = now(), attempts = g.attempts + 1, last_error = NULL,
                next_attempt_at = NULL
           FROM unnest($1::text[], $2::date[]) AS k(user_id, day)
          WHERE g.user_id = k.user_id AND g.day = k.day`,
        [published.map((r) => r.user_id), published.map((r) => r.day)]
      );
    if (failed.length > 0) {
      const backoff = {
        initialDelayMs: 5_000,
        maxDelayMs: 3_600_000,
        factor: 2,
        ...this.options.backoff
      };
      await pool.query(
        `UPDATE activity_goals_reached g
            SET attempts = g.attempts + 1, last_error = k.error,
                next_attempt_at = now() + make_interval(secs => k.delay_ms / 1000)
           FROM unnest($1::text[], $2::date[], $3::text[], $4::double precision[])
                AS k(user_id, day, error, delay_ms)
          WHERE g.user_id = k.user_id AND g.day = k.day`,
        [
          failed.map((f) => f.row.user_id),
          failed.map((f) => f.row.day),
          failed.map((f) => f.error),
          failed.map((f) => backoffDelay(f.row.attempts, backoff))
        ]
      );
    }
  }

  private async reportGivenUp(
    gaveUp: ReadonlyArray<{ row: GoalRow; error: string }>
  ): Promise<void> {
    const examples = gaveUp
      .slice(0, EXAMPLES)
      .map((f) => `${f.row.user_id} ${f.row.day}: ${f.error}`);
    this.options.logger?.error(
      { count: gaveUp.length, maxAttempts: this.options.maxAttempts, examples },
      'activity goal events: given up after the last attempt; rows kept unpublished in activity_goals_reached'
    );
    await writeIntegrationLog(
      this.options.rest,
      ACTIVITY_SCENARIO,
      [
        {
          severity: 'ERROR',
          message: [
            `Activity goal events: ${gaveUp.length} Activity_Goal_Reached__e event(s) given up after ${this.options.maxAttempts} attempts (kept unpublished in activity_goals_reached).`,
            ...examples
          ].join('\n')
        }
      ],
      this.options.logger
    );
  }
}
