// Goal events (Remote Call-In) against the org emulator as the integration user and a real
// PostgreSQL: the outbox published as Activity_Goal_Reached__e, 200 per call, every event once,
// failures retried with backoff and given up with a log entry, kick and poll, kill switch.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  GOAL_EVENT,
  GoalEventPublisher,
  type GoalEventsOptions
} from '../../src/activity/call-in/goal-events.ts';
import { until } from '../../../toolkit/testing/wait.ts';
import { all, dayOf, startCallInLab, type CallInLab } from './call-in-harness.ts';

type Json = Record<string, unknown>;

describe('activity goal events', () => {
  let lab: CallInLab;
  /** While true, every request of the publisher's clients fails (an outage). */
  let down = false;

  before(async () => {
    lab = await startCallInLab();
  });
  after(async () => {
    await lab?.close();
  });
  beforeEach(async () => {
    down = false;
    await lab.reset();
    await lab.setSwitch(true);
  });

  const publisher = (overrides: Partial<GoalEventsOptions> = {}) => {
    const clients = lab.org.clients({
      fetch: (input, init) =>
        down
          ? Promise.reject(new TypeError('fetch failed (made unreachable by the test)'))
          : fetch(input, init)
    });
    return new GoalEventPublisher({
      pool: lab.db.pool,
      rest: clients.rest,
      killSwitch: lab.killSwitch,
      pollIntervalMs: 60_000,
      kickDelayMs: 10,
      maxAttempts: 3,
      backoff: { initialDelayMs: 0, maxDelayMs: 0 },
      ...overrides
    });
  };

  const seedGoals = async (count: number, options: { goal?: number; prefix?: string } = {}) => {
    const users = Array.from(
      { length: count },
      (_, i) => `${options.prefix ?? 'goal'}-${String(i).padStart(4, '0')}`
    );
    await lab.db.pool.query(
      `INSERT INTO activity_users (user_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`,
      [users]
    );
    await lab.db.pool.query(
      `INSERT INTO activity_goals_reached (user_id, day, goal, steps, reached_at)
       SELECT u, $2::date, $3, $3 + 17, now() - interval '1 minute'
         FROM unnest($1::text[]) AS u`,
      [users, dayOf(), options.goal ?? 10_000]
    );
    return users;
  };

  const events = () => lab.org.emulator.ctx.bus.retained(GOAL_EVENT);

  it('250 goals: 2 calls, every event published exactly once with its fields', async () => {
    const users = await seedGoals(250);
    const callsBefore = await lab.org.orgApiCalls();
    const report = await publisher().publishOnce();
    assert.equal(report.calls, 2);
    assert.equal(report.published, 250);
    assert.equal((await lab.org.orgApiCalls()) - callsBefore, 2);

    const again = await publisher().publishOnce();
    assert.equal(again.calls, 0, 'nothing left to publish');

    const received = events();
    assert.equal(received.length, 250);
    const keys = new Set(
      received.map(
        (e) => `${String(e.payload.Fitness_User_Id__c)}|${String(e.payload.Activity_Date__c)}`
      )
    );
    assert.equal(keys.size, 250);
    for (const user of users) assert.ok(keys.has(`${user}|${dayOf()}`), user);
    const first = received.find((e) => e.payload.Fitness_User_Id__c === users[0])!;
    assert.equal(Number(first.payload.Steps__c), 10_017);
    assert.equal(Number(first.payload.Goal_Steps__c), 10_000);
    assert.ok(first.payload.Reached_At__c);
    const { rows } = await lab.db.pool.query(
      `SELECT count(*)::int AS n FROM activity_goals_reached WHERE published_at IS NOT NULL`
    );
    assert.equal(rows[0].n, 250);
  });

  it('the hourly cap holds the rest for a later hour', async () => {
    await seedGoals(250);
    const publish = publisher({ maxPerHour: 150 });
    const first = await publish.publishOnce();
    assert.equal(first.published, 150);
    assert.equal(first.calls, 1);
    assert.equal(first.throttled, true);
    assert.equal(first.more, false);
    const second = await publish.publishOnce();
    assert.equal(second.throttled, true);
    assert.equal(second.calls, 0);
    assert.equal(events().length, 150);
  });

  it('an outage: attempts and the error recorded, published on the next round', async () => {
    await seedGoals(3);
    const publish = publisher();
    down = true;
    const failed = await publish.publishOnce();
    assert.equal(failed.failed, 3);
    const { rows } = await lab.db.pool.query(
      `SELECT attempts, last_error, published_at FROM activity_goals_reached`
    );
    assert.ok(
      rows.every(
        (r) => r.attempts === 1 && /fetch failed/.test(r.last_error) && r.published_at === null
      )
    );
    assert.equal(events().length, 0);

    down = false;
    const retried = await publish.publishOnce();
    assert.equal(retried.published, 3);
    assert.equal(events().length, 3);
  });

  it('an event Salesforce refuses is retried, then given up with an Integration_Log__c', async () => {
    await seedGoals(2, { prefix: 'fine' });
    // Goal_Steps__c holds 9 digits: Salesforce refuses this one event, not the call.
    await seedGoals(1, { prefix: 'huge', goal: 2_000_000_000 });
    const publish = publisher({ maxAttempts: 2 });
    const first = await publish.publishOnce();
    assert.equal(first.published, 2);
    assert.equal(first.failed, 1);
    assert.equal(first.gaveUp, 0);
    const second = await publish.publishOnce();
    assert.equal(second.failed, 1);
    assert.equal(second.gaveUp, 1);
    assert.equal((await publish.publishOnce()).calls, 0, 'given up: not sent again');

    const { rows } = await lab.db.pool.query(
      `SELECT attempts, last_error FROM activity_goals_reached WHERE user_id LIKE 'huge%'`
    );
    assert.equal(rows[0].attempts, 2);
    assert.match(rows[0].last_error, /NUMBER_OUTSIDE_VALID_RANGE|Goal_Steps__c/);
    const logs = await all<Json>(
      lab.admin,
      "SELECT Severity__c, Message__c FROM Integration_Log__c WHERE Source__c = 'Activity'"
    );
    assert.equal(logs.length, 1);
    assert.match(String(logs[0]!.Message__c), /given up after 2 attempts/);
    assert.match(String(logs[0]!.Message__c), /huge-0000/);
    assert.equal(events().length, 2);
  });

  it('kick publishes at once; the poll catches rows without a kick; kill switch holds them', async () => {
    const publish = publisher({ pollIntervalMs: 300 });
    const stop = new AbortController();
    const running = publish.run(stop.signal);
    try {
      await seedGoals(1, { prefix: 'kicked' });
      publish.kick();
      await until(() => events().length === 1, 'the kicked event', {
        timeoutMs: 3_000,
        intervalMs: 25
      });

      await lab.setSwitch(false);
      await seedGoals(1, { prefix: 'held' });
      publish.kick();
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(events().length, 1, 'nothing published while the switch is off');

      await lab.setSwitch(true);
      // No kick: the poll finds it.
      await until(() => events().length === 2, 'the held event after the switch is on', {
        timeoutMs: 3_000,
        intervalMs: 25
      });
    } finally {
      stop.abort();
      await running;
    }
  });
});
