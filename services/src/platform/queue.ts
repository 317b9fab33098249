// Durable job queue on PostgreSQL (pg-boss 10): retries with exponential backoff and jitter,
// dead-letter queues, cron schedules, several workers across instances (SKIP LOCKED).
//
// pg-boss 10 facts this wrapper relies on (checked in node_modules/pg-boss, types.d.ts/src):
// - every queue must be created (`createQueue(name, options)`) before send/work/schedule;
//   creation is idempotent (INSERT .. ON CONFLICT DO NOTHING) so every instance may call it;
// - `retryDelay` is in whole seconds; with `retryBackoff` the delay of attempt n is
//   delay*2^n/2 * (1 + random()), i.e. exponential with "equal jitter" computed in SQL;
// - `deadLetter` names a queue that receives a copy of the job once its retries are exhausted;
// - `singletonKey` deduplicates only on queues with policy `short` (one queued job per key),
//   `singleton` (one active per key) or `stately` (one queued + one active per key), or with
//   `singletonSeconds` (one job per key per time slot); on a `standard` queue a key alone does not;
// - `work()` hands a batch to the handler and completes/fails the whole batch; this wrapper
//   completes or fails each job of the batch on its own instead (`work` calls the handler per
//   job; `processBatch` fetches once, calls it once and takes the failed jobs from its answer);
// - creating queues concurrently from several instances can deadlock inside pg-boss (seen in
//   tests: 40P01 in create_queue), so start-up and queue definitions are serialized across
//   instances with an advisory lock.
import PgBoss from 'pg-boss';
import pg from 'pg';
import { advisoryLockKey } from './lease.ts';
import type { Logger } from './logger.ts';
import { runWithCorrelationId, scrubText } from './logger.ts';

export type QueuePolicy = 'standard' | 'short' | 'singleton' | 'stately';

/** Map of queue name -> job payload type, for a typed queue. */
export type JobMap = Record<string, object>;

export interface QueueDefinition {
  /** Default `standard`. See the header for what each policy deduplicates. */
  policy?: QueuePolicy;
  /** Retries after the first attempt (default 5). */
  retryLimit?: number;
  /** Base delay in whole seconds (default 5). */
  retryDelay?: number;
  /** Exponential backoff with jitter (default true). */
  retryBackoff?: boolean;
  /** A job running longer than this fails (default 900 s). */
  expireInSeconds?: number;
  /** How long a queued job may wait before it is discarded (pg-boss default 14 days). */
  retentionMinutes?: number;
  /**
   * Where exhausted jobs go: true (default) = `<name>.dead-letter`, a string = that queue
   * (created if missing), false = none (the failed job stays in state `failed` only).
   */
  deadLetter?: boolean | string;
}

/** Something to run a query on: pass a transaction's client to enqueue atomically with it. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export interface SendOptions {
  /** Deduplication key (see the policy notes in the header). */
  singletonKey?: string;
  /** With a singletonKey: at most one job per key in each slot of this many seconds. */
  singletonSeconds?: number;
  retryLimit?: number;
  /** Whole seconds. */
  retryDelay?: number;
  retryBackoff?: boolean;
  /** Seconds from now, an ISO date string or a Date. */
  startAfter?: number | string | Date;
  priority?: number;
  expireInSeconds?: number;
  /** Enqueue inside this transaction (the job exists only if the transaction commits). */
  client?: Queryable;
}

export interface WorkOptions {
  /** Jobs fetched per poll (default 1). */
  batchSize?: number;
  /** Independent polling workers in this process (default 1): parallelism = concurrency * batchSize. */
  concurrency?: number;
  /** Poll interval when the queue is empty (default 2 s, minimum 0.5). */
  pollingIntervalSeconds?: number;
}

export interface QueueJob<T> {
  id: string;
  name: string;
  data: T;
  /** 0 on the first attempt. */
  retryCount: number;
  retryLimit: number;
  createdOn: Date;
  startedOn: Date;
  singletonKey: string | null;
}

export type JobHandler<T> = (job: QueueJob<T>) => Promise<unknown>;

/**
 * Handles a fetched batch at once (one query for all, say). Resolves to the jobs that failed
 * (job id -> error; they retry or go to the dead letter), the others complete. A rejection fails
 * every job of the batch.
 */
export type BatchJobHandler<T> = (
  jobs: ReadonlyArray<QueueJob<T>>
) => Promise<ReadonlyMap<string, unknown> | void>;

export interface ScheduleOptions {
  /** IANA time zone of the cron expression (default UTC). */
  tz?: string;
  singletonKey?: string;
}

export interface JobQueue<J extends JobMap = JobMap> {
  /** The pg-boss instance, for what the wrapper does not cover. */
  readonly boss: PgBoss;
  readonly schema: string;
  /** Creates the queue (and its dead-letter queue) or updates its retry settings. */
  defineQueue(name: keyof J & string, definition?: QueueDefinition): Promise<void>;
  /** The job id, or null when a singleton rule dropped it as a duplicate. */
  send<N extends keyof J & string>(
    name: N,
    data: J[N],
    options?: SendOptions
  ): Promise<string | null>;
  /** Enqueues many jobs with the queue's settings in one statement (no ids, no singletons). */
  sendMany<N extends keyof J & string>(name: N, data: ReadonlyArray<J[N]>): Promise<void>;
  /** Starts workers; resolves to their ids. A handler that throws fails the job (retry or dead letter). */
  work<N extends keyof J & string>(
    name: N,
    options: WorkOptions,
    handler: JobHandler<J[N]>
  ): Promise<string[]>;
  /**
   * Fetches up to `batchSize` due jobs once, hands them to `handler` in one call and settles each;
   * resolves to how many were taken (0: none due). For a caller that runs its own loop, e.g. one
   * that must not run concurrently with other work on the same records.
   */
  processBatch<N extends keyof J & string>(
    name: N,
    batchSize: number,
    handler: BatchJobHandler<J[N]>
  ): Promise<number>;
  /**
   * Fails, now, every job of the queue that is active: for a caller that knows no worker holds
   * any (the only consumer, under a lease, between two of its fetches). Such jobs were left by a
   * worker that died (SIGKILL) or could not settle them (database outage); pg-boss itself would
   * fail them only when they expire (`expireInSeconds`, 15 min by default, checked every few
   * minutes). They retry with the queue's backoff, or go to the dead letter when exhausted (the
   * interrupted run counts as an attempt). Resolves to how many there were.
   */
  recoverActive(name: keyof J & string, reason: string): Promise<number>;
  schedule<N extends keyof J & string>(
    name: N,
    cron: string,
    data?: J[N],
    options?: ScheduleOptions
  ): Promise<void>;
  unschedule(name: keyof J & string): Promise<void>;
  getSchedules(): Promise<Array<{ name: string; cron: string; timezone: string; data: unknown }>>;
  getJob(name: string, id: string): Promise<PgBoss.JobWithMetadata<unknown> | null>;
  /** Stops polling, waits up to `timeoutMs` for running jobs, then fails what is still running. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

export interface CreateQueueOptions {
  /** Share the service's pool (recommended) ... */
  pool?: pg.Pool;
  /** ... or let pg-boss open its own. */
  connectionString?: string;
  /** Schema of pg-boss's tables (default `pgboss`). */
  schema?: string;
  logger?: Logger;
  /** Run cron schedules in this instance (default true). */
  schedule?: boolean;
  /** Run pg-boss maintenance (expiry, archive) in this instance (default true). */
  supervise?: boolean;
}

export function deadLetterQueueName(name: string): string {
  return `${name}.dead-letter`;
}

const DEFAULTS = { retryLimit: 5, retryDelay: 5, retryBackoff: true } as const;

/** Starts pg-boss (creating or migrating its schema; safe when several instances start at once). */
export async function createQueue<J extends JobMap = JobMap>(
  options: CreateQueueOptions
): Promise<JobQueue<J>> {
  const schema = options.schema ?? 'pgboss';
  const logger = options.logger;
  if (!options.pool && !options.connectionString)
    throw new Error('createQueue needs a pool or a connectionString');
  const pool = options.pool;
  const boss = new PgBoss({
    schema,
    ...(pool
      ? { db: { executeSql: (text: string, values: unknown[]) => pool.query(text, values) } }
      : { connectionString: options.connectionString, application_name: 'services-queue' }),
    schedule: options.schedule ?? true,
    supervise: options.supervise ?? true
  });
  // An 'error' event without a listener would crash the process.
  boss.on('error', (error) => logger?.error({ err: error }, 'job queue error'));

  // A short-lived connection of its own, so the lock never waits for a slot of a busy pool.
  const adminLockKey = advisoryLockKey(`platform:queue-admin:${schema}`);
  const withAdminLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    const client = new pg.Client(
      pool
        ? { ...(pool.options as pg.ClientConfig) }
        : { connectionString: options.connectionString }
    );
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [adminLockKey]);
      return await fn();
    } finally {
      // Ending the session releases the lock.
      await client.end().catch(() => undefined);
    }
  };

  await withAdminLock(() => boss.start());

  const failOutput = (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    // Stored in the job row: a scrubbed message, no stack (it can hold data from the payload).
    return { name: e.name, message: scrubText(e.message) };
  };

  type Settle<T> = (
    job: QueueJob<T>,
    outcome: { output: unknown } | { error: unknown }
  ) => Promise<void>;

  /** Completes or fails one job of a batch on its own (see the header). */
  const settleFor =
    <T>(name: string): Settle<T> =>
    async (job, outcome) => {
      if ('error' in outcome) {
        const lastAttempt = job.retryCount >= job.retryLimit;
        logger?.warn(
          {
            queue: name,
            jobId: job.id,
            attempt: job.retryCount + 1,
            retryLimit: job.retryLimit,
            err: outcome.error
          },
          lastAttempt ? 'job failed; retries exhausted' : 'job failed; will retry'
        );
        await boss.fail(name, job.id, failOutput(outcome.error));
        return;
      }
      const { output } = outcome;
      await boss.complete(
        name,
        job.id,
        output !== null && typeof output === 'object' ? (output as object) : undefined
      );
    };

  const toQueueJob = <T>(job: PgBoss.JobWithMetadata<T>): QueueJob<T> => ({
    id: job.id,
    name: job.name,
    data: job.data,
    retryCount: job.retryCount,
    retryLimit: job.retryLimit,
    createdOn: job.createdOn,
    startedOn: job.startedOn,
    singletonKey: job.singletonKey
  });

  const queue: JobQueue<J> = {
    boss,
    schema,

    async defineQueue(name, definition = {}) {
      const deadLetter =
        definition.deadLetter === false
          ? undefined
          : typeof definition.deadLetter === 'string'
            ? definition.deadLetter
            : deadLetterQueueName(name);
      const settings = {
        name,
        policy: definition.policy ?? 'standard',
        retryLimit: definition.retryLimit ?? DEFAULTS.retryLimit,
        retryDelay: definition.retryDelay ?? DEFAULTS.retryDelay,
        retryBackoff: definition.retryBackoff ?? DEFAULTS.retryBackoff,
        ...(definition.expireInSeconds !== undefined
          ? { expireInSeconds: definition.expireInSeconds }
          : {}),
        ...(definition.retentionMinutes !== undefined
          ? { retentionMinutes: definition.retentionMinutes }
          : {}),
        ...(deadLetter ? { deadLetter } : {})
      };
      await withAdminLock(async () => {
        if (deadLetter)
          await boss.createQueue(deadLetter, { name: deadLetter, policy: 'standard' });
        await boss.createQueue(name, settings);
        // createQueue leaves an existing queue untouched: apply changed settings too.
        await boss.updateQueue(name, settings);
      });
    },

    async send(name, data, sendOptions = {}) {
      const { client, ...rest } = sendOptions;
      const jobOptions: PgBoss.SendOptions = { ...rest };
      if (client) {
        jobOptions.db = {
          executeSql: (text: string, values: unknown[]) => client.query(text, values)
        };
      }
      return boss.send(name, data, jobOptions);
    },

    async sendMany(name, data) {
      if (data.length === 0) return;
      // pg-boss's insert takes retry limit, backoff and dead letter from the queue definition.
      await boss.insert(data.map((item) => ({ name, data: item })));
    },

    async work(name, workOptions, handler) {
      const concurrency = Math.max(1, workOptions.concurrency ?? 1);
      const settle = settleFor<J[typeof name]>(name);
      const ids: string[] = [];
      for (let i = 0; i < concurrency; i++) {
        const id = await boss.work<J[typeof name]>(
          name,
          {
            batchSize: workOptions.batchSize ?? 1,
            includeMetadata: true,
            ...(workOptions.pollingIntervalSeconds !== undefined
              ? { pollingIntervalSeconds: workOptions.pollingIntervalSeconds }
              : {})
          },
          async (jobs) => {
            // Each job settles on its own; pg-boss's batch-level complete afterwards only
            // touches jobs still active, i.e. none.
            await Promise.all(
              jobs.map(toQueueJob).map(async (job) => {
                try {
                  const output = await runWithCorrelationId(`job:${job.id}`, () => handler(job));
                  await settle(job, { output });
                } catch (error) {
                  await settle(job, { error });
                }
              })
            );
          }
        );
        ids.push(id);
      }
      return ids;
    },

    async processBatch(name, batchSize, handler) {
      const fetched = await boss.fetch<J[typeof name]>(name, {
        batchSize,
        includeMetadata: true
      });
      if (fetched.length === 0) return 0;
      const jobs = fetched.map(toQueueJob);
      let failures: ReadonlyMap<string, unknown> | void;
      try {
        failures = await runWithCorrelationId(`jobs:${jobs[0]?.id ?? ''}`, () => handler(jobs));
      } catch (error) {
        failures = new Map(jobs.map((job) => [job.id, error]));
      }
      const settle = settleFor<J[typeof name]>(name);
      await Promise.all(
        jobs.map((job) =>
          failures?.has(job.id)
            ? settle(job, { error: failures.get(job.id) })
            : settle(job, { output: undefined })
        )
      );
      return jobs.length;
    },

    async recoverActive(name, reason) {
      const { rows } = (await boss
        .getDb()
        .executeSql(`SELECT id FROM ${schema}.job WHERE name = $1 AND state = 'active'`, [
          name
        ])) as { rows: Array<{ id: string }> };
      if (rows.length === 0) return 0;
      // pg-boss's fail takes a list of ids with the output too (its types list the two apart).
      const fail = boss.fail.bind(boss) as (
        n: string,
        ids: string[],
        data: object
      ) => Promise<void>;
      await fail(
        name,
        rows.map((r) => r.id),
        { message: reason }
      );
      logger?.warn({ queue: name, jobs: rows.length, reason }, 'stale active jobs recovered');
      return rows.length;
    },

    async schedule(name, cron, data, scheduleOptions = {}) {
      await boss.schedule(name, cron, data ?? {}, {
        tz: scheduleOptions.tz ?? 'UTC',
        ...(scheduleOptions.singletonKey ? { singletonKey: scheduleOptions.singletonKey } : {})
      });
    },

    async unschedule(name) {
      await boss.unschedule(name);
    },

    async getSchedules() {
      const rows = (await boss.getSchedules()) as unknown as Array<{
        name: string;
        cron: string;
        timezone: string;
        data: unknown;
      }>;
      return rows.map(({ name, cron, timezone, data }) => ({ name, cron, timezone, data }));
    },

    getJob(name, id) {
      return boss.getJobById(name, id, { includeArchive: true });
    },

    async stop(stopOptions = {}) {
      await boss.stop({
        graceful: true,
        wait: true,
        close: !pool,
        timeout: stopOptions.timeoutMs ?? 10_000
      });
    }
  };
  return queue;
}
