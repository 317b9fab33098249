// Writes one batch of validated readings in ONE statement: raw insert (unknown devices dropped
// by the join, duplicates by the primary key), then the minute and day rollups of exactly the
// rows that were inserted, then the goal outbox row of any day that is now at or over its goal.
// Because only inserted rows are aggregated, a redelivered or resent reading adds nothing: the
// rollups stay exact under at-least-once delivery and any number of workers.
//
// Plausibility (docs/activity.md): the steps one device adds to one UTC minute are capped at
// MAX_STEPS_PER_DEVICE_MINUTE. A reading's steps are what is left of that minute's budget after
// the device's readings already stored in it and the earlier ones (by ts) of this batch; the
// stored row carries the granted steps. The total of a device-minute is therefore
// min(cap, offered) whatever the arrival order, and a redelivery changes nothing.
//
// Keys are aggregated and sorted before each upsert so concurrent batches lock rows in the same
// order (fewer deadlocks); a deadlock or serialization failure is retried a few times.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Reading } from './readings.ts';

/**
 * Most steps one device adds to one UTC minute. Human step frequency peaks near 4-5 steps/s in
 * elite sprinting (Hunter, Marshall & McNair 2004, Med Sci Sports Exerc 36(2)); everyday running
 * is 150-190 steps/min. 300/min (5 steps/s for a whole minute) is above any person's cadence.
 */
export const MAX_STEPS_PER_DEVICE_MINUTE = 300;

/** First key of the device-minute advisory locks ('activity:device-minute'). */
const DEVICE_MINUTE_LOCKS = 0x61637464;

export interface BatchResult {
  /** Readings handed in (after in-batch de-duplication: see duplicates). */
  received: number;
  stored: number;
  /** Already stored (a redelivery or resend), including repeats inside the batch. */
  duplicates: number;
  unknownDevices: number;
  goalsReached: number;
  /** Stored readings whose steps were reduced by the per-device minute cap. */
  capped: number;
}

const STATEMENT = `
WITH input AS (
  SELECT DISTINCT ON (device_id, ts) *
    FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::smallint[], $5::float8[],
                $6::float8[]) AS i(device_id, ts, steps, heart_rate, calories, active_minutes)
   ORDER BY device_id, ts
), known AS (
  -- Readings from before the device's current owner got it are not theirs (migration 0012).
  SELECT i.*, d.user_id, date_trunc('minute', i.ts, 'UTC') AS minute
    FROM input i JOIN activity_devices d USING (device_id)
   WHERE i.ts >= d.owner_since
), fresh AS (
  -- Not stored yet: only these use the minute's step budget (a redelivery uses none).
  -- A LATERAL probe with LIMIT 1, not NOT EXISTS: the planner would hash-anti-join by reading
  -- every stored reading of the partitions (cost growing with the table); this is one primary-key
  -- lookup per reading of the batch.
  SELECT k.*, sum(k.steps) OVER (PARTITION BY k.device_id, k.minute ORDER BY k.ts) - k.steps
           AS earlier_steps
    FROM known k
    LEFT JOIN LATERAL (SELECT 1 AS stored FROM activity_readings r
                        WHERE r.device_id = k.device_id AND r.ts = k.ts LIMIT 1) s ON true
   WHERE s.stored IS NULL
), used AS (
  SELECT f.device_id, f.minute,
         (SELECT coalesce(sum(r.steps), 0) FROM activity_readings r
           WHERE r.device_id = f.device_id
             AND r.ts >= f.minute AND r.ts < f.minute + interval '1 minute') AS steps
    FROM (SELECT DISTINCT device_id, minute FROM fresh) f
), granted AS (
  SELECT f.*, greatest(0, least(f.steps, $7::bigint - u.steps - f.earlier_steps))::int
           AS granted_steps
    FROM fresh f JOIN used u USING (device_id, minute)
), inserted AS (
  INSERT INTO activity_readings (device_id, ts, user_id, steps, heart_rate, calories, active_minutes)
  SELECT device_id, ts, user_id, granted_steps, heart_rate, calories, active_minutes
    FROM granted ORDER BY device_id, ts
  ON CONFLICT (device_id, ts) DO NOTHING
  RETURNING device_id, user_id, ts, steps, heart_rate, calories, active_minutes
), minutes AS (
  INSERT INTO activity_minutes AS m (user_id, minute, steps, calories, active_minutes,
      heart_rate_sum, heart_rate_count, heart_rate_min, heart_rate_max, readings)
  SELECT user_id, date_trunc('minute', ts, 'UTC'), sum(steps), sum(calories), sum(active_minutes),
         coalesce(sum(heart_rate), 0), count(heart_rate), min(heart_rate), max(heart_rate), count(*)
    FROM inserted GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (user_id, minute) DO UPDATE SET
    steps = m.steps + excluded.steps,
    calories = m.calories + excluded.calories,
    active_minutes = m.active_minutes + excluded.active_minutes,
    heart_rate_sum = m.heart_rate_sum + excluded.heart_rate_sum,
    heart_rate_count = m.heart_rate_count + excluded.heart_rate_count,
    heart_rate_min = least(m.heart_rate_min, excluded.heart_rate_min),
    heart_rate_max = greatest(m.heart_rate_max, excluded.heart_rate_max),
    readings = m.readings + excluded.readings
  RETURNING 1
), days AS (
  INSERT INTO activity_days AS d (user_id, day, steps, calories, active_minutes,
      heart_rate_sum, heart_rate_count, heart_rate_min, heart_rate_max, readings)
  SELECT i.user_id, (i.ts AT TIME ZONE u.time_zone)::date, sum(i.steps), sum(i.calories),
         sum(i.active_minutes), coalesce(sum(i.heart_rate), 0), count(i.heart_rate),
         min(i.heart_rate), max(i.heart_rate), count(*)
    FROM inserted i JOIN activity_users u USING (user_id)
   GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (user_id, day) DO UPDATE SET
    steps = d.steps + excluded.steps,
    calories = d.calories + excluded.calories,
    active_minutes = d.active_minutes + excluded.active_minutes,
    heart_rate_sum = d.heart_rate_sum + excluded.heart_rate_sum,
    heart_rate_count = d.heart_rate_count + excluded.heart_rate_count,
    heart_rate_min = least(d.heart_rate_min, excluded.heart_rate_min),
    heart_rate_max = greatest(d.heart_rate_max, excluded.heart_rate_max),
    readings = d.readings + excluded.readings,
    updated_at = now()
  RETURNING user_id, day, steps
), goals AS (
  -- The row's primary key makes it once per user and day, whichever batch crossed the goal.
  INSERT INTO activity_goals_reached (user_id, day, goal, steps)
  SELECT days.user_id, days.day, u.daily_step_goal, days.steps
    FROM days JOIN activity_users u USING (user_id)
   WHERE days.steps >= u.daily_step_goal
   ORDER BY 1, 2
  ON CONFLICT (user_id, day) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM input)::int AS received,
       (SELECT count(*) FROM known)::int AS known,
       (SELECT count(*) FROM inserted)::int AS stored,
       (SELECT count(*) FROM minutes)::int AS minutes,
       (SELECT count(*) FROM goals)::int AS goals,
       -- From granted, not joined to inserted: the planner estimates one row per CTE and
       -- nested-loops the join (2,000 x 2,000 comparisons, 200 ms a batch). The two differ only
       -- when a reading arrives on two workers at the same instant (then one insert skips it).
       (SELECT count(*) FROM granted WHERE granted_steps < steps)::int AS capped`;

/** Transaction-scoped advisory locks on the batch's device-minutes (two-key space of its own). */
const LOCK_DEVICE_MINUTES = `
SELECT count(pg_advisory_xact_lock(${DEVICE_MINUTE_LOCKS}, k))::int AS locked
  FROM (SELECT DISTINCT hashtext(device_id || '|' || date_trunc('minute', ts, 'UTC')::text) AS k
          FROM unnest($1::text[], $2::timestamptz[]) AS i(device_id, ts)
         ORDER BY 1) keys`;

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** 40P01 deadlock, 40001 serialization failure: safe to run the whole statement again. */
const RETRYABLE = new Set(['40P01', '40001']);
/** 23514: no partition of the table holds the row (maintenance has not run for that day yet). */
export const NO_PARTITION = '23514';

export interface WriteOptions {
  retries?: number;
  /** Called once when a row had no partition; the batch is then tried again. */
  onMissingPartition?: () => Promise<void>;
  /** Default MAX_STEPS_PER_DEVICE_MINUTE. */
  maxStepsPerDeviceMinute?: number;
}

export async function writeBatch(
  pool: pg.Pool,
  readings: readonly Reading[],
  options: WriteOptions = {}
): Promise<BatchResult> {
  if (readings.length === 0)
    return { received: 0, stored: 0, duplicates: 0, unknownDevices: 0, goalsReached: 0, capped: 0 };
  const params = [
    readings.map((r) => r.deviceId),
    readings.map((r) => new Date(r.ts).toISOString()),
    readings.map((r) => r.steps),
    readings.map((r) => r.heartRate),
    readings.map((r) => r.calories),
    readings.map((r) => r.activeMinutes),
    options.maxStepsPerDeviceMinute ?? MAX_STEPS_PER_DEVICE_MINUTE
  ];
  const retries = options.retries ?? 5;
  let partitionsMade = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const row = await inTransaction(pool, async (client) => {
        // The step budget of a device-minute is read from a snapshot: two workers writing the
        // same device-minute at once (a shared subscription spreads one device's messages) would
        // both grant the rest. Locking the batch's device-minutes first (sorted, so workers take
        // them in one order) makes the second wait, and its statement's fresh snapshot (read
        // committed) sees what the first stored.
        await client.query(LOCK_DEVICE_MINUTES, [params[0], params[1]]);
        const { rows } = await client.query<{
          received: number;
          known: number;
          stored: number;
          goals: number;
          capped: number;
        }>(STATEMENT, params);
        return rows[0]!;
      });
      return {
        received: readings.length,
        stored: row.stored,
        duplicates: readings.length - (row.received - row.known) - row.stored,
        unknownDevices: row.received - row.known,
        goalsReached: row.goals,
        capped: row.capped
      };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === NO_PARTITION && !partitionsMade && options.onMissingPartition) {
        partitionsMade = true;
        await options.onMissingPartition();
        continue;
      }
      if (!code || !RETRYABLE.has(code) || attempt >= retries) throw error;
      await sleep(10 * 2 ** attempt + Math.random() * 20);
    }
  }
}
