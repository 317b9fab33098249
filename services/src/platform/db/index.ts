// The database of a service process: the PostgreSQL named by DATABASE_URL, or an embedded one.
import type pg from 'pg';
import type { PlatformConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import type { EmbeddedPostgresServer } from './embedded.ts';
import { createPool } from './pool.ts';

export { createPool, pingDatabase, withDatabase } from './pool.ts';
export type { CreatePoolOptions } from './pool.ts';
export { startEmbeddedPostgres, DEFAULT_EMBEDDED_DATABASE } from './embedded.ts';
export type { EmbeddedPostgresOptions, EmbeddedPostgresServer } from './embedded.ts';
export { migrate, readMigrations, MIGRATIONS_DIR, MigrationError } from './migrate.ts';
export type { Migration, MigrateOptions, MigrateResult } from './migrate.ts';

export interface Database {
  pool: pg.Pool;
  /** Connection URL (contains the password: never log it as is). */
  url: string;
  mode: 'external' | 'embedded';
  /** The embedded server, when DATABASE_URL is unset. */
  embedded: EmbeddedPostgresServer | undefined;
  /** Ends the pool, then stops the embedded server if this process started it. */
  close(): Promise<void>;
}

export async function openDatabase(
  config: Pick<PlatformConfig, 'database'>,
  logger: Logger,
  applicationName = 'services'
): Promise<Database> {
  const embedded = config.database.url
    ? undefined
    : await startEmbeddedPostgres({
        dir: config.database.embedded.dir,
        port: config.database.embedded.port,
        logger: logger.child({ component: 'embedded-postgres' })
      });
  const url = config.database.url ?? embedded?.url;
  if (!url) throw new Error('no database URL');
  const pool = createPool({
    connectionString: url,
    max: config.database.poolMax,
    applicationName,
    logger: logger.child({ component: 'db' })
  });
  let closed: Promise<void> | undefined;
  return {
    pool,
    url,
    mode: embedded ? 'embedded' : 'external',
    embedded,
    close() {
      closed ??= (async () => {
        await pool.end();
        await embedded?.stop();
      })();
      return closed;
    }
  };
}
