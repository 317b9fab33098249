// Test databases for every services suite: one fresh database per call, dropped by `drop()`.
//
// Server: TEST_DATABASE_URL or DATABASE_URL when set (CI: the machine's PostgreSQL on
// 127.0.0.1:5432), otherwise ONE embedded PostgreSQL per test process, started on first use on a
// random port in a temporary folder, and stopped (folder removed) when the process exits.
// The URL's user must be allowed to CREATE DATABASE.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded.ts';
import type { EmbeddedPostgresServer } from '../../src/platform/db/embedded.ts';
import { withDatabase } from '../../src/platform/db/pool.ts';

export type TestDatabaseMode = 'external' | 'embedded';

export interface TestDatabase {
  /** Database name (random, `test_...`). */
  name: string;
  /** Connection URL of the fresh database (give it to the code under test as DATABASE_URL). */
  url: string;
  /** A small pool on it for the test's own queries; ended by drop(). */
  pool: pg.Pool;
  /** Ends the pool and drops the database, terminating connections left open. Idempotent. */
  drop(): Promise<void>;
}

function externalUrl(): string | undefined {
  const url = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  return url && url.trim() !== '' ? url : undefined;
}

export function testDatabaseMode(): TestDatabaseMode {
  return externalUrl() ? 'external' : 'embedded';
}

let sharedServer: Promise<EmbeddedPostgresServer> | undefined;

/** The embedded server shared by every test of this process (started on first use). */
export function sharedEmbeddedServer(): Promise<EmbeddedPostgresServer> {
  sharedServer ??= (async () =>
    startEmbeddedPostgres({
      dir: await mkdtemp(path.join(os.tmpdir(), 'services-test-pg-')),
      port: 0,
      database: 'postgres',
      ephemeral: true,
      unsafeFast: true
    }))();
  return sharedServer;
}

/** URL of a database on the test server from which databases can be created and dropped. */
export async function testServerUrl(): Promise<string> {
  return externalUrl() ?? (await sharedEmbeddedServer()).serverUrl('postgres');
}

async function onServer(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = await testServerUrl();
  const name = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await onServer(adminUrl, `CREATE DATABASE ${name}`);
  const url = withDatabase(adminUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 5, application_name: 'test' });
  // The drop terminates sessions; idle clients then report errors that must not crash the test.
  pool.on('error', () => undefined);
  let dropped: Promise<void> | undefined;
  return {
    name,
    url,
    pool,
    drop() {
      dropped ??= (async () => {
        if (!pool.ended) await pool.end();
        await onServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      })();
      return dropped;
    }
  };
}
