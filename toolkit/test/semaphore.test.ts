import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Semaphore, SemaphoreFull } from '../src/semaphore.ts';

describe('Semaphore', () => {
  it('runs at most `limit` tasks at once, the rest in arrival order', async () => {
    const semaphore = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (n: number) => async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(n);
      running -= 1;
      return n;
    };
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => semaphore.run(task(n))));
    assert.deepEqual(results, [1, 2, 3, 4, 5]);
    assert.equal(peak, 2);
    assert.deepEqual(order.slice(2), [3, 4, 5]);
    assert.deepEqual(semaphore.load, { active: 0, waiting: 0 });
  });

  it('refuses beyond maxWaiting, and a failed task frees its place', async () => {
    const semaphore = new Semaphore(1, 1);
    let release!: () => void;
    const first = semaphore.run(() => new Promise<void>((resolve) => (release = resolve)));
    const second = semaphore.run(async () => 'second');
    await assert.rejects(
      semaphore.run(async () => 'third'),
      SemaphoreFull
    );
    release();
    await first;
    assert.equal(await second, 'second');
    await assert.rejects(
      semaphore.run(() => Promise.reject(new Error('boom'))),
      /boom/
    );
    assert.equal(await semaphore.run(async () => 'after'), 'after');
  });
});
