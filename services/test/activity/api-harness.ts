// The Activity API and OData plugins on the platform's HTTP server (bearer auth, error shape,
// validation) over real HTTP on port 0, on a fresh migrated PostgreSQL database. Rows are seeded
// straight into the rollup tables, as the ingestion workers leave them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../../toolkit/src/project.ts';
import { createHttpServer, createLogger } from '../../src/platform/index.ts';
import type { HttpServer } from '../../src/platform/index.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import type { Queryable } from '../../src/activity/activity-queries.ts';
import { activityApiRoutes } from '../../src/activity/api-routes.ts';
import { odataRoutes } from '../../src/activity/odata/routes.ts';
import type { ODataRoutesOptions } from '../../src/activity/odata/routes.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/** Accepted by the platform and in ACTIVITY_API_TOKENS. */
export const ACTIVITY_TOKEN = 'activity-api-test-token-0123456789';
/** Accepted by the platform (another service's token), not in ACTIVITY_API_TOKENS. */
export const OTHER_SERVICE_TOKEN = 'other-service-test-token-0123456789';

export interface ActivityContract {
  responses: Record<string, { httpStatus: number; body: Record<string, unknown> }>;
  summaryRequest: { path: string };
  seriesRequest: { path: string };
}

export function loadContract(): ActivityContract {
  const file = path.join(
    projectRoot(),
    'force-app/main/activity/staticresources/ActivityContract.json'
  );
  return JSON.parse(readFileSync(file, 'utf8')) as ActivityContract;
}

export interface DaySeed {
  steps?: number;
  calories?: number;
  activeMinutes?: number;
  heartRateSum?: number;
  heartRateCount?: number;
  heartRateMin?: number | null;
  heartRateMax?: number | null;
  readings?: number;
  updatedAt?: string;
}

export interface MinuteSeed {
  steps?: number;
  calories?: number;
  activeMinutes?: number;
  heartRateSum?: number;
  heartRateCount?: number;
}

export interface ApiHarness {
  db: TestDatabase;
  server: HttpServer;
  url: string;
  get(
    pathAndQuery: string,
    options?: { token?: string | null; headers?: Record<string, string> }
  ): Promise<{
    status: number;
    headers: Headers;
    text: string;
    json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test assertions read any answer
  }>;
  addUser(userId: string, timeZone?: string, goal?: number): Promise<void>;
  addDay(userId: string, day: string, seed: DaySeed): Promise<void>;
  addMinute(userId: string, minute: string, seed: MinuteSeed): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  now?: () => Date;
  odata?: Partial<Omit<ODataRoutesOptions, 'pool' | 'tokens'>>;
  /** ACTIVITY_API_TOKENS (default: [ACTIVITY_TOKEN]). */
  activityTokens?: readonly string[];
  /** ACTIVITY_ODATA_TOKENS (default: [ACTIVITY_TOKEN]). */
  odataTokens?: readonly string[];
  /** What the plugins query through (default: the test database's pool). */
  wrapPool?: (pool: Queryable) => Queryable;
}

export async function startApiHarness(options: HarnessOptions = {}): Promise<ApiHarness> {
  const db = await createTestDatabase();
  await migrate(db.pool, { logger: createLogger({ level: 'silent' }) });
  await db.pool.query(`SELECT activity_ensure_partitions('2026-10-01', '2027-01-31')`);
  const server = await createHttpServer({
    config: { host: '127.0.0.1', port: 0, apiTokens: [ACTIVITY_TOKEN, OTHER_SERVICE_TOKEN] },
    logger: createLogger({
      level: process.env.LOG_LEVEL === undefined ? 'silent' : (process.env.LOG_LEVEL as 'info')
    }),
    collectDefaultMetrics: false
  });
  const tokens = options.activityTokens ?? [ACTIVITY_TOKEN];
  const pool = options.wrapPool ? options.wrapPool(db.pool) : db.pool;
  await server.app.register(activityApiRoutes, {
    pool,
    tokens,
    ...(options.now ? { now: options.now } : {})
  });
  await server.app.register(odataRoutes, {
    pool,
    tokens: options.odataTokens ?? [ACTIVITY_TOKEN],
    ...options.odata
  });
  const url = await server.listen();
  return {
    db,
    server,
    url,
    async get(pathAndQuery, requestOptions = {}) {
      const token = requestOptions.token === undefined ? ACTIVITY_TOKEN : requestOptions.token;
      const response = await fetch(url + pathAndQuery, {
        headers: {
          accept: 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...requestOptions.headers
        }
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    async addUser(userId, timeZone = 'UTC', goal = 10000) {
      await db.pool.query(
        'INSERT INTO activity_users (user_id, time_zone, daily_step_goal) VALUES ($1, $2, $3)',
        [userId, timeZone, goal]
      );
    },
    async addDay(userId, day, seed) {
      await db.pool.query(
        `INSERT INTO activity_days (user_id, day, steps, calories, active_minutes, heart_rate_sum,
           heart_rate_count, heart_rate_min, heart_rate_max, readings, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          userId,
          day,
          seed.steps ?? 0,
          seed.calories ?? 0,
          seed.activeMinutes ?? 0,
          seed.heartRateSum ?? 0,
          seed.heartRateCount ?? 0,
          seed.heartRateMin ?? null,
          seed.heartRateMax ?? null,
          seed.readings ?? 0,
          seed.updatedAt ?? `${day}T12:00:00Z`
        ]
      );
    },
    async addMinute(userId, minute, seed) {
      await db.pool.query(
        `INSERT INTO activity_minutes (user_id, minute, steps, calories, active_minutes,
           heart_rate_sum, heart_rate_count, readings)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1)`,
        [
          userId,
          minute,
          seed.steps ?? 0,
          seed.calories ?? 0,
          seed.activeMinutes ?? 0,
          seed.heartRateSum ?? 0,
          seed.heartRateCount ?? 0
        ]
      );
    },
    async close() {
      await server.close();
      await db.drop();
    }
  };
}
