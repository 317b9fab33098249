import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { acquireLease, advisoryLockKey, startExclusiveDuty } from '../../src/platform/lease.ts';
import { createTestDatabase, testDatabaseMode } from '../helpers/database.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { until } from '../../../toolkit/testing/wait.ts';

async function terminateLeaseSessions(db: TestDatabase, name: string): Promise<number> {
  // What a crashed instance or a dropped network looks like from the server's side.
  const { rowCount } = await db.pool.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
    [`lease:${name}`]
  );
  return rowCount ?? 0;
}

const waitFor = (what: string, check: () => boolean) => until(check, what, { intervalMs: 25 });

describe(`leases (${testDatabaseMode()} PostgreSQL)`, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  test('keys are stable signed 64-bit integers', () => {
    assert.equal(
      advisoryLockKey('pubsub:/event/Account_Sync__e'),
      advisoryLockKey('pubsub:/event/Account_Sync__e')
    );
    assert.notEqual(advisoryLockKey('a'), advisoryLockKey('b'));
    const key = BigInt(advisoryLockKey('nightly-export'));
    assert.ok(key >= -(2n ** 63n) && key < 2n ** 63n);
  });

  test('a second holder is blocked until the first releases', async () => {
    const first = await acquireLease(db.url, 'export');
    assert.ok(first?.held);
    assert.equal(await acquireLease(db.pool, 'export'), undefined, 'second attempt blocked');
    const other = await acquireLease(db.url, 'another-duty');
    assert.ok(other, 'different names do not interfere');
    await other.release();
    await first.release();
    assert.equal(first.held, false);
    assert.ok(first.signal.aborted);
    assert.equal(await first.ended, undefined, 'a release is not a loss');
    const second = await acquireLease(db.url, 'export');
    assert.ok(second?.held);
    await second.release();
  });

  test('another instance takes over when the holder connection dies; the holder learns it lost', async () => {
    const first = await acquireLease(db.url, 'subscriber', { heartbeatMs: 200 });
    assert.ok(first);
    assert.equal(await acquireLease(db.url, 'subscriber'), undefined);
    assert.equal(await terminateLeaseSessions(db, 'subscriber'), 1);
    const reason = await first.ended;
    assert.ok(reason instanceof Error, 'the holder is told the lease is gone');
    assert.equal(first.held, false);
    assert.ok(first.signal.aborted);
    // The server frees the lock when the terminated backend has exited, a moment after the
    // client saw its connection fail: the taker retries, as startExclusiveDuty does.
    let second = await acquireLease(db.url, 'subscriber');
    for (let attempt = 0; !second && attempt < 50; attempt++) {
      await sleep(100);
      second = await acquireLease(db.url, 'subscriber');
    }
    assert.ok(second?.held, 'taken over after the connection closed');
    await second.release();
    await first.release();
  });

  test('an exclusive duty runs on one instance at a time and fails over when its holder dies', async () => {
    const running = new Set<string>();
    const started: string[] = [];
    const duty = (instance: string) => async (signal: AbortSignal) => {
      running.add(instance);
      started.push(instance);
      await new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => resolve(), { once: true })
      );
      running.delete(instance);
    };
    const a = startExclusiveDuty(db.url, 'pubsub', duty('a'), { retryMs: 100, heartbeatMs: 100 });
    await waitFor('a to lead', () => a.isLeader());
    const b = startExclusiveDuty(db.url, 'pubsub', duty('b'), { retryMs: 100, heartbeatMs: 100 });
    await sleep(400);
    assert.deepEqual([...running], ['a'], 'only the leader runs the duty');
    assert.equal(b.isLeader(), false);

    await terminateLeaseSessions(db, 'pubsub');
    await waitFor('b to take over', () => b.isLeader() || (a.isLeader() && started.length > 1));
    await sleep(300);
    assert.equal(running.size, 1, 'still exactly one runner after the failover');
    assert.ok(started.length >= 2, 'the duty restarted on a new lease');

    await a.stop();
    await b.stop();
    assert.equal(running.size, 0, 'stop() ends the duty');
    assert.equal(a.isLeader() || b.isLeader(), false);
  });
});
