// Retries after a crash or an outage (issue 11, found by an attack run): after a SIGKILL or a
// database outage, retry jobs stayed active for about 16 minutes (pg-boss's expiry, 15 min, plus
// its maintenance interval), then re-ran against accounts already Success, and create intents of
// successful accounts stayed behind. Against real PostgreSQL and the SAP simulator:
//  * jobs left active by a worker that died are taken again within seconds by the next batcher;
//  * a retry of an account already Success with its SAP number (synced after the job was queued)
//    is dropped: no SAP request, no write-back;
//  * create intents are cleared with the success, and leftovers at the next start.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import PgBoss from 'pg-boss';
import { RETRY_QUEUE } from '../../src/account-sync/retries.ts';
import { allSynced, startLab, type Lab } from './harness.ts';

/** States of the retry jobs (of these accounts only, when given). */
const jobStates = async (lab: Lab, ids?: readonly string[]) => {
  const { rows } = await lab.db.pool.query<{ state: string; n: number }>(
    `SELECT state::text, count(*)::int AS n FROM pgboss.job
      WHERE name = $1 AND ($2::text[] IS NULL OR data->>'accountId' = ANY($2::text[]))
      GROUP BY state`,
    [RETRY_QUEUE, ids ?? null]
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n])) as Record<string, number>;
};

const intents = async (lab: Lab, ids: readonly string[]) =>
  (
    await lab.db.pool.query<{ account_id: string }>(
      'SELECT account_id FROM account_sync_create_intent WHERE account_id = ANY($1::text[])',
      [ids]
    )
  ).rows.map((r) => r.account_id);

describe('account-sync retries after a crash or an outage', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab();
  });
  after(async () => {
    await lab?.close();
  });
  beforeEach(async () => {
    lab.sap.control.clearFailures();
    if (!lab.service) await lab.startService();
  });

  /** Accounts whose create failed transiently: Pending, with retry jobs queued. */
  async function withQueuedRetries(
    count: number,
    name: string,
    state: 'queued' | 'retrying' = 'queued'
  ): Promise<string[]> {
    lab.sap.control.injectFailures({ status: 503, rate: 1, methods: ['POST'] });
    const ids = await lab.createAccounts(
      Array.from({ length: count }, (_, i) => ({ Name: `${name} ${i}`, BillingCountry: 'DE' }))
    );
    await lab.until(async () => {
      const states = await jobStates(lab, ids);
      const retrying = states.retry ?? 0;
      return (state === 'retrying' ? retrying : retrying + (states.created ?? 0)) >= count;
    }, 'retry jobs queued');
    return ids;
  }

  it('jobs left active by a worker that died are recovered within seconds', async () => {
    await lab.stopService();
    await lab.startService({ ACCOUNT_SYNC_RETRY_DELAY_S: '1' });
    const ids = await withQueuedRetries(20, 'Stale');
    // A worker takes the jobs and dies (SIGKILL): they stay active.
    await lab.stopService();
    const thief = new PgBoss({
      connectionString: lab.db.url,
      schema: 'pgboss',
      supervise: false,
      schedule: false
    });
    thief.on('error', () => undefined);
    await thief.start();
    await lab.until(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const jobs = await thief.fetch(RETRY_QUEUE, { batchSize: 100 });
        return jobs.length > 0 && ((await jobStates(lab, ids)).active ?? 0) >= 20;
      },
      'jobs taken by the doomed worker',
      15_000
    );
    await thief.stop({ graceful: false, wait: true });
    lab.sap.control.clearFailures();
    const restarted = Date.now();
    await lab.startService({ ACCOUNT_SYNC_RETRY_DELAY_S: '1' });
    await lab.until(() => allSynced(lab, ids), 'the accounts synced after the restart', 30_000);
    await lab.until(
      async () => ((await jobStates(lab, ids)).active ?? 0) === 0,
      'no job left active'
    );
    assert.ok(Date.now() - restarted < 30_000);
    // An intent is deleted after its account's write-back (sync-batch.ts), so it may outlive the
    // job's active state by a moment on a busy machine; it must not outlive it for good.
    await lab.until(
      async () => (await intents(lab, ids)).length === 0,
      'intents of successful accounts cleared'
    );
    assert.deepEqual(await intents(lab, ids), [], 'intents of successful accounts remain');
  });

  it('a retry of an account already Success with its SAP number is dropped', async () => {
    await lab.stopService();
    // Long enough for the next event to sync the accounts before the retries are due.
    await lab.startService({ ACCOUNT_SYNC_RETRY_DELAY_S: '4' });
    // Retrying: the first retry failed too, the next is due in 4-8 s.
    const ids = await withQueuedRetries(10, 'Final', 'retrying');
    lab.sap.control.clearFailures();
    for (const id of ids) await lab.publish(id, 'Update');
    await lab.until(() => allSynced(lab, ids), 'synced through the new events');
    const before = await lab.accounts(ids);
    lab.sap.control.resetRequests();
    await lab.until(
      async () => {
        const states = await jobStates(lab, ids);
        return (states.created ?? 0) + (states.retry ?? 0) + (states.active ?? 0) === 0;
      },
      'the retries taken',
      30_000
    );
    const sapRequests = lab.sap.control.requests();
    const retried = lab.batches
      .flatMap((b) => b.outcomes)
      .filter((o) => ids.includes(o.accountId) && o.kind !== 'skipped');
    assert.equal(
      sapRequests.total,
      0,
      `${JSON.stringify(sapRequests.byRoute)} ${JSON.stringify(retried.slice(-12))}`
    );
    const afterwards = await lab.accounts(ids);
    assert.deepEqual(
      afterwards.map((a) => a.Last_Synced_At__c),
      before.map((a) => a.Last_Synced_At__c),
      'written back again'
    );
    assert.deepEqual(await intents(lab, ids), []);
  });

  it('intents left behind by successful accounts are cleared at the next start', async () => {
    const ids = await lab.createAccounts([
      { Name: 'Leftover 1', BillingCountry: 'DE' },
      { Name: 'Leftover 2', BillingCountry: 'DE' }
    ]);
    await lab.until(() => allSynced(lab, ids), 'synced');
    await lab.stopService();
    // What a crash between the write-back and the intents' DELETE leaves.
    await lab.db.pool.query(
      'INSERT INTO account_sync_create_intent (account_id) SELECT unnest($1::text[])',
      [ids]
    );
    await lab.startService();
    await lab.until(async () => (await intents(lab, ids)).length === 0, 'intents cleared');
  });
});
