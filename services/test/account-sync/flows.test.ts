/**
 * account-sync end to end: org emulator (REST + Pub/Sub), SAP simulator, real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { RETRY_QUEUE } from '../../src/account-sync/retries.ts';
import { deadLetterQueueName } from '../../src/platform/queue.ts';
import { allSynced, startLab, type Lab } from './harness.ts';

type Json = Record<string, unknown>;

function address(partner: Json): Json {
  return ((partner.to_BusinessPartnerAddress as { results: Json[] }).results[0] ?? {}) as Json;
}

describe('account-sync end to end', () => {
  let lab: Lab;

  before(async () => {
    lab = await startLab();
    await lab.startService();
  });
  after(async () => {
    await lab?.close();
  });
  beforeEach(() => {
    lab.sap.control.clearFailures();
  });

  it('create: the customer is created in SAP and the number written back', async () => {
    const [id] = await lab.createAccounts([
      {
        Name: 'International Business Machines Corporation Deutschland Holding',
        BillingCountry: 'Germany',
        BillingCity: 'Ehningen',
        BillingPostalCode: '71139',
        BillingStreet: 'IBM-Allee 1',
        Phone: '+49 7034 150',
        Industry: 'Technology',
        VAT_Number__c: 'DE811131239'
      }
    ]);
    await lab.until(() => allSynced(lab, [id as string]), 'the account to be synced');
    const [account] = await lab.accounts([id as string]);
    assert.equal(account?.Sync_Error__c, null);
    assert.ok(account?.Last_Synced_At__c);
    const partner = lab.sap.control.partner(String(account?.SAP_Customer_Number__c)) as Json;
    assert.equal(partner.OrganizationBPName1, 'International Business Machines');
    assert.equal(partner.OrganizationBPName2, 'Corporation Deutschland Holding');
    // SAP keeps search terms upper-cased (the simulator does too).
    assert.equal(partner.SearchTerm1, String(id).toUpperCase());
    assert.equal(address(partner).Country, 'DE');
    assert.equal(address(partner).PostalCode, '71139');
    assert.equal(partner.Industry, 'TECH');
    assert.match(String(account?.SAP_Customer_Number__c), /^1\d{6}$/);
  });

  it('update: the same SAP customer is updated, never created twice', async () => {
    const [id] = await lab.createAccounts([
      { Name: 'Before', BillingCountry: 'FR', BillingCity: 'Paris' }
    ]);
    await lab.until(() => allSynced(lab, [id as string]), 'create');
    const before = lab.sap.control.partners().length;
    const [account] = await lab.accounts([id as string]);
    await lab.admin.rest.updateMany('Account', [
      { Id: id, Name: 'After', BillingCity: 'Lyon', Sync_Status__c: 'Pending' }
    ]);
    await lab.publish(id as string, 'Update');
    await lab.until(async () => {
      const partner = lab.sap.control.partner(String(account?.SAP_Customer_Number__c)) as Json;
      return partner.OrganizationBPName1 === 'After';
    }, 'the update in SAP');
    await lab.until(() => allSynced(lab, [id as string]), 'write-back');
    const partner = lab.sap.control.partner(String(account?.SAP_Customer_Number__c)) as Json;
    assert.equal(address(partner).CityName, 'Lyon');
    assert.equal(lab.sap.control.partners().length, before, 'no second partner');
  });

  it('delete: the SAP customer is blocked (central block), not deleted', async () => {
    const [id] = await lab.createAccounts([{ Name: 'To delete', BillingCountry: 'US' }]);
    await lab.until(() => allSynced(lab, [id as string]), 'create');
    const [account] = await lab.accounts([id as string]);
    const sapNumber = String(account?.SAP_Customer_Number__c);
    await lab.admin.rest.deleteMany([id as string]);
    await lab.publish(id as string, 'Delete', sapNumber);
    await lab.until(
      () => (lab.sap.control.partner(sapNumber) as Json).BusinessPartnerIsBlocked === true,
      'block'
    );
  });

  it('duplicate events collapse: one SAP customer per account', async () => {
    const ids = await lab.createAccounts(
      Array.from({ length: 5 }, (_, i) => ({ Name: `Dup ${i}`, BillingCountry: 'AT' }))
    );
    for (const id of ids) {
      await lab.publish(id, 'Create');
      await lab.publish(id, 'Update');
    }
    await lab.until(() => allSynced(lab, ids), 'sync');
    await lab.until(
      async () => (await lab.db.pool.query('SELECT 1 FROM account_sync_inbox')).rowCount === 0,
      'empty inbox'
    );
    for (const id of ids) {
      const matches = lab.sap.control
        .partners()
        .filter((p) => (p as Json).SearchTerm1 === id.toUpperCase());
      assert.equal(matches.length, 1, `one partner for ${id}`);
    }
  });

  it('SAP 400 / invalid data: Failed with a readable message, no retry', async () => {
    const [bad] = await lab.createAccounts([{ Name: 'No country' }]);
    const [atlantis] = await lab.createAccounts([
      { Name: 'Atlantis Ltd', BillingCountry: 'Atlantis' }
    ]);
    await lab.until(async () => {
      const rows = await lab.accounts([bad as string, atlantis as string]);
      return rows.every((r) => r.Sync_Status__c === 'Failed');
    }, 'Failed');
    const rows = await lab.accounts([bad as string, atlantis as string]);
    const byId = new Map(rows.map((r) => [r.Id, r]));
    assert.match(String(byId.get(bad)?.Sync_Error__c), /Billing Country is required/);
    assert.match(String(byId.get(atlantis)?.Sync_Error__c), /Atlantis/);
  });

  it("SAP 400 from SAP itself: Failed with SAP's message", async () => {
    // An ISO code SAP does not know passes our table check but SAP refuses it.
    const [id] = await lab.createAccounts([{ Name: 'Nowhere', BillingCountry: 'QQ' }]);
    await lab.until(
      async () => (await lab.accounts([id as string]))[0]?.Sync_Status__c === 'Failed',
      'Failed'
    );
    const [account] = await lab.accounts([id as string]);
    assert.match(String(account?.Sync_Error__c), /SAP POST \/A_BusinessPartner 400: .+/);
  });

  it('SAP 503 storm: transient failures retried through the queue until success', async () => {
    lab.sap.control.injectFailures({ status: 503, count: 40, paths: ['A_BusinessPartner'] });
    const ids = await lab.createAccounts(
      Array.from({ length: 10 }, (_, i) => ({ Name: `Storm ${i}`, BillingCountry: 'CH' }))
    );
    await lab.until(() => allSynced(lab, ids), 'eventual success', 60_000);
    for (const id of ids) {
      const matches = lab.sap.control
        .partners()
        .filter((p) => (p as Json).SearchTerm1 === id.toUpperCase());
      assert.equal(matches.length, 1, `exactly one partner for ${id}`);
    }
  });

  it('SAP down for good: retries with backoff, then Failed with the reason and a dead letter', async () => {
    lab.sap.control.injectFailures({ status: 503, rate: 1, paths: ['A_BusinessPartner'] });
    const [id] = await lab.createAccounts([{ Name: 'Never Reaches SAP', BillingCountry: 'DE' }]);
    await lab.until(
      async () => (await lab.accounts([id as string]))[0]?.Sync_Status__c === 'Failed',
      'Failed after the retries',
      40_000
    );
    const [account] = await lab.accounts([id as string]);
    // The batch's attempt, the retry job's first run and its ACCOUNT_SYNC_RETRY_LIMIT (3) retries.
    assert.match(String(account?.Sync_Error__c), /still failing after 5 attempts: .*503/);
    const schema = lab.service?.config.queue.schema ?? 'pgboss';
    const dead = await lab.db.pool.query(`SELECT data FROM ${schema}.job WHERE name = $1`, [
      deadLetterQueueName(RETRY_QUEUE)
    ]);
    assert.ok(
      dead.rows.some((row: { data: { accountId: string } }) => row.data.accountId === id),
      'the exhausted job is kept in the dead-letter queue'
    );
    assert.equal(
      lab.sap.control.partners().filter((p) => (p as Json).SearchTerm1 === String(id).toUpperCase())
        .length,
      0
    );
  });
});
