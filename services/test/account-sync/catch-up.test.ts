// What the service never saw must still reach SAP (review findings 1, 2, 5, 6, 7, 8).
//  * An off period of the kill switch the service did not see (down all along, or off and on
//    again between two reads): Apex published nothing, so the reconciliation at start looks for
//    deletions and modified accounts since the checkpoint, like the replay-gap one.
//  * The checkpoint comes from the event's CreatedDate (set by Salesforce), never from the
//    publisher's Changed_At__c; a checkpoint in the future is reset.
//  * Reconciling twice does not queue an account twice.
//  * The switch: a read that keeps failing, or fails for good, holds the service; a long catch-up
//    does not stop the switch being read; the off marker of a newer off period is not removed;
//    a standby does not ping SAP while the switch is off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KillSwitch } from '../../src/account-sync/kill-switch.ts';
import { reconcile } from '../../src/account-sync/reconcile.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import { SalesforceError } from '../../src/platform/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createSyncedAccount, startLab, type Lab } from './harness.ts';
import { scenarioSwitch } from '../helpers/kill-switch.ts';

type Json = Record<string, unknown>;
const OFF_MARKER = 'account-sync:kill-switch-off';

async function checkpoint(pool: TestDatabase['pool']): Promise<Date | undefined> {
  const { rows } = await pool.query<{ checkpoint: Date }>(
    "SELECT checkpoint FROM account_sync_checkpoint WHERE name = 'account-sync'"
  );
  return rows[0]?.checkpoint;
}

describe('account-sync catches up what it never saw', () => {
  let lab: Lab;

  const setSwitch = scenarioSwitch(() => lab.org.emulator.ctx, 'AccountSync');

  const partner = (sapNumber: string) => lab.sap.control.partner(sapNumber) as Json | undefined;
  const city = (sapNumber: string) =>
    ((partner(sapNumber)?.to_BusinessPartnerAddress as { results: Json[] } | undefined)?.results[0]
      ?.CityName as string | undefined) ?? '';

  before(async () => {
    lab = await startLab();
  });
  after(async () => {
    await lab?.close();
  });

  it('an off period while the service was down: the deletion is blocked, an edit whose Pending was overwritten reaches SAP', async () => {
    await lab.startService();
    const deleted = await createSyncedAccount(lab, 'Deleted while down and off');
    const edited = await createSyncedAccount(lab, 'Edited while down and off');
    await lab.stopService();

    setSwitch(false);
    // Apex publishes nothing while off: no Delete event...
    await lab.admin.rest.deleteMany([deleted.id]);
    // ...and an edit whose Pending a late write-back overwrote with Success.
    await lab.admin.rest.updateMany(
      'Account',
      [{ Id: edited.id, BillingCity: 'München', Sync_Status__c: 'Success' }],
      { allOrNone: true }
    );
    setSwitch(true);

    const from = lab.reconciles.length;
    await lab.startService();
    await lab.until(
      () => partner(deleted.sapNumber)?.BusinessPartnerIsBlocked === true,
      'the deleted account blocked in SAP'
    );
    await lab.until(() => city(edited.sapNumber) === 'München', 'the edit in SAP');
    const start = lab.reconciles.slice(from).find((r) => r.reason === 'start');
    assert.ok(start && start.deletes >= 1, JSON.stringify(lab.reconciles.slice(from)));
  });

  it('the checkpoint is the event’s CreatedDate: a forged Changed_At__c does not move it', async () => {
    const account = await createSyncedAccount(lab, 'Forged date');
    const from = lab.batches.length;
    const answer = await lab.org.emulator.rest('POST', 'sobjects/Account_Sync__e', {
      Account_Id__c: account.id,
      Operation__c: 'Update',
      Changed_At__c: '3999-01-01T00:00:00.000Z'
    });
    assert.equal(answer.status, 201);
    await lab.until(
      () => lab.batches.slice(from).some((b) => b.outcomes.some((o) => o.accountId === account.id)),
      'the forged event processed'
    );
    const at = await checkpoint(lab.db.pool);
    assert.ok(at && at.getTime() < Date.now() + 10 * 60_000, `checkpoint ${at?.toISOString()}`);
  });

  it('a checkpoint in the future (written before the fix) is reset by the reconciliation', async () => {
    await lab.stopService();
    await lab.db.pool.query(
      "UPDATE account_sync_checkpoint SET checkpoint = '3999-01-01' WHERE name = 'account-sync'"
    );
    await reconcile({ pool: lab.db.pool, rest: lab.salesforce.rest, reason: 'replay-gap' });
    const at = await checkpoint(lab.db.pool);
    assert.ok(at && at.getTime() <= Date.now(), `checkpoint ${at?.toISOString()}`);
    await lab.db.pool.query('DELETE FROM account_sync_inbox');
  });

  it('reconciling again queues no account twice', async () => {
    await lab.admin.rest.createMany(
      'Account',
      [
        { Name: 'Pending P1', BillingCountry: 'DE', Sync_Status__c: 'Pending' },
        { Name: 'Pending P2', BillingCountry: 'DE', Sync_Status__c: 'Pending' }
      ],
      { allOrNone: true }
    );
    const first = await reconcile({
      pool: lab.db.pool,
      rest: lab.salesforce.rest,
      reason: 'start'
    });
    const size = await lab.inboxSize();
    assert.ok(first.upserts >= 2 && size === first.upserts + first.deletes, `${size}`);
    await reconcile({ pool: lab.db.pool, rest: lab.salesforce.rest, reason: 'start' });
    assert.equal(await lab.inboxSize(), size, 'the second reconciliation queued accounts again');
  });
});

describe('the kill switch is never silently ineffective', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    await migrate(db.pool);
  });
  after(async () => {
    await db?.drop();
  });

  /** A Salesforce whose answers the test scripts: true/false = the switch, an Error = a failure. */
  function scripted(answers: Array<boolean | Error>) {
    let reads = 0;
    return {
      get reads() {
        return reads;
      },
      rest: {
        async *query<T>(): AsyncGenerator<T> {
          const answer = answers[Math.min(reads++, answers.length - 1)];
          if (answer instanceof Error) throw answer;
          yield { DeveloperName: 'AccountSync', Enabled__c: answer } as T;
        }
      }
    };
  }
  const transient = () =>
    new SalesforceError({ status: 503, errorCode: 'SERVER_UNAVAILABLE', message: 'down' });

  it('passing read failures keep it on for a while, then hold with readiness failing', async () => {
    const sf = scripted([true, transient()]);
    const ks = new KillSwitch({ pool: db.pool, rest: sf.rest, intervalMs: 100, maxFailures: 3 });
    assert.equal(await ks.check(), 'on');
    assert.equal(await ks.check(), 'on');
    assert.equal(await ks.check(), 'on');
    assert.equal(await ks.check(), 'unknown');
    assert.equal(ks.open, false);
    assert.match(String(ks.pausedReason), /cannot be read/);
  });

  it('a failure that will not pass (INVALID_TYPE: the metadata grant removed) holds at once', async () => {
    const sf = scripted([
      true,
      new SalesforceError({
        status: 400,
        errorCode: 'INVALID_TYPE',
        message: "sObject type 'Integration_Setting__mdt' is not supported"
      })
    ]);
    const ks = new KillSwitch({ pool: db.pool, rest: sf.rest, intervalMs: 100, maxFailures: 3 });
    assert.equal(await ks.check(), 'on');
    assert.equal(await ks.check(), 'unknown');
    assert.match(String(ks.pausedReason), /INVALID_TYPE|not supported/);
  });

  it('a long catch-up does not stop the switch being read', async () => {
    const sf = scripted([true, false]);
    const ks = new KillSwitch({ pool: db.pool, rest: sf.rest, intervalMs: 50 });
    const abort = new AbortController();
    let release: () => void = () => undefined;
    const watching = ks.watch(
      abort.signal,
      () => new Promise<void>((resolve) => (release = resolve))
    );
    const deadline = Date.now() + 5000;
    while (ks.state !== 'off' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    abort.abort();
    await watching;
    assert.equal(ks.state, 'off', `switch read ${sf.reads} time(s) during the reconciliation`);
    await db.pool.query('DELETE FROM account_sync_checkpoint WHERE name = $1', [OFF_MARKER]);
  });

  it('the catch-up removes only the off marker it covered, and not after losing the lease', async () => {
    const ks = new KillSwitch({ pool: db.pool, rest: scripted([true]).rest, intervalMs: 50 });
    const old = new Date(Date.now() - 60_000);
    await db.pool.query(
      `INSERT INTO account_sync_checkpoint (name, checkpoint) VALUES ($1, now())
       ON CONFLICT (name) DO UPDATE SET checkpoint = now()`,
      [OFF_MARKER]
    );
    await ks.caughtUp(old); // an older off period: the newer marker stays
    assert.notEqual(await ks.offSince(), undefined);
    const current = (await ks.offSince()) as Date;
    const lost = new AbortController();
    lost.abort();
    await ks.caughtUp(current, lost.signal); // the lease was lost meanwhile
    assert.notEqual(await ks.offSince(), undefined);
    await ks.caughtUp(current);
    assert.equal(await ks.offSince(), undefined);
  });

  it('a standby instance does not ping SAP while the lease holder has the switch off', async () => {
    const ks = new KillSwitch({ pool: db.pool, rest: scripted([true]).rest, intervalMs: 50 });
    assert.equal(await ks.sapWanted(false), true);
    await db.pool.query(
      'INSERT INTO account_sync_checkpoint (name, checkpoint) VALUES ($1, now())',
      [OFF_MARKER]
    );
    assert.equal(await ks.sapWanted(false), false);
    assert.equal(await ks.sapWanted(true), false, 'the holder has not read the switch on');
    assert.equal(await ks.check(), 'on');
    assert.equal(await ks.sapWanted(true), true);
  });
});
