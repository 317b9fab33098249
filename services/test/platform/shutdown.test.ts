import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { GracefulShutdown, SHUTDOWN_ORDER } from '../../src/platform/shutdown.ts';
import { createTestDatabase, testDatabaseMode } from '../helpers/database.ts';
import { until } from '../../../toolkit/testing/wait.ts';
import { DUPLICATE_SIGNAL_WINDOW_MS } from '../../../toolkit/src/cli/signals.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/platform-process.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TOKEN = 'fixture-token-0123456789';

describe('graceful shutdown (unit)', () => {
  test('runs steps by order, then registration; a failing step does not stop the rest', async () => {
    const ran: string[] = [];
    const shutdown = new GracefulShutdown({ stepTimeoutMs: 1000 });
    shutdown.add('embedded', async () => void ran.push('embedded'), {
      order: SHUTDOWN_ORDER.database
    });
    shutdown.add('pool', async () => void ran.push('pool'), { order: SHUTDOWN_ORDER.pool });
    shutdown.add('subscriber', async () => {
      ran.push('subscriber');
      throw new Error('subscriber close failed');
    });
    shutdown.add('queue', async () => void ran.push('queue'), { order: SHUTDOWN_ORDER.queue });
    shutdown.add('http', async () => void ran.push('http'), { order: SHUTDOWN_ORDER.http });
    shutdown.add('export', async () => void ran.push('export'));
    const results = await shutdown.run('test');
    assert.deepEqual(ran, ['http', 'queue', 'subscriber', 'export', 'pool', 'embedded']);
    assert.deepEqual(
      results.map((r) => `${r.name}:${r.status}`),
      ['http:ok', 'queue:ok', 'subscriber:failed', 'export:ok', 'pool:ok', 'embedded:ok']
    );
    assert.equal(await shutdown.run('again'), results, 'runs once');
  });

  test('each step is time-boxed', async () => {
    const ran: string[] = [];
    const shutdown = new GracefulShutdown({ stepTimeoutMs: 150 });
    shutdown.add('stuck', () => new Promise(() => undefined), { order: 1 });
    shutdown.add('next', async () => void ran.push('next'), { order: 2 });
    const started = Date.now();
    const results = await shutdown.run();
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(
      results.map((r) => r.status),
      ['timed_out', 'ok']
    );
    assert.deepEqual(ran, ['next']);
  });

  test('first signal shuts down then exits 0; its copies are ignored, a later second signal forces exit', async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    let release: () => void = () => undefined;
    let clock = 1_000;
    const shutdown = new GracefulShutdown({
      signalSource: signals,
      exit: (code) => exits.push(code),
      stepTimeoutMs: 5000,
      now: () => clock
    });
    shutdown.add('slow', () => new Promise<void>((resolve) => (release = resolve)));
    shutdown.install();
    signals.emit('SIGTERM');
    await sleep(20);
    assert.ok(shutdown.inProgress);
    assert.deepEqual(exits, []);
    // A terminal's Ctrl+C reaches npm and node; npm forwards it again a few ms later.
    clock += 30;
    signals.emit('SIGINT');
    signals.emit('SIGTERM');
    assert.deepEqual(exits, [], 'copies within the duplicate window are not a second Ctrl+C');
    clock += 1_000;
    signals.emit('SIGINT');
    assert.deepEqual(exits, [130], 'forced: 128 + SIGINT');
    release();
    await shutdown.run();
    await sleep(0);
    assert.deepEqual(exits, [130, 0]);
    shutdown.uninstall();
    assert.equal(signals.listenerCount('SIGTERM'), 0);
  });
});

interface RunningFixture {
  child: ChildProcess;
  url: string;
  logs: () => Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startFixture(env: Record<string, string>): Promise<RunningFixture> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      HTTP_PORT: '0',
      SERVICE_API_TOKENS: TOKEN,
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // 'close', not 'exit': every line the process wrote has been read by then.
    child.once('close', (code, signal) => resolve({ code, signal }))
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.startsWith('READY ')) resolve(line.slice(6));
        else lines.push(line);
      }
    });
    exited.then(({ code }) =>
      reject(new Error(`fixture exited with ${code}: ${stderr}\n${lines.join('\n')}`))
    );
    setTimeout(
      () => reject(new Error(`fixture did not start: ${stderr}\n${lines.join('\n')}`)),
      60_000
    ).unref();
  });
  return {
    child,
    url,
    exited,
    logs: () =>
      lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
  };
}

function waitForLog(fixture: RunningFixture, msg: string): Promise<void> {
  return until(() => fixture.logs().some((l) => l.msg === msg), `the log line "${msg}"`, {
    timeoutMs: 15_000,
    intervalMs: 20
  });
}

function shutdownLog(fixture: RunningFixture): string {
  return fixture
    .logs()
    .filter((l) => l.component === 'shutdown' || l.level === 'error' || l.level === 'warn')
    .map((l) => JSON.stringify(l))
    .join('\n');
}

describe(`graceful shutdown of a platform process (${testDatabaseMode()} PostgreSQL)`, () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test('SIGTERM: in-flight request completes, then the worker, the queue, pool close, exit 0', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const fixture = await startFixture({ DATABASE_URL: db.url });
    cleanup.push(async () => fixture.child.kill('SIGKILL'));

    const ready = await fetch(`${fixture.url}/readyz`);
    assert.equal(ready.status, 200);
    const inFlight = fetch(`${fixture.url}/slow`, {
      headers: { authorization: `Bearer ${TOKEN}` }
    });
    await waitForLog(fixture, 'slow request started');
    fixture.child.kill('SIGTERM');

    const response = await inFlight;
    assert.equal(response.status, 200, 'the request in flight was drained, not cut');
    assert.deepEqual(await response.json(), { slow: 'done' });
    const { code } = await fixture.exited;
    assert.equal(code, 0, shutdownLog(fixture));

    const steps = fixture
      .logs()
      .filter((l) => l.msg === 'shutdown step done')
      .map((l) => l.name);
    assert.deepEqual(
      steps,
      [
        'drain HTTP server',
        'stop fixture: fixture worker',
        'stop queue workers',
        'close database pool'
      ],
      shutdownLog(fixture)
    );
    await assert.rejects(fetch(`${fixture.url}/healthz`), 'no longer accepting connections');
    const migrated = await db.pool.query(
      "SELECT file FROM schema_migrations WHERE version = '0001'"
    );
    assert.deepEqual(migrated.rows, [{ file: '0001_platform.sql' }]);
  });

  test('without DATABASE_URL: embedded PostgreSQL starts, and stops last on SIGINT', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'platform-embedded-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const fixture = await startFixture({ EMBEDDED_PG_DIR: dir, EMBEDDED_PG_PORT: '0' });
    cleanup.push(async () => fixture.child.kill('SIGKILL'));
    assert.ok(existsSync(path.join(dir, 'pgdata', 'postmaster.pid')), 'the embedded server runs');
    const ready = await fetch(`${fixture.url}/readyz`);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { database: 'ok' } });

    fixture.child.kill('SIGINT');
    const { code } = await fixture.exited;
    assert.equal(code, 0, shutdownLog(fixture));
    const steps = fixture
      .logs()
      .filter((l) => l.msg === 'shutdown step done')
      .map((l) => l.name);
    assert.deepEqual(
      steps,
      [
        'drain HTTP server',
        'stop fixture: fixture worker',
        'stop queue workers',
        'close database pool',
        'stop embedded PostgreSQL'
      ],
      shutdownLog(fixture)
    );
    assert.ok(
      !existsSync(path.join(dir, 'pgdata', 'postmaster.pid')),
      'the embedded server stopped'
    );
    const started = fixture.logs().find((l) => l.msg === 'starting');
    assert.equal((started?.config as { database: { mode: string } }).database.mode, 'embedded');
  });

  test('a second signal during a stuck shutdown exits at once', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const fixture = await startFixture({
      DATABASE_URL: db.url,
      FIXTURE_HANG_STEP: '1',
      SHUTDOWN_STEP_TIMEOUT_MS: '60000'
    });
    cleanup.push(async () => fixture.child.kill('SIGKILL'));
    fixture.child.kill('SIGTERM');
    await waitForLog(fixture, 'fixture step running');
    // After the window in which a signal counts as a copy of the first (forwarded by a parent).
    await sleep(DUPLICATE_SIGNAL_WINDOW_MS + 100);
    fixture.child.kill('SIGTERM');
    const { code } = await fixture.exited;
    assert.equal(code, 143, 'forced exit: 128 + SIGTERM');
    assert.ok(fixture.logs().some((l) => l.msg === 'second signal during shutdown: exiting now'));
  });
});
