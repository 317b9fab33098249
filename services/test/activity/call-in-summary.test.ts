// The daily summary push (Remote Call-In) against the org emulator as the integration user and a
// real PostgreSQL: one Bulk API 2.0 upsert job per run, records carrying their key and fitness
// user id (never the contact: the org's trigger ActivitySummaryLink links it, proven by the Apex
// tests; the emulator runs no Apex), users without a Contact stored and not refused, API calls
// counted, idempotent, refused days logged and retried, resumable after a crash, kill switch
// honoured.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SummaryPusher, type SummaryPushOptions } from '../../src/activity/call-in/summary-push.ts';
import { all, dayOf, startCallInLab, type CallInLab } from './call-in-harness.ts';

type Json = Record<string, unknown>;

describe('activity daily summary push', () => {
  let lab: CallInLab;

  before(async () => {
    lab = await startCallInLab();
  });
  after(async () => {
    await lab?.close();
  });
  beforeEach(async () => {
    await lab.reset();
    await lab.setSwitch(true);
  });

  const pusher = (overrides: Partial<SummaryPushOptions> = {}) =>
    new SummaryPusher({
      pool: lab.db.pool,
      bulkIngest: lab.salesforce.bulkIngest,
      rest: lab.salesforce.rest,
      killSwitch: lab.killSwitch,
      intervalMs: 60_000,
      settleMs: 1_000,
      maxRecordsPerJob: 100_000,
      retryBackoff: { initialDelayMs: 0, maxDelayMs: 0 },
      poll: { initialDelayMs: 20, maxDelayMs: 100 },
      ...overrides
    });

  const summaries = () =>
    all<Json>(
      lab.admin,
      'SELECT Id, External_Key__c, Fitness_User_Id__c, Contact__c, Activity_Date__c, Steps__c, Goal_Steps__c, Goal_Reached__c, Calories__c, Heart_Rate_Average__c, Last_Reading_At__c FROM Daily_Activity_Summary__c'
    );
  const ingestJobs = async () => {
    const { body } = await lab.org.emulator.rest('GET', 'jobs/ingest');
    return (body as { records: Json[] }).records;
  };

  it('1,000 users, 100 of them Contacts: one job, 1,000 summaries, none refused, a handful of API calls', async () => {
    const users = Array.from({ length: 1000 }, (_, i) => `user-${String(i).padStart(4, '0')}`);
    // Most fitness users are not in Salesforce: their days are stored all the same.
    await lab.contacts(users.filter((_, i) => i % 10 === 0));
    await lab.seedDays(
      users.map((userId, i) => ({ userId, day: dayOf(), steps: 5000 + i * 10, goal: 10_000 }))
    );
    const callsBefore = await lab.org.orgApiCalls();
    const report = await pusher().runOnce();
    const spent = (await lab.org.orgApiCalls()) - callsBefore;

    assert.equal(report.outcome, 'pushed');
    assert.equal(report.records, 1000);
    assert.equal(report.failed, 0);
    // create + upload + close + polls; no results read when nothing failed.
    assert.equal(report.calls.create, 1);
    assert.equal(report.calls.upload, 1);
    assert.equal(report.calls.close, 1);
    assert.equal(report.calls.results, 0);
    assert.ok(report.calls.poll >= 1);
    assert.equal(spent, report.apiCalls, 'the report counts every API call the org counted');
    assert.ok(spent <= 10, `${spent} API calls`);
    assert.equal((await ingestJobs()).length, 1);

    const records = await summaries();
    assert.equal(records.length, 1000);
    const byKey = new Map(records.map((r) => [r.External_Key__c, r]));
    for (const i of [0, 1, 499, 500, 999]) {
      const record = byKey.get(`${users[i]}:${dayOf()}`);
      assert.ok(record, users[i]);
      assert.equal(record.Fitness_User_Id__c, users[i]);
      assert.equal(record.Activity_Date__c, dayOf());
      assert.equal(Number(record.Steps__c), 5000 + i * 10);
      assert.equal(Number(record.Goal_Steps__c), 10_000);
      assert.equal(record.Heart_Rate_Average__c, 72);
      assert.equal(record.Goal_Reached__c, 5000 + i * 10 >= 10_000);
    }
  });

  it('a run without changes makes no job; a changed day updates the same record', async () => {
    await lab.contacts(['alice']);
    await lab.seedDays([{ userId: 'alice', day: dayOf(), steps: 1200 }]);
    const push = pusher();
    assert.equal((await push.runOnce()).outcome, 'pushed');
    const [first] = await summaries();

    const idle = await push.runOnce();
    assert.equal(idle.outcome, 'idle');
    assert.equal(idle.apiCalls, 0);
    assert.equal((await ingestJobs()).length, 1);

    await lab.seedDays([{ userId: 'alice', day: dayOf(), steps: 12_500 }]);
    const again = await push.runOnce();
    assert.equal(again.outcome, 'pushed');
    assert.equal(again.records, 1);
    const records = await summaries();
    assert.equal(records.length, 1);
    assert.equal(records[0]!.Id, first!.Id);
    assert.equal(Number(records[0]!.Steps__c), 12_500);
    assert.equal(records[0]!.Goal_Reached__c, true);
  });

  it('a day updated within the settle delay waits for a later run', async () => {
    await lab.contacts(['bob']);
    await lab.seedDays([
      { userId: 'bob', day: dayOf(), steps: 10, updatedAt: new Date().toISOString() }
    ]);
    const push = pusher({ settleMs: 60_000 });
    assert.equal((await push.runOnce()).outcome, 'idle');
    assert.equal((await summaries()).length, 0);
  });

  it('a full job is cut at the key order and the next run goes on without repeating a day', async () => {
    const users = Array.from({ length: 25 }, (_, i) => `cut-${String(i).padStart(2, '0')}`);
    await lab.contacts(users);
    // Every day with the same updated_at: the watermark must still cut between them.
    const at = new Date(Date.now() - 60_000).toISOString();
    await lab.seedDays(users.map((userId) => ({ userId, day: dayOf(), steps: 1, updatedAt: at })));
    const push = pusher({ maxRecordsPerJob: 10, chunkSize: 4 });
    const runs = [await push.runOnce(), await push.runOnce(), await push.runOnce()];
    assert.deepEqual(
      runs.map((r) => [r.records, r.more]),
      [
        [10, true],
        [10, true],
        [5, false]
      ]
    );
    assert.equal((await push.runOnce()).outcome, 'idle');
    assert.equal((await summaries()).length, 25);
  });

  it('a job is also cut at maxBytesPerJob', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `byte-${String(i).padStart(2, '0')}`);
    await lab.contacts(users);
    await lab.seedDays(users.map((userId) => ({ userId, day: dayOf(), steps: 1 })));
    // The header (~210 bytes) and about three rows (~95 bytes each) fit.
    const push = pusher({ maxBytesPerJob: 500 });
    const runs = [];
    for (let i = 0; i < 10; i++) {
      const report = await push.runOnce();
      runs.push(report);
      if (!report.more) break;
    }
    assert.ok(runs.length >= 3, `${runs.length} jobs`);
    assert.equal(
      runs.reduce((sum, r) => sum + r.records, 0),
      12
    );
    assert.equal((await summaries()).length, 12);
  });

  it('days of users without a Contact are stored with their fitness user id, not refused', async () => {
    await lab.contacts(['known']);
    await lab.seedDays([
      { userId: 'known', day: dayOf(), steps: 100 },
      { userId: 'stranger', day: dayOf(), steps: 200 },
      { userId: 'stranger', day: dayOf(1), steps: 300 }
    ]);
    const report = await pusher().runOnce();
    assert.equal(report.outcome, 'pushed');
    assert.equal(report.records, 3);
    assert.equal(report.failed, 0);
    assert.deepEqual(report.failures, {});
    assert.equal(report.calls.results, 0);
    assert.equal(report.calls.log, 0);
    const { rowCount } = await lab.db.pool.query(`SELECT 1 FROM activity_summary_retries`);
    assert.equal(rowCount, 0);

    const records = await summaries();
    assert.deepEqual(
      records.map((r) => [r.External_Key__c, r.Fitness_User_Id__c]).sort(),
      [
        [`known:${dayOf()}`, 'known'],
        [`stranger:${dayOf(1)}`, 'stranger'],
        [`stranger:${dayOf()}`, 'stranger']
      ].sort()
    );
    // The service never sets the contact (the org's trigger does; the emulator runs no Apex).
    assert.ok(records.every((r) => r.Contact__c === null));
  });

  it('refused days are logged with the reason and pushed again until Salesforce takes them', async () => {
    await lab.seedDays([
      { userId: 'steady', day: dayOf(), steps: 100 },
      { userId: 'glitch', day: dayOf(), steps: 200 },
      { userId: 'glitch', day: dayOf(1), steps: 300 }
    ]);
    // A corrupt counter: more readings than Readings__c (Number 9, 0) holds. The PostgreSQL
    // column takes it, Salesforce refuses the row (NUMBER_OUTSIDE_VALID_RANGE).
    await lab.db.pool.query(
      `UPDATE activity_days SET readings = 1000000000 WHERE user_id = 'glitch'`
    );
    const push = pusher();
    const first = await push.runOnce();
    assert.equal(first.records, 3);
    assert.equal(first.failed, 2);
    assert.equal(first.calls.results, 1);
    assert.equal(first.calls.log, 1);
    assert.deepEqual(Object.keys(first.failures), ['NUMBER_OUTSIDE_VALID_RANGE']);
    const { rows: retries } = await lab.db.pool.query(
      `SELECT user_id, error_code, message, attempts FROM activity_summary_retries ORDER BY day`
    );
    assert.equal(retries.length, 2);
    assert.ok(retries.every((r) => r.user_id === 'glitch'));
    assert.match(String(retries[0].message), /Readings/);

    const logs = await all<Json>(
      lab.admin,
      "SELECT Source__c, Severity__c, Message__c, Reference__c FROM Integration_Log__c WHERE Source__c = 'Activity'"
    );
    assert.equal(logs.length, 1);
    assert.equal(logs[0]!.Severity__c, 'ERROR');
    assert.equal(logs[0]!.Reference__c, first.jobId);
    assert.match(String(logs[0]!.Message__c), /refused 2 of 3/);
    assert.match(String(logs[0]!.Message__c), /glitch:.*NUMBER_OUTSIDE_VALID_RANGE/);

    // Still out of range: refused again, attempts counted.
    const second = await push.runOnce();
    assert.equal(second.retried, 2);
    assert.equal(second.failed, 2);
    const { rows: counted } = await lab.db.pool.query(
      `SELECT attempts FROM activity_summary_retries`
    );
    assert.deepEqual(
      counted.map((r) => r.attempts),
      [2, 2]
    );

    // The rollup is corrected: the retry sends the current values and Salesforce takes them.
    await lab.db.pool.query(`UPDATE activity_days SET readings = 10 WHERE user_id = 'glitch'`);
    const third = await push.runOnce();
    assert.equal(third.retried, 2);
    assert.equal(third.failed, 0);
    const { rowCount } = await lab.db.pool.query(`SELECT 1 FROM activity_summary_retries`);
    assert.equal(rowCount, 0);
    const records = await summaries();
    assert.equal(records.length, 3);
    assert.deepEqual(
      records
        .filter((r) => String(r.External_Key__c).startsWith('glitch:'))
        .map((r) => r.Fitness_User_Id__c),
      ['glitch', 'glitch']
    );
  });

  it('a crash after UploadComplete: the restart waits for the same job, no second one', async () => {
    await lab.contacts(['carol', 'dave']);
    await lab.seedDays([
      { userId: 'carol', day: dayOf(), steps: 1 },
      { userId: 'dave', day: dayOf(), steps: 2 }
    ]);
    let jobId = '';
    const crashing = pusher({
      hooks: {
        afterJobSubmitted(id) {
          jobId = id;
          throw new Error('crash after the job was submitted');
        }
      }
    });
    await assert.rejects(crashing.runOnce(), /crash after/);
    const restarted = await pusher().runOnce();
    assert.equal(restarted.resumed, true);
    assert.equal(restarted.jobId, jobId);
    assert.equal(restarted.records, 2);
    assert.equal(restarted.calls.create, 0);
    assert.equal((await ingestJobs()).length, 1);
    assert.equal((await pusher().runOnce()).outcome, 'idle');
    assert.equal((await summaries()).length, 2);
  });

  it('a crash before the upload: the open job is aborted and one new job carries the days', async () => {
    await lab.contacts(['erin']);
    await lab.seedDays([{ userId: 'erin', day: dayOf(), steps: 7 }]);
    let jobId = '';
    const crashing = pusher({
      hooks: {
        afterJobRecorded(id) {
          jobId = id;
          throw new Error('crash before the upload');
        }
      }
    });
    await assert.rejects(crashing.runOnce(), /crash before/);
    const restarted = await pusher().runOnce();
    assert.equal(restarted.outcome, 'pushed');
    assert.equal(restarted.calls.abort, 1);
    assert.notEqual(restarted.jobId, jobId);
    const states = (await ingestJobs()).map((j) => [j.id, j.state]);
    assert.deepEqual(new Map(states as Array<[string, string]>).get(jobId), 'Aborted');
    assert.equal((await summaries()).length, 1);
  });

  it('kill switch off: nothing is pushed and no API call made; on again: it catches up', async () => {
    await lab.contacts(['frank']);
    await lab.seedDays([{ userId: 'frank', day: dayOf(), steps: 9 }]);
    await lab.setSwitch(false);
    const callsBefore = await lab.org.orgApiCalls();
    const held = await pusher().runOnce();
    assert.equal(held.outcome, 'held');
    assert.equal((await lab.org.orgApiCalls()) - callsBefore, 0);
    assert.equal((await summaries()).length, 0);

    await lab.seedDays([{ userId: 'frank', day: dayOf(1), steps: 99 }]);
    await lab.setSwitch(true);
    const caughtUp = await pusher().runOnce();
    assert.equal(caughtUp.records, 2);
    assert.equal((await summaries()).length, 2);
  });
});
