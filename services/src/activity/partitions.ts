// Partition maintenance of the activity tables (0007_activity.sql): daily partitions of raw
// readings and minute rollups, monthly of day rollups, made ahead for every day a valid reading
// can fall on (the late window back, two days ahead), and expired ones dropped whole (a DROP is
// instant where a DELETE of billions of rows is not; it waits at most DROP_LOCK_TIMEOUT for its
// lock so ingest statements never queue behind it, and a busy partition waits for the next
// round). Day rollup months are made for the local days of every zone (UTC-12..UTC+14) around
// that range (0011_activity_minute_steps.sql). Workers call ensurePartitions themselves
// before they subscribe (idempotent), so a reading never meets a missing partition; the hourly
// round runs on one instance (startExclusiveDuty).
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from '../platform/index.ts';

const DAY_MS = 86_400_000;

/** Longest a retention DROP waits for its lock (ingest statements would queue behind it). */
export const DROP_LOCK_TIMEOUT = '2s';

export interface PartitionPolicy {
  lateWindowHours: number;
  rawRetentionDays: number;
  minuteRetentionDays: number;
}

export interface MaintenanceReport {
  created: number;
  droppedReadings: number;
  droppedMinutes: number;
}

/** The UTC date `days` away from `now`, as YYYY-MM-DD. */
function utcDate(now: number, days: number): string {
  return new Date(now + days * DAY_MS).toISOString().slice(0, 10);
}

/** Makes the partitions for today - late window .. today + 2 (UTC days). Returns how many. */
export async function ensurePartitions(
  pool: pg.Pool,
  policy: Pick<PartitionPolicy, 'lateWindowHours'>,
  now = Date.now()
): Promise<number> {
  const back = Math.ceil(policy.lateWindowHours / 24);
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await pool.query<{ created: number }>(
        'SELECT activity_ensure_partitions($1::date, $2::date) AS created',
        [utcDate(now, -back), utcDate(now, 2)]
      );
      return rows[0]?.created ?? 0;
    } catch (error) {
      // Two sessions creating the same partition at once: IF NOT EXISTS does not cover the race
      // (42P07 duplicate table, 23505 on the catalog). The next attempt finds it made.
      const code = (error as { code?: string }).code;
      if ((code !== '42P07' && code !== '23505') || attempt >= 5) throw error;
    }
  }
}

/** One maintenance round: ensure ahead, then drop what is past retention. */
export async function maintainPartitions(
  pool: pg.Pool,
  policy: PartitionPolicy,
  now = Date.now()
): Promise<MaintenanceReport> {
  const created = await ensurePartitions(pool, policy, now);
  // A partition is dropped once its whole day is older than the retention.
  const drop = async (table: string, days: number) => {
    const { rows } = await pool.query<{ dropped: number }>(
      'SELECT activity_drop_partitions_before($1, $2::date, $3) AS dropped',
      [table, utcDate(now, -days), DROP_LOCK_TIMEOUT]
    );
    return rows[0]?.dropped ?? 0;
  };
  return {
    created,
    droppedReadings: await drop('activity_readings', policy.rawRetentionDays),
    droppedMinutes: await drop('activity_minutes', policy.minuteRetentionDays)
  };
}

/** The duty's loop: a round now, then every intervalMs, until the signal aborts. */
export async function runPartitionMaintenance(
  pool: pg.Pool,
  policy: PartitionPolicy,
  signal: AbortSignal,
  options: { intervalMs?: number; logger?: Logger; onRound?: (r: MaintenanceReport) => void } = {}
): Promise<void> {
  while (!signal.aborted) {
    try {
      const report = await maintainPartitions(pool, policy);
      options.logger?.info(report, 'activity partitions maintained');
      options.onRound?.(report);
    } catch (error) {
      options.logger?.error({ err: error }, 'activity partition maintenance failed');
    }
    await sleep(options.intervalMs ?? 3_600_000, undefined, { signal }).catch(() => undefined);
  }
}
