/**
 * The service process (`npm run service:background-check`) SIGKILLed after it recorded
 * BackCheck's callback (200 answered) and before it wrote the result to Salesforce, then started
 * again: the result is in PostgreSQL and the restarted process delivers it. The org emulator,
 * the BackCheck simulator and PostgreSQL run in this process; the service in child processes.
 *
 * Nothing but the outbox writes results, and it runs only on the instance holding its lease.
 * The test holds that lease while the first process runs, as another instance would, so the
 * write cannot happen before the kill. (A long batch wait held it back only most of the time:
 * the outbox's periodic look could take the row between its commit and the kick.)
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { acquireLease, type Lease } from '../../src/platform/lease.ts';
import { completeChecks, startLab, type Lab } from './harness.ts';

const main = fileURLToPath(new URL('../../src/background-check/main.ts', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The lease of the outbox loop (services/src/background-check/service.ts). */
const OUTBOX_LEASE = 'background-check:outbox';

let lab: Lab;
let outboxLease: Lease | undefined;
const children: ChildProcess[] = [];
const stderr: string[] = [];

before(async () => {
  lab = await startLab();
  // The in-process service only seeds the check (request, photo, BackCheck's reference).
  await lab.startService();
});

after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (outboxLease?.held) await outboxLease.release();
  await lab?.close();
});

function startChild(port: number): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, ...lab.env, HTTP_PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe']
  });
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  children.push(child);
  return child;
}

async function ready(port: number): Promise<void> {
  await lab.until(
    async () =>
      (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok === true,
    `service on ${port} ready (${stderr.join('').slice(-500)})`,
    30_000
  );
}

test('SIGKILL between the recorded callback and the Salesforce write: delivered after restart', async () => {
  const app = await lab.createApplication();
  assert.equal((await lab.submit(app.body)).status, 202);
  await lab.until(async () => (await lab.row(app.applicationId))?.state === 'accepted', 'accepted');
  await lab.stopService();

  await lab.until(async () => {
    outboxLease = await acquireLease(lab.db.url, OUTBOX_LEASE);
    return outboxLease !== undefined;
  }, 'the outbox lease, released by the stopped service');

  const port = await freePort();
  const first = startChild(port);
  await ready(port);
  lab.backCheck.control.setCallbackUrl(`http://127.0.0.1:${port}/backcheck/callbacks`);
  await completeChecks(lab);
  await lab.until(
    async () => (await lab.row(app.applicationId))?.state === 'completed',
    'recorded'
  );
  const event = lab.backCheck.control.callbacks()[0];
  assert.equal(event?.attempts.at(-1)?.status, 200, 'BackCheck was answered 200');
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  assert.equal((await lab.application(app.applicationId)).Status__c, 'Background Check Pending');

  await outboxLease?.release();
  startChild(port);
  await lab.until(
    async () => (await lab.application(app.applicationId)).Status__c === 'Approved',
    'Approved after the restart',
    30_000
  );
  // The row is marked once Salesforce has answered: a moment after the write.
  await lab.until(
    async () => (await lab.row(app.applicationId))?.state === 'delivered',
    'delivered'
  );
});
