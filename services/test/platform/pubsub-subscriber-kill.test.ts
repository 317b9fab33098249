/**
 * Acceptance: a subscriber process killed mid-stream (SIGKILL) and restarted delivers every event
 * at least once and skips none. The subscriber runs in a child process
 * (fixtures/pubsub-subscriber-worker.ts: PostgreSQL replay store and lease, handler appending
 * each processed event to a file); this process runs the emulated org and publishes while the
 * child works.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  EVENT_NAME,
  startPubSubTestOrg,
  TOPIC
} from '../../../simulators/salesforce/test/pubsub-test-org.ts';
import type { PubSubTestOrg } from '../../../simulators/salesforce/test/pubsub-test-org.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import { PgReplayStore } from '../../src/platform/salesforce/replay-store.ts';
import { createTestDatabase } from '../helpers/database.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { sleep, until } from '../../../toolkit/testing/wait.ts';
import { pubSubOrgEnv } from './fixtures/pubsub-env.ts';

const TOTAL = 2_000;
const KILL_AFTER_LINES = 550;
const SUBSCRIBER = 'kill-test';
/** How long a worker may take to subscribe or to get going. */
const WORKER_WAIT_MS = 30_000;
const worker = fileURLToPath(new URL('./fixtures/pubsub-subscriber-worker.ts', import.meta.url));

interface Line {
  replayId: bigint;
  eventUuid: string;
}

function readLines(file: string): Line[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => /^(\d+) ([0-9a-f-]{36})$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ replayId: BigInt(match[1]!), eventUuid: match[2]! }));
}

describe('subscriber process killed mid-stream and restarted', () => {
  let org: PubSubTestOrg;
  let db: TestDatabase;
  let dir: string;
  const children: ChildProcessWithoutNullStreams[] = [];

  before(async () => {
    org = await startPubSubTestOrg({ keepaliveMs: 100 });
    db = await createTestDatabase();
    await migrate(db.pool);
    dir = await mkdtemp(path.join(os.tmpdir(), 'pubsub-kill-'));
  });

  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await org.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  function startWorker(outFile: string): {
    child: ChildProcessWithoutNullStreams;
    subscribed: () => boolean;
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  } {
    const child = spawn(process.execPath, ['--import', 'tsx', worker], {
      env: {
        ...process.env,
        ...pubSubOrgEnv(org),
        DATABASE_URL: db.url,
        OUT_FILE: outFile,
        TOPIC,
        SUBSCRIBER,
        HANDLER_DELAY_MS: '1'
      }
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
      stderr: string;
    }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
    return { child, subscribed: () => stdout.includes('subscribed'), exited };
  }

  it(`delivers all ${TOTAL} events at least once, none skipped, across a SIGKILL`, async () => {
    const outFile = path.join(dir, 'processed.txt');
    const published = new Map<string, bigint>();

    const first = startWorker(outFile);
    await until(first.subscribed, 'the first worker to subscribe', WORKER_WAIT_MS);

    // Publish while the worker runs; kill it once it is well into the stream.
    let killedAt: number | undefined;
    let publishedAtKill = 0;
    for (let i = 0; i < TOTAL; i += 20) {
      for (let j = i; j < i + 20; j++) {
        const event = org.bus.publish(EVENT_NAME, { Account_Name__c: `Account ${j}` });
        published.set(event.eventUuid, event.replayId);
      }
      if (killedAt === undefined && readLines(outFile).length >= KILL_AFTER_LINES) {
        first.child.kill('SIGKILL');
        killedAt = readLines(outFile).length;
        publishedAtKill = published.size;
      }
      await sleep(15);
    }
    if (killedAt === undefined) {
      await until(
        () => readLines(outFile).length >= KILL_AFTER_LINES,
        'the first worker to get going',
        WORKER_WAIT_MS
      );
      first.child.kill('SIGKILL');
      killedAt = readLines(outFile).length;
      publishedAtKill = published.size;
    }
    const firstExit = await first.exited;
    assert.equal(firstExit.signal, 'SIGKILL');
    const linesOfFirstRun = readLines(outFile);
    assert.ok(
      linesOfFirstRun.length < TOTAL,
      `killed mid-stream (${linesOfFirstRun.length} of ${TOTAL} processed)`
    );

    // The invariant the restart relies on: the stored position never ran ahead of the handler.
    const stored = await new PgReplayStore(db.pool).load(SUBSCRIBER, TOPIC);
    assert.ok(stored !== undefined, 'the first worker committed positions');
    const processedFirst = new Set(linesOfFirstRun.map((l) => l.eventUuid));
    for (const [uuid, replayId] of published) {
      if (replayId <= stored)
        assert.ok(processedFirst.has(uuid), `event ${replayId} committed but not processed`);
    }

    const second = startWorker(outFile);
    await until(
      () => {
        const seen = new Set(readLines(outFile).map((l) => l.eventUuid));
        return [...published.keys()].every((uuid) => seen.has(uuid));
      },
      'every event after the restart',
      60_000
    );
    second.child.kill('SIGTERM');
    const secondExit = await second.exited;
    assert.equal(secondExit.code, 0, secondExit.stderr);

    const lines = readLines(outFile);
    const seen = new Set(lines.map((l) => l.eventUuid));
    const missing = [...published.keys()].filter((uuid) => !seen.has(uuid));
    assert.deepEqual(missing, [], 'no event skipped');
    const unknown = [...seen].filter((uuid) => !published.has(uuid));
    assert.deepEqual(unknown, [], 'only published events');
    const duplicates = lines.length - seen.size;
    console.log(
      `# killed after ${killedAt} processed (${publishedAtKill} published), stored replay id ${stored}; ` +
        `${lines.length} deliveries for ${published.size} events (${duplicates} duplicates)`
    );
    // Redelivery starts at the stored position: duplicates are bounded by what was uncommitted.
    assert.ok(duplicates <= linesOfFirstRun.length);
  });
});
