/**
 * The activity slice's grants as the org emulator enforces them, through real REST calls: the
 * integration user (exactly Integration_Service_User) upserts a Daily Activity Summary on its
 * External Key with the row's Fitness_User_Id__c, and publishes Activity Goal Reached events,
 * but cannot set the contact (the trigger ActivitySummaryLink does that in an org; the emulator
 * runs no Apex), delete a summary or change a contact's fitness user id; the portal user reads
 * no summary.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';
import { tokenFor } from './helpers/jsforce.ts';

type Row = Record<string, unknown>;

describe('activity grants in the org emulator', () => {
  let emulator: TestEmulator;
  let integration: string;
  let contactId: string;

  /** A REST call as the user of `token` (the emulator helper's, with another bearer). */
  const call = (token: string, method: string, path: string, body?: unknown) =>
    emulator.rest(method, path, body, { authorization: `Bearer ${token}` });

  before(async () => {
    emulator = await startTestEmulator();
  });

  after(async () => {
    await emulator.close();
  });

  beforeEach(async () => {
    await emulator.driver('POST', 'reset');
    integration = await tokenFor(emulator, 'integration@emulator.local');
    const created = await emulator.rest('POST', 'sobjects/Contact', {
      LastName: 'Runner',
      Fitness_User_Id__c: 'fit-000042'
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    contactId = String((created.body as Row).id);
  });

  test('the integration user upserts a summary on its key with the fitness user id, never the contact', async () => {
    const key = 'fit-000042:2026-12-07';
    const upsert = (steps: number) =>
      call(integration, 'PATCH', `sobjects/Daily_Activity_Summary__c/External_Key__c/${key}`, {
        Fitness_User_Id__c: 'fit-000042',
        Activity_Date__c: '2026-12-07',
        Steps__c: steps,
        Goal_Steps__c: 10000,
        Goal_Reached__c: false
      });
    const created = await upsert(8412);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const updated = await upsert(9001);
    assert.ok([200, 204].includes(updated.status), JSON.stringify(updated.body));

    const rows = await call(
      integration,
      'GET',
      `query?q=${encodeURIComponent(`SELECT Id, Fitness_User_Id__c, Steps__c FROM Daily_Activity_Summary__c WHERE External_Key__c = '${key}'`)}`
    );
    const records = (rows.body as { records: Row[] }).records;
    assert.equal(records.length, 1);
    assert.equal(records[0]?.Fitness_User_Id__c, 'fit-000042');
    assert.equal(records[0]?.Steps__c, 9001);

    // The contact is the trigger's to set: neither by id nor through the contact's external id.
    const byId = await call(
      integration,
      'PATCH',
      `sobjects/Daily_Activity_Summary__c/External_Key__c/${key}`,
      {
        Contact__c: contactId
      }
    );
    assert.ok(byId.status >= 400, `Contact__c not writable: ${byId.status}`);
    const byRelationship = await call(
      integration,
      'PATCH',
      `sobjects/Daily_Activity_Summary__c/External_Key__c/${key}`,
      { Contact__r: { Fitness_User_Id__c: 'fit-000042' } }
    );
    assert.ok(byRelationship.status >= 400, `Contact__r not writable: ${byRelationship.status}`);

    const id = String(records[0]?.Id);
    const deleted = await call(integration, 'DELETE', `sobjects/Daily_Activity_Summary__c/${id}`);
    assert.ok(deleted.status >= 400, `no delete: ${deleted.status}`);
  });

  test('the integration user publishes goal events but cannot change a fitness user id', async () => {
    const published = await call(integration, 'POST', 'sobjects/Activity_Goal_Reached__e', {
      Fitness_User_Id__c: 'fit-000042',
      Activity_Date__c: '2026-12-07',
      Steps__c: 10012,
      Goal_Steps__c: 10000,
      Reached_At__c: '2026-12-07T15:42:05.000Z'
    });
    assert.equal(published.status, 201, JSON.stringify(published.body));

    const relinked = await call(integration, 'PATCH', `sobjects/Contact/${contactId}`, {
      Fitness_User_Id__c: 'fit-999999'
    });
    assert.ok(relinked.status >= 400, `read only: ${relinked.status}`);
  });

  test('the portal user reads no summary', async () => {
    const token = await tokenFor(emulator, 'portal@emulator.local');
    const rows = await call(
      token,
      'GET',
      `query?q=${encodeURIComponent('SELECT Id FROM Daily_Activity_Summary__c')}`
    );
    assert.ok(rows.status >= 400, `no access: ${rows.status} ${JSON.stringify(rows.body)}`);
  });
});
