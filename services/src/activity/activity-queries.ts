// The Activity API's reads. Every statement is a primary-key lookup or range: activity_users by
// user_id, activity_days by (user_id, day BETWEEN ...) (at most 30 rows, 1-2 monthly partitions),
// activity_minutes by (user_id, minute) within one local day (1-2 daily partitions, pruned on
// the bounds, which are computed from parameters only). Nothing scans, whatever is stored.
import type pg from 'pg';
import { addDays } from './local-date.ts';

export type Queryable = Pick<pg.Pool, 'query'>;

export interface ActivityUser {
  userId: string;
  timeZone: string;
  dailyStepGoal: number;
}

/** One day's (or one hour's) totals as stored; heart rate as sum and count. */
export interface Totals {
  steps: number;
  calories: number;
  activeMinutes: number;
  heartRateSum: number;
  heartRateCount: number;
}

export interface DayTotals extends Totals {
  /** YYYY-MM-DD in the user's time zone. */
  day: string;
  heartRateMin: number | null;
  heartRateMax: number | null;
  readings: number;
  updatedAt: Date;
}

export interface HourTotals extends Totals {
  /** The hour's first instant. */
  start: Date;
}

export async function findUser(db: Queryable, userId: string): Promise<ActivityUser | undefined> {
  const { rows } = await db.query<{ time_zone: string; daily_step_goal: number }>(
    'SELECT time_zone, daily_step_goal FROM activity_users WHERE user_id = $1',
    [userId]
  );
  const row = rows[0];
  return row ? { userId, timeZone: row.time_zone, dailyStepGoal: row.daily_step_goal } : undefined;
}

interface DayRow {
  local_day: string;
  steps: string;
  calories: number;
  active_minutes: number;
  heart_rate_sum: string;
  heart_rate_count: number;
  heart_rate_min: number | null;
  heart_rate_max: number | null;
  readings: number;
  updated_at: Date;
}

/** The stored days of a user in [from, to] (YYYY-MM-DD, inclusive), by day. */
export async function daysBetween(
  db: Queryable,
  userId: string,
  from: string,
  to: string
): Promise<DayTotals[]> {
  const { rows } = await db.query<DayRow>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS local_day, steps, calories, active_minutes, heart_rate_sum,
            heart_rate_count, heart_rate_min, heart_rate_max, readings, updated_at
       FROM activity_days
      WHERE user_id = $1 AND day BETWEEN $2::date AND $3::date
      ORDER BY day`,
    [userId, from, to]
  );
  return rows.map((row) => ({
    day: row.local_day,
    steps: Number(row.steps),
    calories: row.calories,
    activeMinutes: row.active_minutes,
    heartRateSum: Number(row.heart_rate_sum),
    heartRateCount: row.heart_rate_count,
    heartRateMin: row.heart_rate_min,
    heartRateMax: row.heart_rate_max,
    readings: row.readings,
    updatedAt: row.updated_at
  }));
}

interface HourRow {
  start: Date;
  steps: string | null;
  calories: number | null;
  active_minutes: number | null;
  heart_rate_sum: string | null;
  heart_rate_count: string | null;
}

/**
 * Every hour of `day` in `timeZone` (24; 23 or 25 on a daylight-saving change), totals summed
 * from activity_minutes (UTC minutes). Hours are counted from the local midnight, so zones with
 * half-hour offsets get their own hours, not UTC's.
 */
export async function hoursOfDay(
  db: Queryable,
  userId: string,
  day: string,
  timeZone: string
): Promise<HourTotals[]> {
  const { rows } = await db.query<HourRow>(
    `WITH bounds AS (
       SELECT ($2::date::timestamp AT TIME ZONE $4) AS from_ts,
              ($3::date::timestamp AT TIME ZONE $4) AS to_ts
     ), hours AS (
       SELECT floor(extract(epoch FROM m.minute - b.from_ts) / 3600)::int AS hour,
              sum(m.steps)::bigint AS steps, sum(m.calories) AS calories,
              sum(m.active_minutes) AS active_minutes, sum(m.heart_rate_sum)::bigint AS heart_rate_sum,
              sum(m.heart_rate_count)::bigint AS heart_rate_count
         FROM activity_minutes m CROSS JOIN bounds b
        WHERE m.user_id = $1
          AND m.minute >= ($2::date::timestamp AT TIME ZONE $4)
          AND m.minute < ($3::date::timestamp AT TIME ZONE $4)
        GROUP BY 1
     )
     SELECT s.start, h.steps, h.calories, h.active_minutes, h.heart_rate_sum, h.heart_rate_count
       FROM bounds b
      CROSS JOIN LATERAL generate_series(b.from_ts, b.to_ts - interval '1 hour', interval '1 hour')
            WITH ORDINALITY AS s(start, n)
       LEFT JOIN hours h ON h.hour = s.n - 1
      ORDER BY s.n`,
    [userId, day, addDays(day, 1), timeZone]
  );
  return rows.map((row) => ({
    start: row.start,
    steps: Number(row.steps ?? 0),
    calories: row.calories ?? 0,
    activeMinutes: row.active_minutes ?? 0,
    heartRateSum: Number(row.heart_rate_sum ?? 0),
    heartRateCount: Number(row.heart_rate_count ?? 0)
  }));
}
