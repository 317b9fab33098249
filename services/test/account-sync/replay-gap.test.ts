/**
 * Replay gap: the service is down longer than the 72-hour event retention, so the events of
 * everything changed meanwhile are gone. On start the subscriber's stored replay id is refused;
 * the reconciliation it triggers must still bring SAP up to date: changed accounts (even one whose
 * Pending mark a write-back overwrote), new accounts and deleted ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { allSynced, startLab, type Lab } from './harness.ts';

const HOUR = 60 * 60 * 1000;
type Json = Record<string, unknown>;

describe('account-sync after a replay gap', () => {
  let lab: Lab;

  before(async () => {
    lab = await startLab();
  });
  after(async () => {
    await lab?.close();
  });

  it('reconciles what the lost events would have carried', { timeout: 60_000 }, async () => {
    await lab.startService();
    const [changed, raced, deleted] = await lab.createAccounts([
      { Name: 'Changed While Down', BillingCountry: 'DE' },
      { Name: 'Raced While Down', BillingCountry: 'DE' },
      { Name: 'Deleted While Down', BillingCountry: 'DE' }
    ]);
    const ids = [changed, raced, deleted] as string[];
    await lab.until(() => allSynced(lab, ids), 'the first sync');
    const numbers = new Map(
      (await lab.accounts(ids)).map((a) => [a.Id as string, String(a.SAP_Customer_Number__c)])
    );
    await lab.stopService();

    // While the service is down: what the flows do in the org (Pending + an event each).
    await lab.admin.rest.updateMany('Account', [
      { Id: changed, Name: 'Changed Name', Sync_Status__c: 'Pending' },
      // A change whose Pending a concurrent write-back overwrote: still Success.
      { Id: raced, Name: 'Raced Name' }
    ]);
    await lab.publish(changed as string, 'Update');
    await lab.publish(raced as string, 'Update');
    const [created] = await lab.createAccounts([
      { Name: 'Created While Down', BillingCountry: 'FR' }
    ]);
    await lab.admin.rest.deleteMany([deleted as string]);
    await lab.publish(deleted as string, 'Delete', numbers.get(deleted as string));

    // Longer than the retention window: every event above is gone.
    lab.org.emulator.ctx.clock.advance(73 * HOUR);
    lab.reconciles.length = 0;
    await lab.startService();

    await lab.until(() => lab.reconciles.some((r) => r.reason === 'replay-gap'), 'the gap');
    await lab.until(
      () => allSynced(lab, [changed, raced, created] as string[]),
      'reconciliation to sync every account'
    );
    const partner = (id: string) => lab.sap.control.partner(numbers.get(id) as string) as Json;
    await lab.until(
      () => partner(raced as string).OrganizationBPName1 === 'Raced Name',
      'the raced change in SAP'
    );
    assert.equal(partner(changed as string).OrganizationBPName1, 'Changed Name');
    await lab.until(
      () => partner(deleted as string).BusinessPartnerIsBlocked === true,
      'the deleted account blocked in SAP'
    );
    const gap = lab.reconciles.find((r) => r.reason === 'replay-gap');
    assert.ok(gap?.since, 'the gap reconciliation looked back from the checkpoint');
    assert.ok(gap.deletes >= 1);
    const [fresh] = await lab.accounts([created as string]);
    const freshPartner = lab.sap.control.partner(String(fresh?.SAP_Customer_Number__c)) as Json;
    assert.equal(freshPartner.SearchTerm1, String(created).toUpperCase());
  });
});
