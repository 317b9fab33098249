// Leases for single-consumer duties (a Pub/Sub subscription, a nightly export) when several
// instances run at once: a session-level PostgreSQL advisory lock held on a dedicated connection.
//
// Why advisory locks: PostgreSQL releases them by itself when the holding session ends, so a
// crashed or partitioned instance loses its lease without any expiry bookkeeping, and another
// instance takes over on its next attempt. The lease owner learns it lost the lease when its
// connection errors or a heartbeat query fails (`lease.lost` / the duty's AbortSignal).
// Session locks need a real session: do not point this at a transaction-pooling PgBouncer.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from './logger.ts';

/** A stable signed 64-bit advisory lock key for a human-readable lease name. */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

/** Where to open the dedicated lease connection: a pool (its settings are reused) or a URL. */
export type LeaseDatabase = pg.Pool | string | pg.ClientConfig;

function clientConfig(db: LeaseDatabase): pg.ClientConfig {
  if (typeof db === 'string') return { connectionString: db };
  if (db instanceof pg.Pool) return { ...(db.options as pg.ClientConfig) };
  return db;
}

export interface Lease {
  readonly name: string;
  /** True until released or lost. */
  readonly held: boolean;
  /** Aborted when the lease is lost (connection died, heartbeat failed) or released. */
  readonly signal: AbortSignal;
  /** Resolves when the lease ends, with the reason it was lost (undefined after release()). */
  readonly ended: Promise<Error | undefined>;
  release(): Promise<void>;
}

export interface LeaseOptions {
  logger?: Logger;
  /** How often the holder checks its connection is alive (default 5000 ms). */
  heartbeatMs?: number;
}

/**
 * Tries once to take the lease. Resolves to the held lease, or undefined when another session
 * holds it.
 */
export async function acquireLease(
  db: LeaseDatabase,
  name: string,
  options: LeaseOptions = {}
): Promise<Lease | undefined> {
  const key = advisoryLockKey(name);
  // pg_stat_activity shows `lease:<name>` for the holder only (operators: "who holds it?");
  // a session still trying is `lease-attempt:<name>`.
  const client = new pg.Client({
    ...clientConfig(db),
    application_name: `lease-attempt:${name}`.slice(0, 63),
    keepAlive: true
  });
  // A connection error before `connect` resolves rejects connect(); afterwards it ends the lease.
  let onClientError: (error: Error) => void = () => undefined;
  client.on('error', (error) => onClientError(error));
  await client.connect();

  let got = false;
  try {
    const result = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS locked',
      [key]
    );
    got = result.rows[0]?.locked === true;
    if (got) {
      await client.query("SELECT set_config('application_name', $1, false)", [
        `lease:${name}`.slice(0, 63)
      ]);
    }
  } catch (error) {
    got = false;
    throw error;
  } finally {
    if (!got) await client.end().catch(() => undefined);
  }
  if (!got) return undefined;

  const controller = new AbortController();
  let resolveEnded: (reason: Error | undefined) => void = () => undefined;
  const ended = new Promise<Error | undefined>((resolve) => (resolveEnded = resolve));
  let held = true;

  const finish = (reason: Error | undefined) => {
    if (!held) return;
    held = false;
    clearInterval(heartbeat);
    if (reason) options.logger?.warn({ lease: name, err: reason }, 'lease lost');
    controller.abort(reason ?? new Error(`lease ${name} released`));
    resolveEnded(reason);
  };

  onClientError = (error) => {
    finish(error);
    client.end().catch(() => undefined);
  };
  client.on('end', () => finish(new Error(`lease ${name}: connection closed`)));

  const heartbeat = setInterval(() => {
    client.query('SELECT 1').catch((error: Error) => onClientError(error));
  }, options.heartbeatMs ?? 5000);
  heartbeat.unref();

  options.logger?.info({ lease: name }, 'lease acquired');

  return {
    name,
    get held() {
      return held;
    },
    signal: controller.signal,
    ended,
    async release() {
      if (!held) return;
      finish(undefined);
      // Closing the session releases the lock even if the unlock query cannot run.
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
      await client.end().catch(() => undefined);
      options.logger?.info({ lease: name }, 'lease released');
    }
  };
}

export interface ExclusiveDuty {
  /** Whether this instance currently holds the lease and runs the duty. */
  isLeader(): boolean;
  /** Stops trying, aborts a running duty, waits for it to end and releases the lease. */
  stop(): Promise<void>;
}

export interface ExclusiveDutyOptions extends LeaseOptions {
  /** Pause between attempts to take the lease, and before restarting an ended duty (default 5000). */
  retryMs?: number;
}

/**
 * Keeps trying to take the lease; while held, runs `duty(signal)`. When the duty ends or fails,
 * or the lease is lost, the lease is released and the loop tries again after `retryMs`, so a
 * long-running duty (a subscription) fails over to another instance when its holder dies.
 */
export function startExclusiveDuty(
  db: LeaseDatabase,
  name: string,
  duty: (signal: AbortSignal) => Promise<void>,
  options: ExclusiveDutyOptions = {}
): ExclusiveDuty {
  const retryMs = options.retryMs ?? 5000;
  const stopController = new AbortController();
  let current: Lease | undefined;

  const loop = async () => {
    while (!stopController.signal.aborted) {
      try {
        current = await acquireLease(db, name, options);
        if (current) {
          const lease = current;
          const signal = AbortSignal.any([lease.signal, stopController.signal]);
          try {
            await duty(signal);
          } catch (error) {
            if (!signal.aborted) options.logger?.error({ lease: name, err: error }, 'duty failed');
          } finally {
            current = undefined;
            await lease.release();
          }
        }
      } catch (error) {
        options.logger?.warn({ lease: name, err: error }, 'could not try the lease');
      }
      await sleep(retryMs, undefined, { signal: stopController.signal }).catch(() => undefined);
    }
  };
  const running = loop();

  return {
    isLeader: () => current?.held === true,
    async stop() {
      stopController.abort();
      await running;
    }
  };
}
