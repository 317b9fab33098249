// `npm start` stopped the ways people and machines stop it: Ctrl+C on a terminal (SIGINT to the
// whole foreground process group: npm, sh, node) and SIGTERM to npm alone (a container runtime,
// `kill <pid>`). Either way the services drain in order, the embedded PostgreSQL (in its own
// process group) stops last, nothing is left running, and nothing is logged as an error.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { projectRoot } from '../../toolkit/src/project.ts';
import { until } from '../../toolkit/testing/wait.ts';

interface RunningLab {
  npm: ChildProcess;
  dataDir: string;
  logs: () => Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<number | null>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startNpmLab(dir: string): Promise<RunningLab> {
  const npm = spawn(
    'npm',
    [
      'start',
      '--silent',
      '--',
      '--emulator-port',
      '0',
      '--pubsub-port',
      '0',
      '--sap-port',
      '0',
      '--securepay-port',
      '0'
    ],
    {
      cwd: projectRoot(),
      // Its own process group, as a terminal gives a foreground job.
      detached: true,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        EMBEDDED_PG_DIR: dir,
        EMBEDDED_PG_PORT: '0',
        HTTP_PORT: '0',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info'
      },
      stdio: ['ignore', 'pipe', 'pipe']
    }
  );
  let out = '';
  let err = '';
  npm.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  npm.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) =>
    npm.once('close', (code) => resolve(code))
  );
  const lab: RunningLab = {
    npm,
    dataDir: path.join(dir, 'pgdata'),
    logs: () =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stderr: () => err,
    exited
  };
  await until(
    () => err.includes('Lab ready'),
    () => `the lab to start:\n${err}\n${out}`,
    {
      timeoutMs: 120_000,
      intervalMs: 100
    }
  );
  return lab;
}

function labPid(lab: RunningLab): number {
  const pid = lab.logs().find((line) => typeof line.pid === 'number')?.pid;
  assert.equal(typeof pid, 'number', 'the lab logs its pid');
  return pid as number;
}

function postmasterPid(lab: RunningLab): number {
  const started = lab.logs().find((line) => line.msg === 'platform started');
  assert.ok(started, 'platform started');
  return Number(readFileSync(path.join(lab.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function assertCleanShutdown(lab: RunningLab): void {
  const logs = lab.logs();
  const problems = logs.filter(
    (line) => line.level === 'error' || line.level === 'fatal' || line.level === 'warn'
  );
  assert.deepEqual(problems, [], 'nothing logged as a warning or an error');
  assert.doesNotMatch(lab.stderr(), /terminating connection due to administrator command/);
  const steps = logs.filter((line) => line.msg === 'shutdown step done').map((line) => line.name);
  const order = [
    'drain HTTP server',
    'stop account-sync: subscriber',
    'stop account-sync: batcher',
    'stop payments: pending payment outcomes',
    'stop queue workers',
    'close Salesforce clients',
    'close database pool',
    'stop embedded PostgreSQL'
  ];
  for (const step of order)
    assert.ok(steps.includes(step), `step "${step}" ran: ${steps.join(', ')}`);
  const positions = order.map((step) => steps.indexOf(step));
  assert.deepEqual(
    positions,
    [...positions].sort((a, b) => a - b),
    `in order: ${steps.join(', ')}`
  );
  assert.equal(
    logs.filter((line) => line.msg === 'shutdown complete').length,
    1,
    'one shutdown, not one per copy of the signal'
  );
}

describe('npm start stops cleanly', () => {
  const dirs: string[] = [];
  const groups: number[] = [];
  after(async () => {
    for (const group of groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test('Ctrl+C (SIGINT to the process group): ordered shutdown, PostgreSQL last, nothing left', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lab-sigint-'));
    dirs.push(dir);
    const lab = await startNpmLab(dir);
    groups.push(lab.npm.pid!);
    const node = labPid(lab);
    const postgres = postmasterPid(lab);

    process.kill(-lab.npm.pid!, 'SIGINT');
    await lab.exited;
    await until(() => !alive(node) && !alive(postgres), 'the lab and PostgreSQL to exit', 30_000);
    assertCleanShutdown(lab);
    assert.ok(!existsSync(path.join(lab.dataDir, 'postmaster.pid')), 'PostgreSQL shut down');
  });

  test('SIGTERM to npm alone: the lab notices its parent is gone and shuts down too', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lab-sigterm-'));
    dirs.push(dir);
    const lab = await startNpmLab(dir);
    groups.push(lab.npm.pid!);
    const node = labPid(lab);
    const postgres = postmasterPid(lab);

    process.kill(lab.npm.pid!, 'SIGTERM');
    await until(() => !alive(node) && !alive(postgres), 'the orphaned lab to stop', 30_000);
    assertCleanShutdown(lab);
    const stop = lab.logs().find((line) => line.msg === 'stop requested');
    assert.equal(stop?.reason, 'parent process exited');
  });
});
