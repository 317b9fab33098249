/**
 * Delete rules through jsforce, as a real org applies them: a Restrict lookup refuses the
 * parent's delete with DELETE_FAILED (this project's Invoice__c.Account__c, Case.AccountId),
 * cascade-delete lookups and master-detail children go to the recycle bin with their parent
 * (recursively), SetNull lookups are cleared, and a refused delete changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import jsforce from 'jsforce';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';
import { jsforceConnection, useJsforceEmulator } from './helpers/jsforce.ts';
import { createTempSfdxProject, type TempProject } from './helpers/temp-sfdx-project.ts';

type SaveResult = {
  id: string;
  success: boolean;
  errors: Array<{ statusCode: string; message: string; fields: string[] }>;
};

type ApiError = Error & { errorCode?: string };

async function create(conn: jsforce.Connection, type: string, record: object): Promise<string> {
  const result = (await conn.sobject(type).create(record)) as SaveResult;
  assert.ok(result.success, JSON.stringify(result));
  return result.id;
}

/** Ids of `type` in the recycle bin (queryAll, IsDeleted = true). */
async function deletedIds(conn: jsforce.Connection, type: string): Promise<string[]> {
  const result = await conn.query<{ Id: string }>(`SELECT Id FROM ${type} WHERE IsDeleted = true`, {
    scanAll: true
  });
  return result.records.map((record) => record.Id).sort();
}

describe("this project's schema", () => {
  let conn: jsforce.Connection;
  useJsforceEmulator((_emulator, connection) => {
    conn = connection;
  });

  test('an Account with Invoices (a required Restrict lookup) cannot be deleted', async () => {
    const accountId = await create(conn, 'Account', { Name: 'Acme' });
    const invoiceId = await create(conn, 'Invoice__c', { Account__c: accountId, Amount__c: 10 });
    const invoice = await conn.sobject('Invoice__c').retrieve(invoiceId);

    await assert.rejects(conn.sobject('Account').destroy(accountId), (error: ApiError) => {
      assert.equal(error.errorCode, 'DELETE_FAILED');
      assert.equal(
        error.message,
        `Your attempt to delete Acme could not be completed because it is associated with the following invoices.: ${String(invoice.Name)}\n`
      );
      return true;
    });
    const still = await conn.query<{ Id: string; Account__c: string }>(
      `SELECT Id, Account__c FROM Invoice__c WHERE Account__r.Name = 'Acme'`
    );
    assert.deepEqual(
      still.records.map((r) => r.Account__c),
      [accountId],
      'the invoice still points at a live account'
    );

    await conn.sobject('Invoice__c').destroy(invoiceId);
    const deleted = (await conn.sobject('Account').destroy(accountId)) as SaveResult;
    assert.equal(deleted.success, true);
  });

  test('sObject Collections with allOrNone false report the refused record only', async () => {
    const [blocked, free] = [
      await create(conn, 'Account', { Name: 'Blocked' }),
      await create(conn, 'Account', { Name: 'Free' })
    ];
    await create(conn, 'Invoice__c', { Account__c: blocked, Amount__c: 5 });

    const results = (await conn
      .sobject('Account')
      .destroy([blocked, free], { allOrNone: false })) as SaveResult[];
    assert.deepEqual(
      results.map((r) => [r.id, r.success, r.errors[0]?.statusCode]),
      [
        [blocked, false, 'DELETE_FAILED'],
        [free, true, undefined]
      ]
    );
    assert.deepEqual(await deletedIds(conn, 'Account'), [free]);

    const together = (await conn
      .sobject('Account')
      .destroy([blocked], { allOrNone: true })) as SaveResult[];
    assert.equal(together[0]?.errors[0]?.statusCode, 'DELETE_FAILED');
  });

  test("an Account's Contacts, Opportunities and their Tasks go to the recycle bin with it", async () => {
    const accountId = await create(conn, 'Account', { Name: 'Globex' });
    const contactId = await create(conn, 'Contact', { LastName: 'Smith', AccountId: accountId });
    const opportunityId = await create(conn, 'Opportunity', {
      Name: 'Deal',
      AccountId: accountId,
      StageName: 'Prospecting',
      CloseDate: '2026-12-31'
    });
    const taskId = await create(conn, 'Task', { Subject: 'Call', WhoId: contactId });
    const childId = await create(conn, 'Account', { Name: 'Globex Child', ParentId: accountId });

    await conn.sobject('Account').destroy(accountId);

    assert.deepEqual(await deletedIds(conn, 'Contact'), [contactId]);
    assert.deepEqual(await deletedIds(conn, 'Opportunity'), [opportunityId]);
    assert.deepEqual(await deletedIds(conn, 'Task'), [taskId], 'cascades recursively');
    const child = await conn.sobject('Account').retrieve(childId);
    assert.equal(child.ParentId, null, 'the child account survives, its parent cleared');
  });

  test('a Case restricts its Account, and its Contact even when the Account cascades to it', async () => {
    const accountId = await create(conn, 'Account', { Name: 'Initech' });
    const contactId = await create(conn, 'Contact', {
      FirstName: 'Josh',
      LastName: 'Davis',
      AccountId: accountId
    });
    const caseId = await create(conn, 'Case', { Subject: 'Broken', ContactId: contactId });
    const { CaseNumber } = await conn.sobject('Case').retrieve(caseId);

    await assert.rejects(conn.sobject('Account').destroy(accountId), (error: ApiError) => {
      assert.equal(error.errorCode, 'DELETE_FAILED');
      assert.equal(
        error.message,
        `Your attempt to delete Josh Davis could not be completed because it is associated with the following cases.: ${String(CaseNumber)}\n`
      );
      return true;
    });
    assert.deepEqual(await deletedIds(conn, 'Contact'), [], 'nothing was deleted');
    assert.equal((await conn.sobject('Contact').retrieve(contactId)).AccountId, accountId);
  });
});

describe('delete rules from metadata (a project written for the test)', () => {
  let project: TempProject;
  let emulator: TestEmulator;
  let conn: jsforce.Connection;

  before(async () => {
    project = await createTempSfdxProject();
    emulator = await startTestEmulator({ projectDir: project.dir });
    conn = jsforceConnection(emulator);
  });

  after(async () => {
    await emulator.close();
    await project.remove();
  });

  test('SetNull clears the lookup; master-detail children are deleted with their master', async () => {
    const accountId = await create(conn, 'Account', { Name: 'Landlord' });
    const propertyId = await create(conn, 'Property__c', {
      Name: 'Flat 1',
      City__c: 'Bern',
      Account__c: accountId
    });
    const inspections = [
      await create(conn, 'Inspection__c', { Property__c: propertyId }),
      await create(conn, 'Inspection__c', { Property__c: propertyId })
    ].sort();

    await conn.sobject('Account').destroy(accountId);
    const property = await conn.sobject('Property__c').retrieve(propertyId);
    assert.equal(property.Account__c, null);

    await conn.sobject('Property__c').destroy(propertyId);
    assert.deepEqual(await deletedIds(conn, 'Inspection__c'), inspections);
    const live = await conn.query('SELECT Id FROM Inspection__c');
    assert.equal(live.totalSize, 0);
  });

  test('describe reports the relationships and their delete rules', async () => {
    const account = await conn.sobject('Account').describe();
    const properties = account.childRelationships.find((r) => r.childSObject === 'Property__c');
    assert.deepEqual(
      [properties?.field, properties?.relationshipName, properties?.cascadeDelete],
      ['Account__c', 'Properties__r', false]
    );
    const property = await conn.sobject('Property__c').describe();
    const inspections = property.childRelationships.find((r) => r.childSObject === 'Inspection__c');
    assert.deepEqual(
      [inspections?.field, inspections?.relationshipName, inspections?.cascadeDelete],
      ['Property__c', 'Inspections__r', true]
    );
    const master = (await conn.sobject('Inspection__c').describe()).fields.find(
      (f) => f.name === 'Property__c'
    );
    assert.equal(master?.cascadeDelete, true);
  });
});
