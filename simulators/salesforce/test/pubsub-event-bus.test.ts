import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClock } from '../src/clock.ts';
import { createEventBus, UNKNOWN_PUBLISHER_ID } from '../src/pubsub/event-bus.ts';

const HOUR = 60 * 60 * 1000;

describe('event bus', () => {
  it('hands out monotonic replay ids per org, across topics, and stamps the system fields', () => {
    const clock = createClock(new Date('2026-11-29T03:00:00.000Z'));
    const bus = createEventBus(clock, 72 * HOUR);
    const a = bus.publish('Account_Sync__e', { Account_Name__c: 'Acme', CreatedDate: 'ignored' });
    const b = bus.publish('Other__e', {});
    const c = bus.publish('Account_Sync__e', { CreatedById: '005Em0000000001IAA' });
    assert.deepEqual([a.replayId, b.replayId, c.replayId], [1n, 2n, 3n]);
    assert.equal(a.topic, '/event/Account_Sync__e');
    assert.match(a.eventUuid, /^[0-9a-f-]{36}$/);
    assert.equal(a.payload['EventUuid'], a.eventUuid);
    assert.match(String(a.payload['CreatedDate']), /^2026-11-29T03:00:00\.\d{3}\+0000$/);
    assert.equal(a.payload['CreatedById'], UNKNOWN_PUBLISHER_ID);
    assert.equal(c.payload['CreatedById'], '005Em0000000001IAA');
    assert.equal(a.payload['Account_Name__c'], 'Acme');
    assert.deepEqual(
      bus.retained('account_sync__e').map((e) => e.replayId),
      [1n, 3n],
      'topics are case-insensitive and separate'
    );
    assert.deepEqual(
      bus.retained('Account_Sync__e', 1n).map((e) => e.replayId),
      [3n]
    );
    assert.equal(bus.earliestReplayId('Account_Sync__e'), 1n);
    assert.equal(bus.latestReplayId('Account_Sync__e'), 3n);
    assert.equal(bus.lastAssignedReplayId(), 3n);
  });

  it('notifies subscribers until they unsubscribe, and a failing one harms nobody', () => {
    const bus = createEventBus(createClock(), 72 * HOUR);
    const seen: bigint[] = [];
    bus.subscribe('Account_Sync__e', () => {
      throw new Error('broken subscriber');
    });
    const unsubscribe = bus.subscribe('Account_Sync__e', (event) => seen.push(event.replayId));
    bus.publish('Account_Sync__e', {});
    bus.publish('Other__e', {});
    unsubscribe();
    bus.publish('Account_Sync__e', {});
    assert.deepEqual(seen, [1n]);
  });

  it('drops events older than the retention window when the clock advances', () => {
    const clock = createClock();
    const bus = createEventBus(clock, 72 * HOUR);
    bus.publish('Account_Sync__e', {});
    bus.publish('Account_Sync__e', {});
    clock.advance(48 * HOUR);
    bus.publish('Account_Sync__e', {});
    assert.equal(bus.droppedUpTo('Account_Sync__e'), 0n);
    clock.advance(25 * HOUR);
    assert.deepEqual(
      bus.retained('Account_Sync__e').map((e) => e.replayId),
      [3n]
    );
    assert.equal(bus.earliestReplayId('Account_Sync__e'), 3n);
    assert.equal(bus.droppedUpTo('Account_Sync__e'), 2n);
    clock.advance(48 * HOUR);
    assert.equal(bus.retainedCount(), 0);
    assert.equal(bus.earliestReplayId('Account_Sync__e'), undefined);
    assert.equal(bus.latestReplayId('Account_Sync__e'), undefined);
    assert.equal(bus.droppedUpTo('Account_Sync__e'), 3n);
    assert.equal(bus.publish('Account_Sync__e', {}).replayId, 4n, 'ids are never reused');
  });

  it('holds only retained events (memory follows the window, not the history)', () => {
    const clock = createClock();
    const bus = createEventBus(clock, HOUR);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10_000; i++) bus.publish('Account_Sync__e', { Account_Name__c: `n${i}` });
      clock.advance(2 * HOUR);
      assert.equal(bus.retainedCount('Account_Sync__e'), 0);
    }
    bus.publish('Account_Sync__e', {});
    assert.equal(bus.retainedCount(), 1);
    assert.equal(bus.lastAssignedReplayId(), 50_001n);
  });

  it('reset empties every topic and invalidates every id handed out so far', () => {
    const bus = createEventBus(createClock(), 72 * HOUR);
    bus.publish('Account_Sync__e', {});
    bus.publish('Other__e', {});
    bus.reset();
    assert.equal(bus.retainedCount(), 0);
    assert.equal(bus.droppedUpTo('Account_Sync__e'), 2n);
    assert.equal(bus.droppedUpTo('Never_Published__e'), 2n);
    assert.equal(bus.publish('Account_Sync__e', {}).replayId, 3n);
  });

  it('offers a valid resume position even when the latest id aged out', () => {
    const clock = createClock();
    const bus = createEventBus(clock, HOUR);
    bus.publish('Account_Sync__e', {});
    assert.equal(bus.currentPosition('Account_Sync__e'), 1n);
    clock.advance(2 * HOUR);
    assert.equal(bus.droppedUpTo('Account_Sync__e'), 1n);
    const position = bus.currentPosition('Account_Sync__e');
    assert.equal(position, 2n, 'a fresh id, beyond what was dropped');
    assert.equal(bus.currentPosition('Account_Sync__e'), position, 'stable while nothing happens');
    assert.equal(bus.publish('Account_Sync__e', {}).replayId, 3n);
  });

  it('rejects a non-positive retention', () => {
    assert.throws(() => createEventBus(createClock(), 0), RangeError);
  });
});
