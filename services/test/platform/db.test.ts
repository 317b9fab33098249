import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { CREDENTIALS_FILE, startEmbeddedPostgres } from '../../src/platform/db/embedded.ts';
import {
  MIGRATIONS_DIR,
  MigrationError,
  migrate,
  readMigrations
} from '../../src/platform/db/migrate.ts';
import { createPool, pingDatabase } from '../../src/platform/db/pool.ts';
import { createTestDatabase, testDatabaseMode, testServerUrl } from '../helpers/database.ts';
import type { TestDatabase } from '../helpers/database.ts';

const EMBEDDED_MODULE = fileURLToPath(
  new URL('../../src/platform/db/embedded.ts', import.meta.url)
);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
  for (const [name, sql] of Object.entries(files)) await writeFile(path.join(dir, name), sql);
  return dir;
}

describe(`database (${testDatabaseMode()} PostgreSQL)`, () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  describe('test database helper', () => {
    test('each call gives a fresh, isolated database; drop() removes it', async () => {
      const a = await createTestDatabase();
      const b = await createTestDatabase();
      assert.notEqual(a.name, b.name);
      await a.pool.query('CREATE TABLE only_in_a (id int)');
      const inB = await b.pool.query("SELECT to_regclass('only_in_a') AS t");
      assert.equal(inB.rows[0].t, null);
      // A connection left open by the code under test does not prevent the drop.
      const straggler = new pg.Client({ connectionString: a.url });
      straggler.on('error', () => undefined);
      await straggler.connect();
      await a.drop();
      await a.drop();
      await b.drop();
      await straggler.end().catch(() => undefined);
      const admin = new pg.Client({ connectionString: await testServerUrl() });
      await admin.connect();
      const left = await admin.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [
        [a.name, b.name]
      ]);
      await admin.end();
      assert.equal(left.rowCount, 0);
    });
  });

  describe('migrations', () => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase();
      cleanup.push(() => db.drop());
    });

    test('the platform folder holds valid migrations starting with 0001_platform.sql', async () => {
      const migrations = await readMigrations(MIGRATIONS_DIR);
      assert.equal(migrations[0]?.file, '0001_platform.sql');
      const result = await migrate(db.pool);
      assert.ok(result.applied.includes('0001_platform.sql'));
      const again = await migrate(db.pool);
      assert.deepEqual(again.applied, []);
      assert.ok(again.alreadyApplied.includes('0001_platform.sql'));
    });

    test('applies in order, each once, recorded with checksums; idempotent', async () => {
      const target = await createTestDatabase();
      cleanup.push(() => target.drop());
      const dir = await migrationsDir({
        '0002_second.sql': 'ALTER TABLE thing ADD COLUMN label text;',
        '0001_first.sql': 'CREATE TABLE thing (id int PRIMARY KEY);',
        'README.md': 'not a migration'
      });
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const first = await migrate(target.pool, { dir });
      assert.deepEqual(first.applied, ['0001_first.sql', '0002_second.sql']);
      const second = await migrate(target.pool, { dir });
      assert.deepEqual(second, {
        applied: [],
        alreadyApplied: ['0001_first.sql', '0002_second.sql']
      });
      const { rows } = await target.pool.query(
        'SELECT version, file, length(checksum) AS len FROM schema_migrations ORDER BY version'
      );
      assert.deepEqual(rows, [
        { version: '0001', file: '0001_first.sql', len: 64 },
        { version: '0002', file: '0002_second.sql', len: 64 }
      ]);
      await target.pool.query("INSERT INTO thing VALUES (1, 'x')");
    });

    test('two migrators at once: one applies, the other waits and finds nothing to do', async () => {
      const target = await createTestDatabase();
      cleanup.push(() => target.drop());
      const dir = await migrationsDir({
        // The sleep widens the window in which both instances would race without the lock.
        '0001_slow.sql': 'SELECT pg_sleep(0.5); CREATE TABLE counter (n int);',
        '0002_seed.sql': 'INSERT INTO counter VALUES (1);'
      });
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const poolA = createPool({ connectionString: target.url, max: 2 });
      const poolB = createPool({ connectionString: target.url, max: 2 });
      try {
        const [a, b] = await Promise.all([migrate(poolA, { dir }), migrate(poolB, { dir })]);
        const applied = [...a.applied, ...b.applied].sort();
        assert.deepEqual(
          applied,
          ['0001_slow.sql', '0002_seed.sql'],
          'each migration applied exactly once'
        );
        const { rows } = await target.pool.query('SELECT count(*)::int AS n FROM counter');
        assert.equal(rows[0].n, 1);
      } finally {
        await poolA.end();
        await poolB.end();
      }
    });

    test('a failing migration is rolled back and not recorded; the next run retries it', async () => {
      const target = await createTestDatabase();
      cleanup.push(() => target.drop());
      const dir = await migrationsDir({
        '0001_ok.sql': 'CREATE TABLE ok (id int);',
        '0002_broken.sql': 'CREATE TABLE half (id int); SELECT * FROM no_such_table;'
      });
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      await assert.rejects(migrate(target.pool, { dir }), (error: Error) => {
        assert.ok(error instanceof MigrationError);
        assert.match(
          error.message,
          /0002_broken\.sql failed and was rolled back: relation "no_such_table" does not exist/
        );
        return true;
      });
      const half = await target.pool.query("SELECT to_regclass('half') AS t");
      assert.equal(half.rows[0].t, null, 'the partial migration was rolled back');
      const recorded = await target.pool.query('SELECT version FROM schema_migrations');
      assert.deepEqual(recorded.rows, [{ version: '0001' }]);
      await writeFile(path.join(dir, '0002_broken.sql'), 'CREATE TABLE half (id int);');
      assert.deepEqual((await migrate(target.pool, { dir })).applied, ['0002_broken.sql']);
    });

    test('an applied migration that was edited is refused', async () => {
      const target = await createTestDatabase();
      cleanup.push(() => target.drop());
      const dir = await migrationsDir({ '0001_a.sql': 'CREATE TABLE a (id int);' });
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      await migrate(target.pool, { dir });
      await writeFile(path.join(dir, '0001_a.sql'), 'CREATE TABLE a (id bigint);');
      await assert.rejects(
        migrate(target.pool, { dir }),
        /0001_a\.sql changed after it was applied/
      );
    });

    test('badly named or duplicate-version files are refused before touching the database', async () => {
      const badName = await migrationsDir({ '1_init.sql': 'SELECT 1;' });
      const duplicate = await migrationsDir({
        '0001_a.sql': 'SELECT 1;',
        '0001_b.sql': 'SELECT 1;'
      });
      cleanup.push(() => rm(badName, { recursive: true, force: true }));
      cleanup.push(() => rm(duplicate, { recursive: true, force: true }));
      await assert.rejects(
        readMigrations(badName),
        /1_init\.sql: migration files must be named NNNN_description\.sql/
      );
      await assert.rejects(
        readMigrations(duplicate),
        /0001_b\.sql and 0001_a\.sql share the version 0001/
      );
    });
  });

  describe('pool', () => {
    test('pingDatabase succeeds, and fails fast when the server is unreachable', async () => {
      const db = await createTestDatabase();
      cleanup.push(() => db.drop());
      await pingDatabase(db.pool);
      const dead = createPool({
        connectionString: 'postgres://nobody@127.0.0.1:1/none',
        connectionTimeoutMillis: 500
      });
      await assert.rejects(pingDatabase(dead, 1000));
      await dead.end();
    });
  });

  describe('embedded PostgreSQL', () => {
    test('initialises once, reuses the cluster, shares a running server, cleans up', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'embedded-test-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));

      // Two instances starting at once on an empty folder.
      const [a, b] = await Promise.all([
        startEmbeddedPostgres({ dir, port: 0, unsafeFast: true }),
        startEmbeddedPostgres({ dir, port: 0, unsafeFast: true })
      ]);
      assert.equal([a, b].filter((s) => s.owned).length, 1, 'exactly one started the server');
      assert.equal(a.port, b.port);
      const credentials = JSON.parse(
        await readFile(path.join(dir, 'pgdata', CREDENTIALS_FILE), 'utf8')
      );
      assert.equal(credentials.user, 'postgres');
      assert.ok(credentials.password.length >= 24, 'a random password, not a well-known one');

      const client = new pg.Client({ connectionString: a.url });
      await client.connect();
      const info = await client.query(
        "SELECT current_database() AS db, current_setting('server_version_num')::int AS version, " +
          "current_setting('listen_addresses') AS listen, pg_encoding_to_char(encoding) AS encoding " +
          'FROM pg_database WHERE datname = current_database()'
      );
      assert.deepEqual(info.rows[0], {
        db: 'services',
        version: info.rows[0].version,
        listen: '127.0.0.1',
        encoding: 'UTF8'
      });
      assert.ok(info.rows[0].version >= 170000);
      await client.query('CREATE TABLE kept (v text)');
      await client.query("INSERT INTO kept VALUES ('survives a restart')");
      await client.end();

      // Wrong password is refused (scram-sha-256, not trust).
      const intruder = new pg.Client({ connectionString: a.url.replace(/:[^:@]+@/, ':wrong@') });
      intruder.on('error', () => undefined);
      await assert.rejects(intruder.connect(), /password authentication failed/);

      const owner = a.owned ? a : b;
      const guest = a.owned ? b : a;
      await guest.stop();
      await owner.stop();
      assert.ok(!existsSync(path.join(dir, 'pgdata', 'postmaster.pid')), 'server stopped');

      const restarted = await startEmbeddedPostgres({ dir, port: 0, unsafeFast: true });
      try {
        assert.ok(restarted.owned);
        const again = new pg.Client({ connectionString: restarted.url });
        await again.connect();
        const kept = await again.query('SELECT v FROM kept');
        await again.end();
        assert.deepEqual(kept.rows, [{ v: 'survives a restart' }]);
      } finally {
        await restarted.stop();
      }
    });

    test('a process killed outright (SIGKILL) leaves no server and no throw-away folder behind', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'embedded-killed-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const script =
        `import { startEmbeddedPostgres } from ${JSON.stringify(EMBEDDED_MODULE)};` +
        `const s = await startEmbeddedPostgres({ dir: ${JSON.stringify(dir)}, port: 0, ephemeral: true, unsafeFast: true });` +
        `console.log('READY'); setInterval(() => undefined, 1000);`;
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        {
          stdio: ['ignore', 'pipe', 'inherit']
        }
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('READY') && resolve());
        child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      const pidFile = path.join(dir, 'pgdata', 'postmaster.pid');
      const serverPid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
      child.kill('SIGKILL');
      const deadline = Date.now() + 15_000;
      while (existsSync(dir) || isAlive(serverPid)) {
        assert.ok(Date.now() < deadline, 'the watchdog stopped the server and removed the folder');
        await sleep(100);
      }
    });

    test(
      'as root, a folder the postgres user cannot reach is refused with a clear message',
      { skip: process.getuid?.() !== 0 ? 'only meaningful when running as root' : false },
      async () => {
        // mkdtemp makes a 0700 root-owned folder: the postgres user cannot enter it.
        const privateParent = await mkdtemp(path.join(os.tmpdir(), 'embedded-private-'));
        cleanup.push(() => rm(privateParent, { recursive: true, force: true }));
        await assert.rejects(
          startEmbeddedPostgres({ dir: path.join(privateParent, 'pg'), port: 0 }),
          /runs as the "postgres" user when started as root, and that user cannot write .*Set EMBEDDED_PG_DIR/
        );
      }
    );

    test('a folder holding a foreign cluster is refused with a clear message', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'embedded-foreign-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const { mkdir } = await import('node:fs/promises');
      await mkdir(path.join(dir, 'pgdata'));
      await writeFile(path.join(dir, 'pgdata', 'PG_VERSION'), '17\n');
      await assert.rejects(
        startEmbeddedPostgres({ dir, port: 0 }),
        /holds a PostgreSQL cluster that was not created by the services/
      );
    });
  });
});
