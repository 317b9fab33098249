// A test bench for activity ingestion: a fresh migrated database with this week's partitions,
// users and devices, ingest workers on a broker, and the rollups as the tests read them.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Registry } from 'prom-client';
import { createLogger, migrate, type LogLevel } from '../../src/platform/index.ts';
import {
  IngestWorker,
  type BatchReport,
  type IngestWorkerOptions
} from '../../src/activity/ingest-worker.ts';
import { activityMetrics, type ActivityMetrics } from '../../src/activity/metrics.ts';
import { ensurePartitions } from '../../src/activity/partitions.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

export const HOUR_MS = 3_600_000;

export interface DayRow {
  steps: number;
  readings: number;
  heart_rate_min: number | null;
  heart_rate_max: number | null;
}

export interface IngestBench {
  db: TestDatabase;
  registry: Registry;
  metrics: ActivityMetrics;
  batches: BatchReport[];
  addUser(userId: string, timeZone?: string, goal?: number): Promise<void>;
  addDevice(deviceId: string, userId: string): Promise<void>;
  /** A worker on this bench's database (started). */
  worker(
    options: Partial<IngestWorkerOptions> & Pick<IngestWorkerOptions, 'url' | 'subscription'>
  ): Promise<IngestWorker>;
  day(userId: string, day: string): Promise<DayRow | undefined>;
  /** Sum of readings over every day row (each stored reading counted once). */
  totalReadings(): Promise<number>;
  dropped(reason: string): Promise<number>;
  close(): Promise<void>;
}

export async function ingestBench(): Promise<IngestBench> {
  const db = await createTestDatabase();
  await migrate(db.pool, {});
  await ensurePartitions(db.pool, { lateWindowHours: 48 });
  const registry = new Registry();
  const metrics = activityMetrics(registry);
  const workers: IngestWorker[] = [];
  const pools: pg.Pool[] = [];
  const batches: BatchReport[] = [];
  return {
    db,
    registry,
    metrics,
    batches,
    async addUser(userId, timeZone = 'UTC', goal = 10_000) {
      await db.pool.query(
        'INSERT INTO activity_users (user_id, time_zone, daily_step_goal) VALUES ($1, $2, $3)',
        [userId, timeZone, goal]
      );
    },
    async addDevice(deviceId, userId) {
      await db.pool.query('INSERT INTO activity_devices (device_id, user_id) VALUES ($1, $2)', [
        deviceId,
        userId
      ]);
    },
    async worker(options) {
      const pool = new pg.Pool({ connectionString: db.url, max: 3 });
      pool.on('error', () => undefined);
      pools.push(pool);
      const worker = new IngestWorker({
        clientId: `activity-ingest-test-${randomBytes(4).toString('hex')}`,
        pool,
        limits: { maxBytes: 1024, lateWindowMs: 48 * HOUR_MS },
        batchSize: 200,
        batchWaitMs: 20,
        metrics,
        reconnectMs: 100,
        sessionExpirySeconds: 30,
        onBatch: (result) => batches.push(result),
        logger: createLogger({
          level: (process.env.LOG_LEVEL ?? 'silent') as LogLevel,
          service: 'activity-test'
        }),
        ...options
      });
      workers.push(worker);
      await worker.start();
      return worker;
    },
    async day(userId, day) {
      const { rows } = await db.pool.query<DayRow>(
        `SELECT steps::int, readings, heart_rate_min, heart_rate_max FROM activity_days
          WHERE user_id = $1 AND day = $2::date`,
        [userId, day]
      );
      return rows[0];
    },
    async totalReadings() {
      const { rows } = await db.pool.query<{ n: number }>(
        'SELECT coalesce(sum(readings), 0)::int AS n FROM activity_days'
      );
      return rows[0]!.n;
    },
    async dropped(reason) {
      const metric = await registry.getSingleMetric('activity_readings_dropped_total')?.get();
      return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
    },
    async close() {
      for (const worker of workers) await worker.kill().catch(() => undefined);
      for (const pool of pools) await pool.end().catch(() => undefined);
      await db.drop();
    }
  };
}

/** The calendar day of `ts` in `timeZone`, YYYY-MM-DD. */
export function dayIn(ts: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit'
  }).format(ts);
}
