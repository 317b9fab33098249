import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { createPool } from '../../src/platform/db/pool.ts';
import { createQueue, deadLetterQueueName } from '../../src/platform/queue.ts';
import type { JobQueue } from '../../src/platform/queue.ts';
import { createTestDatabase, testDatabaseMode } from '../helpers/database.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { eventually } from '../../../toolkit/testing/wait.ts';

type Jobs = {
  flaky: { n: number };
  dedup: { account: string };
  nightly: { kind: string };
  parallel: { i: number };
  batched: { i: number };
  many: { i: number };
  slow: { ms: number };
  tx: { v: number };
  stale: { i: number };
  'flaky.dead-letter': { n: number };
};

const waitFor = <T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000
): Promise<T> => eventually(probe, what, { timeoutMs, intervalMs: 50 });

describe(`job queue (pg-boss on ${testDatabaseMode()} PostgreSQL)`, () => {
  let db: TestDatabase;
  let queue: JobQueue<Jobs>;

  before(async () => {
    db = await createTestDatabase();
    queue = await createQueue<Jobs>({ pool: db.pool, schema: 'jobs' });
  });
  after(async () => {
    await queue?.stop({ timeoutMs: 2000 });
    await db?.drop();
  });

  test('retries with exponential backoff and jitter, then moves the job to the dead-letter queue', async () => {
    await queue.defineQueue('flaky', { retryLimit: 2, retryDelay: 1, retryBackoff: true });
    const attempts: Array<{ at: number; retryCount: number }> = [];
    await queue.work('flaky', { pollingIntervalSeconds: 0.5 }, async (job) => {
      attempts.push({ at: Date.now(), retryCount: job.retryCount });
      throw new Error(`downstream refused card 4111111111111111 on attempt ${job.retryCount + 1}`);
    });
    const dead: Array<{ n: number }> = [];
    await queue.work(
      deadLetterQueueName('flaky') as 'flaky.dead-letter',
      { pollingIntervalSeconds: 0.5 },
      async (job) => {
        dead.push(job.data);
      }
    );

    const id = await queue.send('flaky', { n: 7 });
    assert.ok(id);
    await waitFor('the dead letter', () => (dead.length > 0 ? true : undefined), 20_000);

    assert.deepEqual(
      attempts.map((a) => a.retryCount),
      [0, 1, 2],
      'first attempt + retryLimit retries'
    );
    const [first, second, third] = attempts;
    const gap1 = (second!.at - first!.at) / 1000;
    const gap2 = (third!.at - second!.at) / 1000;
    // pg-boss: delay(n) = retryDelay * 2^(n+1)/2 * (1 + random()) -> [1,2) s then [2,4) s, plus polling.
    assert.ok(gap1 >= 0.9 && gap1 < 3, `first retry after ${gap1}s`);
    assert.ok(gap2 >= 1.9 && gap2 < 5, `second retry after ${gap2}s`);
    assert.deepEqual(dead, [{ n: 7 }]);

    const job = await queue.getJob('flaky', id);
    assert.equal(job?.state, 'failed');
    const output = job?.output as { message: string; name: string };
    assert.equal(output.name, 'Error');
    assert.match(output.message, /on attempt 3/);
    assert.doesNotMatch(output.message, /4111111111111111/, 'no card number stored in the job row');
  });

  test('singletonKey: one queued job per key on a "short" queue; other keys unaffected', async () => {
    await queue.defineQueue('dedup', { policy: 'short' });
    const first = await queue.send('dedup', { account: '001A' }, { singletonKey: '001A' });
    const duplicate = await queue.send('dedup', { account: '001A' }, { singletonKey: '001A' });
    const other = await queue.send('dedup', { account: '001B' }, { singletonKey: '001B' });
    assert.ok(first);
    assert.equal(duplicate, null, 'the duplicate was dropped');
    assert.ok(other);
    const { rows } = await db.pool.query(
      "SELECT singleton_key FROM jobs.job WHERE name = 'dedup' ORDER BY singleton_key"
    );
    assert.deepEqual(
      rows.map((r) => r.singleton_key),
      ['001A', '001B']
    );
  });

  test('singletonSeconds deduplicates by key within a time slot on a standard queue', async () => {
    await queue.defineQueue('tx');
    const a = await queue.send('tx', { v: 1 }, { singletonKey: 'k', singletonSeconds: 60 });
    const b = await queue.send('tx', { v: 2 }, { singletonKey: 'k', singletonSeconds: 60 });
    assert.ok(a);
    assert.equal(b, null);
  });

  test('a job sent inside a transaction exists only if the transaction commits', async () => {
    await queue.defineQueue('tx');
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const rolledBack = await queue.send('tx', { v: 10 }, { client });
      assert.ok(rolledBack, 'the send inside the first transaction returned an id');
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      const committed = await queue.send('tx', { v: 11 }, { client });
      assert.ok(committed, 'the send inside the second transaction returned an id');
      const { command } = await client.query('COMMIT');
      // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK, not an error.
      assert.equal(command, 'COMMIT');
      assert.equal(await queue.getJob('tx', rolledBack!), null);
      assert.deepEqual((await queue.getJob('tx', committed!))?.data, { v: 11 });
    } finally {
      client.release();
    }
  });

  test('schedules are registered (cron + time zone), listed and removed', async () => {
    await queue.defineQueue('nightly');
    await queue.schedule(
      'nightly',
      '0 2 * * *',
      { kind: 'billing-export' },
      { tz: 'Europe/Berlin' }
    );
    const schedules = await queue.getSchedules();
    assert.deepEqual(
      schedules.filter((s) => s.name === 'nightly'),
      [
        {
          name: 'nightly',
          cron: '0 2 * * *',
          timezone: 'Europe/Berlin',
          data: { kind: 'billing-export' }
        }
      ]
    );
    await assert.rejects(queue.schedule('nightly', 'every night at two', { kind: 'x' }));
    await queue.unschedule('nightly');
    assert.equal((await queue.getSchedules()).filter((s) => s.name === 'nightly').length, 0);
  });

  test('batchSize x concurrency jobs run in parallel, each completed on its own', async () => {
    await queue.defineQueue('parallel', { retryLimit: 0 });
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    for (let i = 0; i < 8; i++) await queue.send('parallel', { i });
    await queue.work(
      'parallel',
      { batchSize: 2, concurrency: 2, pollingIntervalSeconds: 0.5 },
      async (job) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(150);
        running--;
        if (job.data.i === 3) throw new Error('only job 3 fails');
        done.push(job.data.i);
      }
    );
    await waitFor('every job settled', async () => {
      const r = await db.pool.query(
        "SELECT count(*)::int AS n FROM jobs.job WHERE name = 'parallel' AND state IN ('completed', 'failed')"
      );
      return r.rows[0]?.n === 8 ? true : undefined;
    });
    assert.equal(done.length, 7);
    assert.ok(peak >= 2 && peak <= 4, `peak parallelism ${peak}`);
    const { rows } = await db.pool.query(
      "SELECT (data->>'i')::int AS i, state FROM jobs.job WHERE name = 'parallel' ORDER BY 1"
    );
    assert.deepEqual(
      rows.map((r) => `${r.i}:${r.state}`),
      [
        '0:completed',
        '1:completed',
        '2:completed',
        '3:failed',
        '4:completed',
        '5:completed',
        '6:completed',
        '7:completed'
      ],
      "one job's failure does not fail the others of its batch"
    );
  });

  test("sendMany: one statement, every job with the queue's retry settings and dead letter", async () => {
    await queue.defineQueue('many', { retryLimit: 4, retryDelay: 3 });
    await queue.sendMany('many', [{ i: 1 }, { i: 2 }, { i: 3 }]);
    await queue.sendMany('many', []);
    const { rows } = await db.pool.query(
      "SELECT (data->>'i')::int AS i, retry_limit, retry_delay, retry_backoff, dead_letter FROM jobs.job WHERE name = 'many' ORDER BY 1"
    );
    assert.deepEqual(
      rows.map((r) => [r.i, r.retry_limit, r.retry_delay, r.retry_backoff, r.dead_letter]),
      [1, 2, 3].map((i) => [i, 4, 3, true, deadLetterQueueName('many')])
    );
  });

  test('recoverActive: jobs left active by a worker that is gone are failed now and retried', async () => {
    await queue.defineQueue('stale', { retryLimit: 3, retryDelay: 1, retryBackoff: false });
    await queue.sendMany(
      'stale',
      Array.from({ length: 5 }, (_, i) => ({ i }))
    );
    // A worker fetches them and dies: they stay active (pg-boss would expire them in 15 min).
    const taken = await queue.boss.fetch('stale', { batchSize: 10 });
    assert.equal(taken.length, 5);
    assert.equal(await queue.processBatch('stale', 10, async () => undefined), 0, 'none due');
    assert.equal(await queue.recoverActive('stale', 'stale: test'), 5);
    assert.equal(await queue.recoverActive('stale', 'stale: test'), 0, 'nothing active any more');
    const seen: number[] = [];
    await waitFor('the recovered jobs due again', async () => {
      await queue.processBatch('stale', 10, async (jobs) => {
        for (const job of jobs) seen.push(job.data.i);
      });
      return seen.length === 5 ? true : undefined;
    });
    assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4]);
    const job = await queue.getJob('stale', String(taken[0]?.id));
    assert.equal(job?.state, 'completed');
    assert.equal(job?.retryCount, 1, 'the interrupted run counted as an attempt');
  });

  test('processBatch: fetches due jobs once, one handler call; the jobs it names fail, the others complete', async () => {
    await queue.defineQueue('batched', { retryLimit: 0 });
    for (let i = 0; i < 10; i++) await queue.send('batched', { i });
    const calls: number[][] = [];
    const handler = async (jobs: ReadonlyArray<{ id: string; data: { i: number } }>) => {
      calls.push(jobs.map((job) => job.data.i));
      if (jobs.some((job) => job.data.i === 7)) throw new Error('the whole batch fails');
      return new Map(
        jobs.filter((job) => job.data.i === 2).map((job) => [job.id, new Error('only job 2')])
      );
    };
    assert.equal(await queue.processBatch('batched', 6, handler), 6);
    assert.equal(await queue.processBatch('batched', 6, handler), 4);
    assert.equal(await queue.processBatch('batched', 6, handler), 0, 'nothing left that is due');
    assert.equal(calls.length, 2);
    assert.deepEqual(
      calls.flat().sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    );
    const { rows } = await db.pool.query(
      "SELECT (data->>'i')::int AS i, state FROM jobs.job WHERE name = 'batched' ORDER BY 1"
    );
    const batchOf7 = new Set(calls.find((c) => c.includes(7)));
    for (const row of rows as Array<{ i: number; state: string }>) {
      const expected = row.i === 2 || batchOf7.has(row.i) ? 'failed' : 'completed';
      assert.equal(row.state, expected, `job ${row.i}`);
    }
  });

  test('several instances on one database start together and share the work', async () => {
    const fresh = await createTestDatabase();
    try {
      const poolA = createPool({ connectionString: fresh.url, max: 4 });
      const poolB = createPool({ connectionString: fresh.url, max: 4 });
      const started: JobQueue<Jobs>[] = [];
      try {
        // Both install pg-boss's schema and define the same queues at the same moment.
        const [a, b] = await Promise.all([
          createQueue<Jobs>({ pool: poolA, schema: 'jobs' }),
          createQueue<Jobs>({ pool: poolB, schema: 'jobs' })
        ]);
        started.push(a, b);
        await Promise.all([
          a.defineQueue('parallel'),
          b.defineQueue('parallel'),
          a.defineQueue('slow'),
          b.defineQueue('dedup')
        ]);
        const seen: Array<{ worker: string; i: number }> = [];
        for (const [worker, q] of [
          ['a', a],
          ['b', b]
        ] as const) {
          await q.work('parallel', { pollingIntervalSeconds: 0.5, batchSize: 2 }, async (job) => {
            seen.push({ worker, i: job.data.i });
            await sleep(100);
          });
        }
        for (let i = 0; i < 10; i++) await a.send('parallel', { i });
        await waitFor('10 jobs', () => (seen.length === 10 ? true : undefined));
        await sleep(300);
        assert.deepEqual(
          seen.map((s) => s.i).sort((x, y) => x - y),
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
          'each job ran exactly once'
        );
      } finally {
        for (const q of started) await q.stop({ timeoutMs: 2000 });
        await poolA.end();
        await poolB.end();
      }
    } finally {
      await fresh.drop();
    }
  });

  test('stop() waits for a running job to finish', async () => {
    const fresh = await createTestDatabase();
    try {
      const q = await createQueue<Jobs>({ pool: fresh.pool, schema: 'jobs' });
      await q.defineQueue('slow');
      let finished = false;
      let started = false;
      await q.work('slow', { pollingIntervalSeconds: 0.5 }, async (job) => {
        started = true;
        await sleep(job.data.ms);
        finished = true;
      });
      const id = await q.send('slow', { ms: 800 });
      await waitFor('the job to start', () => (started ? true : undefined));
      await q.stop({ timeoutMs: 5000 });
      assert.ok(finished, 'the running job finished before stop() resolved');
      const { rows } = await fresh.pool.query('SELECT state FROM jobs.job WHERE id = $1', [id]);
      assert.equal(rows[0]?.state, 'completed');
    } finally {
      await fresh.drop();
    }
  });
});
