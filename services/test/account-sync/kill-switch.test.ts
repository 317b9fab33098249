// The kill switch off platform (issue 11, finding 6). While an admin has account sync switched
// off (Integration_Setting__mdt AccountSync Enabled__c = false), Apex publishes nothing but the
// before-save flow still marks changed accounts Pending, and deletions publish no Delete. The
// service must not call SAP then (no reconciliation at start, events in flight held in the
// inbox), and once the switch is on again it must catch up: the Pending accounts and the
// accounts deleted meanwhile. The switch is read as the integration user, with the shipped
// permission set (which grants the custom metadata type).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KillSwitch, resolveEnabled } from '../../src/account-sync/kill-switch.ts';
import { allSynced, createSyncedAccount, startLab, type Lab } from './harness.ts';
import { scenarioSwitch } from '../helpers/kill-switch.ts';

type Json = Record<string, unknown>;

describe('resolveEnabled: the rule of IntegrationSettings.isEnabled', () => {
  const row = (DeveloperName: string, Enabled__c: boolean) => ({ DeveloperName, Enabled__c });
  it('the AccountSync record decides, else Default, else on', () => {
    assert.equal(resolveEnabled([row('AccountSync', false), row('Default', true)]), false);
    assert.equal(resolveEnabled([row('AccountSync', true), row('Default', false)]), true);
    assert.equal(resolveEnabled([row('Default', false)]), false);
    assert.equal(resolveEnabled([row('Default', true)]), true);
    assert.equal(resolveEnabled([]), true);
  });
});

describe('account-sync honours the kill switch', () => {
  let lab: Lab;
  const INTERVAL = { ACCOUNT_SYNC_KILL_SWITCH_INTERVAL_MS: '150' };

  const setSwitch = scenarioSwitch(() => lab.org.emulator.ctx, 'AccountSync');

  const lastState = () => lab.killSwitch.at(-1);
  const blocked = (sapNumber: string) =>
    (lab.sap.control.partner(sapNumber) as Json | undefined)?.BusinessPartnerIsBlocked === true;
  const statusOf = async (id: string) => (await lab.accounts([id]))[0]?.Sync_Status__c;

  let deleted: { id: string; sapNumber: string };
  let withEvent = '';
  let withoutEvent: string;

  before(async () => {
    lab = await startLab();
    await lab.startService(INTERVAL);
    await lab.until(() => lastState() === 'on', 'kill switch read as on');
    await lab.until(() => lab.reconciles.length > 0, 'reconciliation at start');
    deleted = await createSyncedAccount(lab, 'Deleted while off');
  });
  after(async () => {
    await lab?.close();
  });

  it('while off: no SAP call, the event in flight is held, nothing is Failed', async () => {
    setSwitch(false);
    await lab.until(() => lastState() === 'off', 'kill switch read as off');
    lab.sap.control.resetRequests();
    const reconciles = lab.reconciles.length;
    // A change whose event was already on its way when the admin switched sync off...
    const [inFlight] = await lab.createAccounts([
      { Name: 'Event in flight', BillingCountry: 'DE', BillingCity: 'Berlin' }
    ]);
    withEvent = String(inFlight);
    // ...one the flow only marked Pending (Apex published nothing)...
    const [created] = await lab.admin.rest.createMany(
      'Account',
      [
        {
          Name: 'Pending only',
          BillingCountry: 'DE',
          BillingCity: 'Köln',
          Sync_Status__c: 'Pending'
        }
      ],
      { allOrNone: true }
    );
    withoutEvent = String(created?.id);
    // ...and a delete, whose Delete event Apex did not publish.
    await lab.admin.rest.deleteMany([deleted.id]);

    await lab.until(async () => (await lab.inboxSize()) === 1, 'the event stored in the inbox');
    await new Promise((resolve) => setTimeout(resolve, 1000)); // several reads of the switch
    assert.equal(lab.sap.control.requests().total, 0, 'SAP was called while off');
    assert.equal(await lab.inboxSize(), 1, 'the event was not held');
    assert.equal(await statusOf(withEvent), 'Pending');
    assert.equal(await statusOf(withoutEvent), 'Pending');
    assert.equal(lab.reconciles.length, reconciles);
    assert.equal(blocked(deleted.sapNumber), false);
  });

  it('a restart while off reconciles nothing and calls no SAP', async () => {
    await lab.stopService();
    lab.killSwitch.length = 0;
    const reconciles = lab.reconciles.length;
    lab.sap.control.resetRequests();
    await lab.startService(INTERVAL);
    await lab.until(() => lastState() === 'off', 'kill switch read as off after the restart');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(lab.sap.control.requests().total, 0, 'SAP was called after a restart while off');
    assert.equal(lab.reconciles.length, reconciles, 'reconciled while off');
    assert.equal(await statusOf(withoutEvent), 'Pending');
    assert.equal(await lab.inboxSize(), 1);
  });

  it('says why it is held: "paused by kill switch"', async () => {
    const probe = new KillSwitch({ pool: lab.db.pool, rest: lab.salesforce.rest, intervalMs: 100 });
    assert.equal(probe.open, false);
    assert.equal(await probe.check(), 'off');
    assert.match(String(probe.pausedReason), /paused by kill switch/);
  });

  it('on again: a catch-up syncs the Pending accounts and blocks the deletions of the off period', async () => {
    setSwitch(true);
    await lab.until(() => lastState() === 'on', 'kill switch read as on');
    await lab.until(() => allSynced(lab, [withEvent, withoutEvent]), 'both accounts synced');
    await lab.until(() => blocked(deleted.sapNumber), 'the deleted account blocked in SAP');
    const catchUp = lab.reconciles.find((r) => r.reason === 'kill-switch');
    assert.ok(catchUp, JSON.stringify(lab.reconciles));
    assert.ok(catchUp.deletes >= 1 && catchUp.upserts >= 2, JSON.stringify(catchUp));
    // The off period is caught up once: the marker is gone.
    const { rows } = await lab.db.pool.query(
      "SELECT 1 FROM account_sync_checkpoint WHERE name = 'account-sync:kill-switch-off'"
    );
    assert.equal(rows.length, 0);
    // The batch that blocked the account removes its events right after.
    await lab.until(async () => (await lab.inboxSize()) === 0, 'the inbox emptied');
  });
});
