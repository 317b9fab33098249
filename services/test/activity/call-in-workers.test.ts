// The call-in workers as the activity service runs them: kill switch read, both duties under
// their leases, a kick from ingestion, clean stop.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '../../../toolkit/testing/wait.ts';
import { GOAL_EVENT } from '../../src/activity/call-in/goal-events.ts';
import { createCallInWorkers } from '../../src/activity/call-in/workers.ts';
import { all, dayOf, startCallInLab, type CallInLab } from './call-in-harness.ts';

describe('activity call-in workers', () => {
  let lab: CallInLab;

  before(async () => {
    lab = await startCallInLab();
  });
  after(async () => {
    await lab?.close();
  });

  it('push the summaries and publish a kicked goal event, then stop', async () => {
    await lab.reset();
    await lab.contacts(['ivan', 'judy']);
    await lab.seedDays([
      { userId: 'ivan', day: dayOf(), steps: 12_000 },
      { userId: 'judy', day: dayOf(), steps: 3_000 }
    ]);
    const callIn = createCallInWorkers({
      pool: lab.db.pool,
      salesforce: lab.salesforce,
      leaseRetryMs: 50,
      config: {
        summaryPushIntervalMs: 60_000,
        summarySettleMs: 1_000,
        summaryMaxRecordsPerJob: 100_000,
        summaryRetryDelayMs: 60_000,
        goalEventsPollMs: 60_000,
        goalEventMaxAttempts: 5,
        goalEventsMaxPerHour: 0,
        killSwitchIntervalMs: 60_000
      }
    });
    const [worker] = callIn.workers;
    await worker!.start?.();
    try {
      await until(
        async () => (await all(lab.admin, 'SELECT Id FROM Daily_Activity_Summary__c')).length === 2,
        'the two summaries',
        { timeoutMs: 10_000, intervalMs: 100 }
      );
      await lab.db.pool.query(
        `INSERT INTO activity_goals_reached (user_id, day, goal, steps) VALUES ('ivan', $1, 10000, 12000)`,
        [dayOf()]
      );
      callIn.kick();
      await until(
        () => lab.org.emulator.ctx.bus.retained(GOAL_EVENT).length === 1,
        'the goal event',
        { timeoutMs: 5_000, intervalMs: 25 }
      );
    } finally {
      await worker!.stop();
    }
    assert.equal(callIn.summary.status().last?.outcome, 'pushed');
  });
});
