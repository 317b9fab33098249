/**
 * Scenario 4, fitness devices: what the ingest path keeps of the broker's rate, and how fast the
 * Activity API answers with a realistic amount of rollups stored, both measured in the same run.
 *
 *  * ingest_ratio_vs_broker: the end-to-end ingest rate (device fleet -> MQTT broker -> ingest
 *    worker -> one statement a batch into PostgreSQL readings + minute + day rollups, each QoS 1
 *    message acknowledged after its batch committed) over the raw broker rate (the same burst,
 *    the same broker, one plain subscriber counting deliveries), round by round in ABBA order
 *    (goal >= 0.5). The rate runs from the first publish to the last commit (subject) or the last
 *    delivery (baseline). Each subject round then checks that the day rollups hold exactly the
 *    steps the fleet sent: a fast but lossy ingest would fail the bench, not pass it.
 *  * api_p50_ms / api_p99_ms: latency of the Activity API (REST summary and 30-day series,
 *    OData related-list queries as Salesforce Connect sends them, a random user each) at
 *    BENCH_ACTIVITY_RPS (default 200) requests/s, open loop, with 30 days of rollups for
 *    BENCH_ACTIVITY_USERS (default 100,000) users stored (goal p99 <= 50 ms). Baseline in the
 *    same rounds, request by request: the same server's /healthz (what the HTTP stack costs
 *    before any query), reported in `detail`.
 *
 * The broker (the embedded aedes with per-device authentication) and the API server each run in
 * a process of their own; the fleet, the counting subscriber and the ingest worker run here.
 * Environment: BENCH_ACTIVITY_DEVICES (200), BENCH_ACTIVITY_MESSAGES (250 per device and round),
 * BENCH_ACTIVITY_ROUNDS (5), BENCH_ACTIVITY_USERS, BENCH_ACTIVITY_RPS, BENCH_ACTIVITY_SECONDS (10
 * per API round), BENCH_ACTIVITY_API_ROUNDS (5), BENCH_MQTT_URL (use another broker, e.g. a
 * Mosquitto configured like services/src/activity/mosquitto/mosquitto.conf).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { deriveDeviceKey } from '../toolkit/src/device-key.ts';
import { projectRoot } from '../toolkit/src/project.ts';
import { measureBrokerRate, publishBurst } from '../simulators/devices/src/burst.ts';
import { deviceIdOf } from '../simulators/devices/src/fleet.ts';
import { IngestWorker } from '../services/src/activity/ingest-worker.ts';
import { createLogger } from '../services/src/platform/index.ts';
import { migrate } from '../services/src/platform/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../services/test/helpers/database.ts';
import { progress } from './report.ts';
import {
  alternateRounds,
  envInt,
  machineLoad,
  percentile,
  reportMedian,
  repeatRounds,
  sig
} from './rounds.ts';

const BENCH = 'activity';
const DEVICES = envInt('BENCH_ACTIVITY_DEVICES', 200);
const MESSAGES = envInt('BENCH_ACTIVITY_MESSAGES', 250);
const ROUNDS = envInt('BENCH_ACTIVITY_ROUNDS', 5);
const USERS = envInt('BENCH_ACTIVITY_USERS', 100_000);
const RPS = envInt('BENCH_ACTIVITY_RPS', 200);
const SECONDS = envInt('BENCH_ACTIVITY_SECONDS', 10);
const API_ROUNDS = envInt('BENCH_ACTIVITY_API_ROUNDS', 5);
const DEVICE_KEY = 'bench-activity-device-key-0123456789abcdef';
const INGEST = { username: 'activity-ingest', password: 'bench-activity-ingest-password-0123' };
const API_TOKEN = 'bench-activity-api-token-0123456789abcdef';
const DAY_MS = 86_400_000;

function node(script: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot(), script)], {
    cwd: projectRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit']
  });
}

/** The `{"url"}` line a worker process prints once it listens. */
async function listeningUrl(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`process exited (${String(code)}) before it listened`);
  });
  const line = new Promise<string>((resolve) => lines.once('line', resolve));
  const url = (JSON.parse(await Promise.race([line, exited])) as { url: string }).url;
  child.stdout?.resume();
  return url;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([once(child, 'exit'), sleep(5000).then(() => child.kill('SIGKILL'))]);
}

// ---------------------------------------------------------------- ingest: fleet -> PostgreSQL

async function registerDevices(pool: pg.Pool, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: DEVICES }, (_, i) => deviceIdOf(prefix, i + 1));
  await pool.query(
    `INSERT INTO activity_users (user_id) SELECT 'u-' || id FROM unnest($1::text[]) AS id`,
    [ids]
  );
  await pool.query(
    `INSERT INTO activity_devices (device_id, user_id) SELECT id, 'u-' || id FROM unnest($1::text[]) AS id`,
    [ids]
  );
  return ids;
}

interface IngestRun {
  messages: number;
  seconds: number;
  rate: number;
}

async function ingestRound(pool: pg.Pool, url: string, round: number): Promise<IngestRun> {
  const prefix = `bs${round}${Math.random().toString(36).slice(2, 6)}`;
  const ids = await registerDevices(pool, prefix);
  let committed = 0;
  let lastCommit = 0;
  const worker = new IngestWorker({
    url,
    username: INGEST.username,
    password: INGEST.password,
    clientId: `activity-ingest-bench-${prefix}`,
    subscription: { mode: 'partitioned', index: 0, count: 1 },
    pool,
    limits: { maxBytes: 1024, lateWindowMs: 2 * DAY_MS },
    batchSize: 2000,
    batchWaitMs: 100,
    onBatch(result) {
      committed += result.stored + result.duplicates + result.unknownDevices;
      lastCommit = performance.now();
    }
  });
  await worker.start();
  try {
    const burst = await publishBurst({
      url,
      devices: DEVICES,
      messagesPerDevice: MESSAGES,
      idPrefix: prefix,
      password: (id) => deriveDeviceKey(DEVICE_KEY, id)
    });
    const deadline = Date.now() + 120_000;
    while (committed < burst.messages) {
      if (Date.now() > deadline)
        throw new Error(`ingest stalled: ${committed} of ${burst.messages} committed`);
      await sleep(20);
    }
    const seconds = (lastCommit - burst.startedAt) / 1000;
    // Exactness: the day rollups hold what the fleet sent, no more, no less.
    const expected = Object.values(burst.expected)
      .flatMap((days) => Object.values(days))
      .reduce((sum, day) => sum + day.steps, 0);
    const { rows } = await pool.query<{ steps: string }>(
      `SELECT coalesce(sum(steps), 0) AS steps FROM activity_days WHERE user_id = ANY($1::text[])`,
      [ids.map((id) => `u-${id}`)]
    );
    if (Number(rows[0]?.steps) !== expected)
      throw new Error(`rollups hold ${rows[0]?.steps} steps, the fleet sent ${expected}`);
    return { messages: burst.messages, seconds, rate: burst.messages / seconds };
  } finally {
    await worker.stop();
  }
}

async function brokerRound(url: string, round: number): Promise<IngestRun> {
  const result = await measureBrokerRate({
    url,
    devices: DEVICES,
    messagesPerDevice: MESSAGES,
    idPrefix: `bb${round}${Math.random().toString(36).slice(2, 6)}`,
    password: (id) => deriveDeviceKey(DEVICE_KEY, id),
    subscriber: { ...INGEST, clientId: `activity-ingest-counter-${round}` }
  });
  if (result.delivered !== result.messages)
    throw new Error(`broker delivered ${result.delivered} of ${result.messages}`);
  return { messages: result.messages, seconds: result.seconds, rate: result.rate };
}

async function benchIngest(db: TestDatabase): Promise<void> {
  const broker = process.env.BENCH_MQTT_URL
    ? undefined
    : node('bench/workers/activity-broker.ts', {
        BENCH_DEVICE_KEY: DEVICE_KEY,
        BENCH_INGEST_USERNAME: INGEST.username,
        BENCH_INGEST_PASSWORD: INGEST.password
      });
  try {
    const url = process.env.BENCH_MQTT_URL ?? (await listeningUrl(broker!));
    const load = machineLoad();
    progress(`activity ingest: ${DEVICES} devices x ${MESSAGES} messages, ${ROUNDS} rounds`);
    // Untimed warm-up of both sides (JIT, connections, the first partitions' pages).
    await brokerRound(url, -1);
    await ingestRound(db.pool, url, -1);
    const rounds = await alternateRounds({
      rounds: ROUNDS,
      baseline: (round) => brokerRound(url, round),
      subject: (round) => ingestRound(db.pool, url, round),
      onRound: (r) =>
        progress(
          `  round ${r.round} (${r.order.join(' first, ')}): broker ${Math.round(r.baseline.rate)}/s, ingest ${Math.round(r.subject.rate)}/s, ratio ${sig(r.subject.rate / r.baseline.rate)}`
        )
    });
    reportMedian(
      { bench: BENCH, metric: 'ingest_ratio_vs_broker', unit: 'ratio' },
      rounds.map((r) => r.subject.rate / r.baseline.rate),
      {
        goal: '>= 0.5',
        broker:
          url.startsWith('mqtt://127.0.0.1') && !process.env.BENCH_MQTT_URL
            ? 'embedded aedes (own process)'
            : url,
        messagesPerRound: DEVICES * MESSAGES,
        devices: DEVICES,
        ingestPerSecond: rounds.map((r) => Math.round(r.subject.rate)),
        brokerPerSecond: rounds.map((r) => Math.round(r.baseline.rate)),
        machine: load()
      }
    );
  } finally {
    if (broker) await stop(broker);
  }
}

// ---------------------------------------------------------------- API: latency under load

/** 30 days of rollups for USERS users, in one statement (as the ingest leaves them). */
async function seedRollups(pool: pg.Pool): Promise<void> {
  const started = performance.now();
  await pool.query(`SELECT activity_ensure_partitions(current_date - 31, current_date + 1)`);
  await pool.query(
    `INSERT INTO activity_users (user_id, time_zone)
     SELECT 'fit-' || lpad(n::text, 7, '0'), (ARRAY['UTC','Europe/London','America/New_York','Asia/Kolkata'])[1 + n % 4]
       FROM generate_series(1, $1::int) AS n`,
    [USERS]
  );
  await pool.query(
    `INSERT INTO activity_days (user_id, day, steps, calories, active_minutes, heart_rate_sum,
       heart_rate_count, heart_rate_min, heart_rate_max, readings)
     SELECT 'fit-' || lpad(n::text, 7, '0'), current_date - d, 2000 + (n * 7 + d * 13) % 12000,
            1700 + (n + d) % 900, (n + d) % 120, 75 * 8000, 8000, 50, 150, 17280
       FROM generate_series(1, $1::int) AS n, generate_series(0, 29) AS d`,
    [USERS]
  );
  await pool.query('ANALYZE activity_users; ANALYZE activity_days');
  progress(
    `activity api: ${USERS} users x 30 days seeded in ${Math.round((performance.now() - started) / 1000)} s`
  );
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function get(url: string): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.get(
      url,
      { agent, headers: { authorization: `Bearer ${API_TOKEN}`, accept: 'application/json' } },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, ms: performance.now() - started })
        );
        response.on('error', reject);
      }
    );
    request.on('error', reject);
  });
}

function randomUser(): string {
  return `fit-${String(1 + Math.floor(Math.random() * USERS)).padStart(7, '0')}`;
}

/** A request of the mix the portal and Salesforce Connect send. */
function apiPath(i: number): string {
  const user = randomUser();
  switch (i % 3) {
    case 0:
      return `/activity/users/${user}/summary`;
    case 1:
      return `/activity/users/${user}/series?period=month`;
    default:
      return (
        `/odata/v4/activity/DailyActivities?$select=Id,UserId,ActivityDate,Steps,Calories` +
        `&$filter=UserId%20eq%20%27${user}%27&$orderby=ActivityDate%20desc&$top=26&$count=true`
      );
  }
}

interface ApiRound {
  subject: number[];
  baseline: number[];
  errors: number;
}

async function apiRound(base: string, seconds: number): Promise<ApiRound> {
  const result: ApiRound = { subject: [], baseline: [], errors: 0 };
  const total = RPS * seconds;
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    // Open loop: request i leaves at its scheduled time, whatever the answers before it did.
    const due = started + (i * 1000) / RPS;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const subject = get(base + apiPath(i)).then((answer) => {
      if (answer.status !== 200) result.errors++;
      result.subject.push(answer.ms);
    });
    // The baseline, interleaved request by request (which goes first alternates).
    const healthz = () =>
      get(`${base}/healthz`).then((answer) => {
        result.baseline.push(answer.ms);
      });
    inFlight.push(i % 2 === 0 ? subject.then(healthz) : healthz().then(() => subject));
  }
  await Promise.all(inFlight);
  return result;
}

async function benchApi(db: TestDatabase): Promise<void> {
  await seedRollups(db.pool);
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'bench-activity-'));
  const server = node('bench/workers/activity-api.ts', {
    DATABASE_URL: db.url,
    BENCH_API_TOKEN: API_TOKEN,
    BENCH_LOG_FILE: path.join(logDir, 'api.log'),
    LOG_LEVEL: 'info'
  });
  try {
    const base = await listeningUrl(server);
    const load = machineLoad();
    await apiRound(base, 2); // untimed warm-up
    const rounds = await repeatRounds(
      API_ROUNDS,
      () => apiRound(base, SECONDS),
      (r, round) => {
        const sorted = [...r.subject].sort((a, b) => a - b);
        progress(
          `  api round ${round}: p50 ${sig(percentile(sorted, 50))} ms, p99 ${sig(percentile(sorted, 99))} ms, errors ${r.errors}`
        );
      }
    );
    const errors = rounds.reduce((sum, r) => sum + r.errors, 0);
    if (errors > 0) throw new Error(`${errors} API requests failed`);
    const figure = (p: number, side: 'subject' | 'baseline') =>
      rounds.map((r) =>
        percentile(
          [...r[side]].sort((a, b) => a - b),
          p
        )
      );
    const detail = {
      rps: RPS,
      secondsPerRound: SECONDS,
      users: USERS,
      daysStored: USERS * 30,
      mix: 'summary, 30-day series, OData related-list query (1/3 each), random users',
      baselineHealthzP50Ms: figure(50, 'baseline').map(sig),
      baselineHealthzP99Ms: figure(99, 'baseline').map(sig),
      machine: load()
    };
    reportMedian({ bench: BENCH, metric: 'api_p50_ms', unit: 'ms' }, figure(50, 'subject'), detail);
    reportMedian({ bench: BENCH, metric: 'api_p99_ms', unit: 'ms' }, figure(99, 'subject'), {
      ...detail,
      goal: '<= 50'
    });
  } finally {
    await stop(server);
    rmSync(logDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const db = await createTestDatabase();
  try {
    await migrate(db.pool, { logger: createLogger({ level: 'silent' }) });
    await db.pool.query(`SELECT activity_ensure_partitions(current_date - 3, current_date + 1)`);
    await benchIngest(db);
    await benchApi(db);
  } finally {
    agent.destroy();
    await db.drop();
  }
}
