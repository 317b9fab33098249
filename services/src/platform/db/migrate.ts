// Schema migrations: plain SQL files `NNNN_description.sql` applied in order, each in its own
// transaction, recorded in `schema_migrations`.
//
// Several instances may start at once: the whole run holds a session advisory lock, so one
// instance migrates while the others wait and then find nothing left to do. A file that was
// changed after it was applied is an error (its checksum no longer matches): write a new
// migration instead. Statements that cannot run inside a transaction (CREATE INDEX
// CONCURRENTLY, ALTER TYPE ... ADD VALUE before PG12) are not supported.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { advisoryLockKey } from '../lease.ts';
import type { Logger } from '../logger.ts';

/** services/src/platform/db/migrations: every owner's migrations live here. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

const MIGRATION_FILE = /^(\d{4})_([a-z0-9][a-z0-9_-]*)\.sql$/;
const MIGRATION_LOCK = advisoryLockKey('platform:schema_migrations');

export interface Migration {
  version: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrateOptions {
  dir?: string;
  logger?: Logger;
  /** How long to wait for another instance's migration run (default 120 s). */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** The migration files of `dir`, validated and in order. */
export async function readMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await fs.readdir(dir);
  const migrations: Migration[] = [];
  const versions = new Map<string, string>();
  for (const file of entries.sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = MIGRATION_FILE.exec(file);
    if (!match?.[1]) {
      throw new MigrationError(
        `${file}: migration files must be named NNNN_description.sql (4 digits, lower-case words)`
      );
    }
    const version = match[1];
    const clash = versions.get(version);
    if (clash) throw new MigrationError(`${file} and ${clash} share the version ${version}`);
    versions.set(version, file);
    const sql = await fs.readFile(path.join(dir, file), 'utf8');
    migrations.push({
      version,
      file,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex')
    });
  }
  return migrations;
}

/** Applies the pending migrations of `dir` to the database of `pool`. */
export async function migrate(pool: pg.Pool, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = await readMigrations(options.dir);
  const logger = options.logger;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`SET lock_timeout = ${Math.max(1, options.lockTimeoutMs ?? 120_000)}`);
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
    } catch (error) {
      throw new MigrationError(
        'timed out waiting for another instance to finish migrating (advisory lock platform:schema_migrations)',
        { cause: error }
      );
    }
    // Migrations themselves may legitimately wait for table locks.
    await client.query('RESET lock_timeout');
    try {
      return await applyPending(client, migrations, logger);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]);
    }
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    // A connection in an unknown state is destroyed rather than returned to the pool; closing it
    // also drops the advisory lock.
    client.release(broken);
  }
}

async function applyPending(
  client: pg.PoolClient,
  migrations: Migration[],
  logger: Logger | undefined
): Promise<MigrateResult> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version    text PRIMARY KEY,
      file       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  const { rows } = await client.query<{ version: string; file: string; checksum: string }>(
    'SELECT version, file, checksum FROM schema_migrations'
  );
  const recorded = new Map(rows.map((row) => [row.version, row]));
  const result: MigrateResult = { applied: [], alreadyApplied: [] };

  for (const migration of migrations) {
    const done = recorded.get(migration.version);
    if (done) {
      if (done.checksum !== migration.checksum) {
        throw new MigrationError(
          `${migration.file} changed after it was applied (as ${done.file}); ` +
            'never edit an applied migration, add a new NNNN_*.sql file instead'
        );
      }
      result.alreadyApplied.push(migration.file);
      continue;
    }
    const started = Date.now();
    try {
      await client.query('BEGIN');
      await client.query(migration.sql);
      await client.query(
        'INSERT INTO schema_migrations (version, file, checksum) VALUES ($1, $2, $3)',
        [migration.version, migration.file, migration.checksum]
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new MigrationError(
        `${migration.file} failed and was rolled back: ${(error as Error).message}`,
        {
          cause: error
        }
      );
    }
    result.applied.push(migration.file);
    logger?.info({ migration: migration.file, ms: Date.now() - started }, 'migration applied');
  }
  return result;
}
