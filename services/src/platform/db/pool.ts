// The `pg` connection pool every service shares within a process.
import pg from 'pg';
import type { Logger } from '../logger.ts';

export interface CreatePoolOptions {
  connectionString: string;
  /** Maximum connections (default 10). */
  max?: number;
  /** Shown in pg_stat_activity, so operators can tell the services' sessions apart. */
  applicationName?: string;
  logger?: Logger;
  /** Fail a checkout that cannot connect within this time (default 10 s) instead of hanging. */
  connectionTimeoutMillis?: number;
  idleTimeoutMillis?: number;
}

export function createPool(options: CreatePoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'services',
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    keepAlive: true
  });
  // An idle client whose server connection drops emits 'error' on the pool; without a listener
  // that is an uncaught exception that kills the process. The pool discards the client itself.
  // The error carries the whole client (pg sets `error.client`), so only its code and message
  // are logged. Once pool.end() has been called the pool hands its clients a Terminate and
  // resolves before their sockets close: a server stopping right after (the embedded one, last
  // in the shutdown order) may answer a closing client with 57P01, which is expected then.
  pool.on('error', (error: Error & { code?: string }) => {
    const detail = { err: { message: error.message, code: error.code } };
    if (pool.ending) {
      options.logger?.debug(detail, 'database connection closed by the server while ending');
      return;
    }
    options.logger?.warn(detail, 'idle database connection failed; it was discarded');
  });
  return pool;
}

/** `SELECT 1` within `timeoutMs`: the readiness probe of the database. */
export async function pingDatabase(pool: pg.Pool, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`database did not answer within ${timeoutMs} ms`)),
      timeoutMs
    );
  });
  try {
    await Promise.race([pool.query('SELECT 1'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The URL with another database name (same server, user and password). */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
