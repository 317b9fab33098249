// Off periods of the kill switch the service never records must still be caught up (final
// review, MEDIUM): Apex publishes nothing while the switch is off, and the catch-up runs only when
// the service saw the switch off. Not seen: (a) off and on again between two reads of the
// switch, (b) off and on while the switch could not be read, (c) a reconciliation at start that
// failed. The periodic sweep queues Pending accounts and the deletions since its own durable
// watermark, whatever the service saw; the reconciliation at start is tried again when it fails.
// Every test here fails on the service without the sweep and the retry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sweep } from '../../src/account-sync/reconcile.ts';
import { SalesforceError } from '../../src/platform/index.ts';
import { allSynced, createSyncedAccount, startLab, type Lab } from './harness.ts';
import { scenarioSwitch } from '../helpers/kill-switch.ts';

type Json = Record<string, unknown>;
const WATERMARK = 'account-sync:sweep';

describe('the sweep catches up off periods the service never saw', () => {
  let lab: Lab;
  /** The switch is read once an hour: an off-and-on in between is never seen. */
  const RARE_READS = {
    ACCOUNT_SYNC_KILL_SWITCH_INTERVAL_MS: '3600000',
    ACCOUNT_SYNC_SWEEP_INTERVAL_MS: '400'
  };
  const SETTLE = { sweepSettleMs: 200 };

  const setSwitch = scenarioSwitch(() => lab.org.emulator.ctx, 'AccountSync');

  const partner = (sapNumber: string) => lab.sap.control.partner(sapNumber) as Json | undefined;
  const blocked = (sapNumber: string) => partner(sapNumber)?.BusinessPartnerIsBlocked === true;
  const city = (sapNumber: string) =>
    ((partner(sapNumber)?.to_BusinessPartnerAddress as { results: Json[] } | undefined)?.results[0]
      ?.CityName as string | undefined) ?? '';
  const sweeps = () => lab.reconciles.filter((r) => r.reason === 'sweep');
  const watermark = async () => {
    const { rows } = await lab.db.pool.query<{ checkpoint: Date }>(
      'SELECT checkpoint FROM account_sync_checkpoint WHERE name = $1',
      [WATERMARK]
    );
    return rows[0]?.checkpoint;
  };

  /**
   * Restarts the service with short sweeps and waits until what its reconciliation at start
   * queued (the write-backs moved SystemModstamp) is done: the changes that follow must be found
   * by the sweep, not by the start.
   */
  async function restart(overrides: Record<string, string>) {
    await lab.stopService();
    const started = lab.reconciles.length;
    await lab.startService(overrides, SETTLE);
    await lab.until(
      () => lab.reconciles.slice(started).some((r) => r.reason === 'start'),
      'the reconciliation at start'
    );
    await lab.until(async () => (await lab.inboxSize()) === 0, 'the start reconciliation done');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  /** While off: the flow marks the edit Pending, Apex publishes nothing, no Delete either. */
  async function changeWhileOff(deleted: string, edited: string, newCity: string) {
    setSwitch(false);
    await lab.admin.rest.deleteMany([deleted]);
    await lab.admin.rest.updateMany(
      'Account',
      [{ Id: edited, BillingCity: newCity, Sync_Status__c: 'Pending' }],
      { allOrNone: true }
    );
    setSwitch(true);
  }

  /** Makes the integration user's reads of the switch fail (INVALID_TYPE) while `failing`. */
  let failing = false;
  let failStartReconcile = 0;
  before(async () => {
    lab = await startLab();
    const rest = lab.salesforce.rest;
    const query = rest.query.bind(rest);
    rest.query = ((soql: string, ...rest: unknown[]) => {
      if (failing && soql.includes('Integration_Setting__mdt'))
        throw new SalesforceError({
          status: 400,
          errorCode: 'INVALID_TYPE',
          message: "sObject type 'Integration_Setting__mdt' is not supported"
        });
      if (failStartReconcile > 0 && soql.includes("Sync_Status__c = 'Pending' OR")) {
        failStartReconcile--;
        throw new SalesforceError({
          status: 503,
          errorCode: 'SERVER_UNAVAILABLE',
          message: 'down'
        });
      }
      return (query as (...args: unknown[]) => ReturnType<typeof query>)(soql, ...rest);
    }) as typeof rest.query;
  });
  after(async () => {
    await lab?.close();
  });

  let flapDeleted: { id: string; sapNumber: string };

  it('a switch off and on between two reads: after one sweep the partner is blocked and the edit synced', async () => {
    // Accounts synced while no sweep runs (default interval), then the service with rare reads.
    await lab.startService();
    flapDeleted = await createSyncedAccount(lab, 'Deleted during a flap');
    const edited = await createSyncedAccount(lab, 'Edited during a flap');
    await restart(RARE_READS);
    const from = sweeps().length;

    await changeWhileOff(flapDeleted.id, edited.id, 'Hamburg');

    await lab.until(() => blocked(flapDeleted.sapNumber), 'the deleted account blocked in SAP');
    await lab.until(() => city(edited.sapNumber) === 'Hamburg', 'the edit in SAP');
    await lab.until(() => allSynced(lab, [edited.id]), 'the edit written back Success');
    const found = sweeps().slice(from);
    assert.ok(
      found.some((s) => s.deletes >= 1) && found.some((s) => s.upserts >= 1),
      JSON.stringify(found)
    );
    assert.equal(
      lab.reconciles.filter((r) => r.reason === 'kill-switch').length,
      0,
      'the service saw the off period (the test needs it unseen)'
    );
  });

  it('the sweep watermark is kept in PostgreSQL and survives a restart', async () => {
    const before = await watermark();
    assert.ok(before, 'no watermark stored');
    await lab.stopService();
    const stored = await watermark();
    const from = sweeps().length;
    await lab.startService(RARE_READS, SETTLE);
    await lab.until(() => sweeps().length > from, 'a sweep after the restart');
    const first = sweeps()[from];
    // It looked from where the last sweep left off, not from the checkpoint or a day back.
    assert.equal(first?.since?.getTime(), stored?.getTime());
    const later = await watermark();
    assert.ok(later && stored && later.getTime() >= stored.getTime());
  });

  it('a deletion already blocked is not sent to SAP again: no second PATCH', async () => {
    // Look again from far back: the deletion of the first test is in the window once more.
    await lab.stopService();
    await lab.db.pool.query(
      "UPDATE account_sync_checkpoint SET checkpoint = now() - interval '1 hour' WHERE name = $1",
      [WATERMARK]
    );
    const again = await sweep({ pool: lab.db.pool, rest: lab.salesforce.rest, settleMs: 0 });
    assert.equal(again.deletes, 0, 'the recorded block was queued again');

    // A block the service did not record (SAP's own, or set before the record existed): the
    // sweep queues it, and the block path reads the partner, finds it blocked and writes nothing.
    await lab.db.pool.query('DELETE FROM account_sync_block WHERE left(account_id, 15) = $1', [
      flapDeleted.id.slice(0, 15)
    ]);
    await lab.db.pool.query(
      "UPDATE account_sync_checkpoint SET checkpoint = now() - interval '1 hour' WHERE name = $1",
      [WATERMARK]
    );
    // Any write to the partner changes its ETag and LastChangeDate.
    const untouched = partner(flapDeleted.sapNumber);
    const from = lab.batches.length;
    await lab.startService(RARE_READS, SETTLE);
    await lab.until(
      () =>
        lab.batches.slice(from).some((b) => b.outcomes.some((o) => o.accountId === flapDeleted.id)),
      'the deletion looked at again'
    );
    assert.deepEqual(partner(flapDeleted.sapNumber), untouched, 'the partner was written again');
    assert.equal(blocked(flapDeleted.sapNumber), true);
  });

  it('a period while the switch could not be read: the deletion and the edit are caught up', async () => {
    if (lab.service === undefined) await lab.startService();
    const deleted = await createSyncedAccount(lab, 'Deleted while unreadable');
    const edited = await createSyncedAccount(lab, 'Edited while unreadable');
    lab.killSwitch.length = 0;
    await restart({
      ACCOUNT_SYNC_KILL_SWITCH_INTERVAL_MS: '100',
      ACCOUNT_SYNC_SWEEP_INTERVAL_MS: '400'
    });
    await lab.until(() => lab.killSwitch.at(-1) === 'on', 'the switch read as on');
    failing = true;
    await lab.until(() => lab.killSwitch.at(-1) === 'unknown', 'the switch unreadable');
    await changeWhileOff(deleted.id, edited.id, 'Bremen');
    failing = false;
    await lab.until(() => lab.killSwitch.at(-1) === 'on', 'the switch readable again');

    await lab.until(() => blocked(deleted.sapNumber), 'the deleted account blocked in SAP');
    await lab.until(() => city(edited.sapNumber) === 'Bremen', 'the edit in SAP');
  });

  it('a reconciliation at start that fails is tried again', async () => {
    await lab.stopService();
    failStartReconcile = 2;
    const from = lab.reconciles.length;
    await lab.startService({}, { reconcileRetryMs: 50 });
    await lab.until(
      () => lab.reconciles.slice(from).some((r) => r.reason === 'start'),
      'the reconciliation at start, after two failures'
    );
    assert.equal(failStartReconcile, 0);
  });

  it('a Pending account that has not settled is left to its event', async () => {
    await lab.stopService();
    await lab.db.pool.query('DELETE FROM account_sync_inbox');
    const [created] = await lab.admin.rest.createMany(
      'Account',
      [{ Name: 'Event on its way', BillingCountry: 'DE', Sync_Status__c: 'Pending' }],
      { allOrNone: true }
    );
    const fresh = await sweep({ pool: lab.db.pool, rest: lab.salesforce.rest });
    assert.equal(fresh.upserts, 0, 'a Pending account changed a moment ago was queued');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // SOQL dates have whole seconds
    const settled = await sweep({ pool: lab.db.pool, rest: lab.salesforce.rest, settleMs: 0 });
    assert.ok(settled.upserts >= 1, JSON.stringify(settled));
    const { rows } = await lab.db.pool.query(
      "SELECT 1 FROM account_sync_inbox WHERE account_id = $1 AND source = 'sweep'",
      [String(created?.id)]
    );
    assert.equal(rows.length, 1);
  });

  it('the watermark moves only once what the sweep found is queued', async () => {
    const stored = await watermark();
    let queries = 0;
    const failing = {
      async *query<T>(): AsyncGenerator<T> {
        if (++queries === 2) throw new Error('Salesforce down');
        yield* [] as T[];
      }
    };
    await assert.rejects(sweep({ pool: lab.db.pool, rest: failing, settleMs: 0 }));
    assert.equal((await watermark())?.getTime(), stored?.getTime());
  });
});
