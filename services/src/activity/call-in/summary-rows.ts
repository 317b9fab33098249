// The rows of the daily summary push: which activity_days a run sends, and each one as a
// Daily_Activity_Summary__c CSV record of the Bulk API 2.0 upsert (key, fitness user id, values;
// never the contact, which Salesforce sets from the fitness user id).
//
// A run sends the days updated after the watermark, a key (updated_at, user_id, day), in that
// order, read in keyset chunks (one bounded query each: memory stays flat at any volume), and
// never the last `settleMs`: updated_at is the writer's now(), its transaction's start, so a
// transaction that commits late could otherwise land behind a watermark already moved past it.
import type pg from 'pg';

export const SUMMARY_OBJECT = 'Daily_Activity_Summary__c';
export const SUMMARY_EXTERNAL_ID = 'External_Key__c';

/** CSV columns of the upsert, in order. */
export const SUMMARY_COLUMNS = [
  'External_Key__c',
  'Fitness_User_Id__c',
  'Activity_Date__c',
  'Steps__c',
  'Calories__c',
  'Active_Minutes__c',
  'Heart_Rate_Average__c',
  'Heart_Rate_Min__c',
  'Heart_Rate_Max__c',
  'Readings__c',
  'Goal_Steps__c',
  'Goal_Reached__c',
  'Last_Reading_At__c'
] as const;

export type SummaryRecord = Record<
  (typeof SUMMARY_COLUMNS)[number],
  string | number | boolean | null
>;

/** A position in the (updated_at, user_id, day) order; `day` is YYYY-MM-DD. */
export interface SummaryKey {
  updatedAt: Date;
  userId: string;
  day: string;
}

export interface SummaryRow extends SummaryKey {
  steps: string;
  calories: number;
  activeMinutes: number;
  heartRateSum: string;
  heartRateCount: number;
  heartRateMin: number | null;
  heartRateMax: number | null;
  readings: number;
  goal: number;
  goalReached: boolean;
}

/** `<fitnessUserId>:<YYYY-MM-DD>`, the external id of a user's day in Salesforce. */
export function externalKey(userId: string, day: string): string {
  return `${userId}:${day}`;
}

/** The user and day of an external key (user ids never contain `:`). */
export function parseExternalKey(key: string): { userId: string; day: string } | undefined {
  const match = /^([A-Za-z0-9_-]{3,64}):(\d{4}-\d{2}-\d{2})$/.exec(key);
  return match ? { userId: match[1]!, day: match[2]! } : undefined;
}

// The goal of the day is the one the outbox recorded when the user reached it, else the user's
// current goal; reached is the outbox's word, else the steps against that goal.
const SELECT = `
  SELECT d.user_id, to_char(d.day, 'YYYY-MM-DD') AS day, d.updated_at,
         d.steps::text AS steps, d.calories, d.active_minutes,
         d.heart_rate_sum::text AS heart_rate_sum, d.heart_rate_count,
         d.heart_rate_min, d.heart_rate_max, d.readings,
         COALESCE(g.goal, u.daily_step_goal) AS goal,
         (g.user_id IS NOT NULL OR d.steps >= COALESCE(g.goal, u.daily_step_goal)) AS goal_reached
    FROM activity_days d
    JOIN activity_users u ON u.user_id = d.user_id
    LEFT JOIN activity_goals_reached g ON g.user_id = d.user_id AND g.day = d.day`;

interface DbRow {
  user_id: string;
  day: string;
  updated_at: Date;
  steps: string;
  calories: number;
  active_minutes: number;
  heart_rate_sum: string;
  heart_rate_count: number;
  heart_rate_min: number | null;
  heart_rate_max: number | null;
  readings: number;
  goal: number;
  goal_reached: boolean;
}

function fromDb(row: DbRow): SummaryRow {
  return {
    userId: row.user_id,
    day: row.day,
    updatedAt: row.updated_at,
    steps: row.steps,
    calories: row.calories,
    activeMinutes: row.active_minutes,
    heartRateSum: row.heart_rate_sum,
    heartRateCount: row.heart_rate_count,
    heartRateMin: row.heart_rate_min,
    heartRateMax: row.heart_rate_max,
    readings: row.readings,
    goal: row.goal,
    goalReached: row.goal_reached
  };
}

/**
 * The days updated after `after` and at least `settleMs` ago, in key order, at most `limit`,
 * read `chunkSize` rows per query.
 */
export async function* changedDays(
  pool: pg.Pool,
  after: SummaryKey,
  options: { settleMs: number; limit: number; chunkSize: number; signal?: AbortSignal }
): AsyncGenerator<SummaryRow> {
  // One upper bound for every chunk of the run, fixed at its start.
  const bound = await pool.query<{ bound: Date }>(
    `SELECT now() - make_interval(secs => $1::double precision / 1000) AS bound`,
    [options.settleMs]
  );
  const upTo = bound.rows[0]!.bound;
  let position = after;
  let left = options.limit;
  while (left > 0) {
    options.signal?.throwIfAborted();
    const { rows } = await pool.query<DbRow>(
      `${SELECT}
        WHERE (d.updated_at, d.user_id, d.day) > ($1::timestamptz, $2::text, $3::date)
          AND d.updated_at <= $4
        ORDER BY d.updated_at, d.user_id, d.day
        LIMIT $5`,
      [position.updatedAt, position.userId, position.day, upTo, Math.min(options.chunkSize, left)]
    );
    for (const row of rows) yield fromDb(row);
    if (rows.length < Math.min(options.chunkSize, left)) return;
    left -= rows.length;
    const last = rows[rows.length - 1]!;
    position = { updatedAt: last.updated_at, userId: last.user_id, day: last.day };
  }
}

/** Refused days due for another attempt (their current values), oldest failure first. */
export async function dueRetries(pool: pg.Pool, limit: number): Promise<SummaryRow[]> {
  const { rows } = await pool.query<DbRow>(
    `${SELECT}
      JOIN activity_summary_retries r ON r.user_id = d.user_id AND r.day = d.day
     WHERE r.next_attempt_at <= now()
     ORDER BY r.last_failed_at, r.user_id, r.day
     LIMIT $1`,
    [limit]
  );
  return rows.map(fromDb);
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A day as the CSV record of the upsert (null: the field is cleared). */
export function summaryRecord(row: SummaryRow): SummaryRecord {
  const average =
    row.heartRateCount > 0 ? Math.round(Number(row.heartRateSum) / row.heartRateCount) : null;
  return {
    External_Key__c: externalKey(row.userId, row.day),
    // Only the fitness user id: the trigger ActivitySummaryLink sets Contact__c from it in the org
    // (empty while no Contact has the id, linked once one gets it), so the day of a user who is
    // not in Salesforce is stored, never refused; most of 10M users are not contacts, and a
    // refusal per row would be retried and re-sent forever (docs/activity-platform.md).
    Fitness_User_Id__c: row.userId,
    Activity_Date__c: row.day,
    Steps__c: row.steps,
    Calories__c: round(row.calories, 1),
    Active_Minutes__c: round(row.activeMinutes, 1),
    Heart_Rate_Average__c: average,
    Heart_Rate_Min__c: row.heartRateMin,
    Heart_Rate_Max__c: row.heartRateMax,
    Readings__c: row.readings,
    Goal_Steps__c: row.goal,
    Goal_Reached__c: row.goalReached,
    Last_Reading_At__c: row.updatedAt.toISOString()
  };
}
