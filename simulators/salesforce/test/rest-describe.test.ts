/**
 * Describe and the standard schema through jsforce, as a real org shows them: named child
 * relationships with their delete rules (`Invoices__r` on Account from this project's
 * Invoice__c.Account__c), the setup and activity objects, compound address fields (read-only
 * in describe, assembled by SOQL and retrieve), the standard fields the Object Reference lists,
 * record types from the project's metadata, and a version index listing only what is served.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type jsforce from 'jsforce';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';
import { jsforceConnection, useJsforceEmulator } from './helpers/jsforce.ts';

type ApiError = Error & { errorCode?: string };

type ChildRelationship = jsforce.DescribeSObjectResult['childRelationships'][number];

function relationship(
  result: jsforce.DescribeSObjectResult,
  childSObject: string,
  field: string
): ChildRelationship | undefined {
  return result.childRelationships.find(
    (r) => r.childSObject === childSObject && r.field === field
  );
}

function fieldOf(result: jsforce.DescribeSObjectResult, name: string): jsforce.Field {
  const field = result.fields.find((f) => f.name === name);
  assert.ok(field, `${result.name}.${name} is described`);
  return field;
}

describe("this project's org", () => {
  let emulator: TestEmulator;
  let conn: jsforce.Connection;
  useJsforceEmulator((started, connection) => {
    emulator = started;
    conn = connection;
  });

  test('child relationships are named, with their delete rules', async () => {
    const account = await conn.sobject('Account').describe();
    assert.deepEqual(relationship(account, 'Invoice__c', 'Account__c'), {
      cascadeDelete: false,
      childSObject: 'Invoice__c',
      deprecatedAndHidden: false,
      field: 'Account__c',
      junctionIdListNames: [],
      junctionReferenceTo: [],
      relationshipName: 'Invoices__r',
      restrictedDelete: true
    });
    assert.deepEqual(
      [
        ['Contact', 'AccountId'],
        ['Opportunity', 'AccountId'],
        ['Case', 'AccountId'],
        ['Account', 'ParentId'],
        ['Task', 'WhatId']
      ].map(([child, field]) => {
        const found = relationship(account, child as string, field as string);
        return [found?.relationshipName, found?.cascadeDelete, found?.restrictedDelete];
      }),
      [
        ['Contacts', true, false],
        ['Opportunities', true, false],
        ['Cases', false, true],
        ['ChildAccounts', false, false],
        ['Tasks', true, false]
      ]
    );
    const user = await conn.sobject('User').describe();
    assert.equal(
      relationship(user, 'Integration_Log__c', 'Running_User__c')?.relationshipName,
      'Integration_Logs__r'
    );
    const invoice = await conn.sobject('Invoice__c').describe();
    assert.equal(
      relationship(invoice, 'Payment__c', 'Invoice__c')?.relationshipName,
      'Payments__r'
    );
    assert.equal(fieldOf(invoice, 'Account__c').relationshipName, 'Account__r');
    assert.equal(fieldOf(invoice, 'Account__c').restrictedDelete, true);
  });

  test('the global describe has the setup and activity objects', async () => {
    const names = (await conn.describeGlobal()).sobjects.map((s) => s.name);
    for (const name of ['RecordType', 'Group', 'Task', 'Event', 'Note', 'Attachment']) {
      assert.ok(names.includes(name), `${name} is listed`);
    }
    const task = await conn.sobject('Task').describe();
    assert.equal(task.keyPrefix, '00T');
    assert.deepEqual(fieldOf(task, 'WhoId').referenceTo, ['Contact', 'Lead']);
    assert.ok(fieldOf(task, 'WhatId').referenceTo?.includes('Opportunity'));
    assert.equal(fieldOf(task, 'Subject').nameField, true);
    assert.equal(fieldOf(await conn.sobject('Case').describe(), 'CaseNumber').nameField, true);

    await conn.sobject('Group').create({ Name: 'Support Queue', Type: 'Queue' });
    const groups = await conn.query<{ Name: string; Type: string }>('SELECT Name, Type FROM Group');
    assert.deepEqual(
      groups.records.map((group) => [group.Name, group.Type]),
      [['Support Queue', 'Queue']]
    );
  });

  test('standard fields of the Object Reference', async () => {
    const account = await conn.sobject('Account').describe();
    for (const name of [
      'MasterRecordId',
      'LastActivityDate',
      'LastViewedDate',
      'LastReferencedDate',
      'Jigsaw',
      'JigsawCompanyId',
      'CleanStatus'
    ]) {
      fieldOf(account, name);
    }
    assert.deepEqual(fieldOf(account, 'MasterRecordId').referenceTo, ['Account']);
    const invoice = await conn.sobject('Invoice__c').describe();
    fieldOf(invoice, 'LastViewedDate');
    assert.equal(
      invoice.fields.some((f) => f.name === 'LastActivityDate'),
      false,
      'Invoice__c has no activities'
    );
  });

  test('compound addresses: described read-only, assembled by SOQL and retrieve', async () => {
    const account = await conn.sobject('Account').describe();
    const billing = fieldOf(account, 'BillingAddress');
    assert.deepEqual(
      [billing.type, billing.createable, billing.updateable, billing.soapType],
      ['address', false, false, 'urn:address']
    );
    assert.equal(fieldOf(account, 'BillingCity').compoundFieldName, 'BillingAddress');
    assert.equal(fieldOf(account, 'ShippingLatitude').compoundFieldName, 'ShippingAddress');
    fieldOf(await conn.sobject('Contact').describe(), 'MailingAddress');
    fieldOf(await conn.sobject('Contact').describe(), 'OtherAddress');
    fieldOf(await conn.sobject('Lead').describe(), 'Address');

    const { id } = (await conn.sobject('Account').create({
      Name: 'Acme',
      BillingStreet: '1 Main St',
      BillingCity: 'Springfield',
      BillingCountry: 'US',
      BillingLatitude: 37.2
    })) as { id: string };
    const expected = {
      city: 'Springfield',
      country: 'US',
      geocodeAccuracy: null,
      latitude: 37.2,
      longitude: null,
      postalCode: null,
      state: null,
      street: '1 Main St'
    };
    const queried = await conn.query<{ BillingAddress: unknown; ShippingAddress: unknown }>(
      'SELECT BillingAddress, ShippingAddress FROM Account'
    );
    assert.deepEqual(queried.records[0]?.BillingAddress, expected);
    assert.equal(queried.records[0]?.ShippingAddress, null);
    assert.deepEqual((await conn.sobject('Account').retrieve(id)).BillingAddress, expected);

    await assert.rejects(
      conn.sobject('Account').create({ Name: 'x', BillingAddress: { city: 'Bern' } }),
      (error: ApiError) => error.errorCode === 'INVALID_FIELD_FOR_INSERT_UPDATE'
    );
  });

  test('the version index lists only resources the org serves', async () => {
    const index = (await emulator.rest('GET', '/services/data/v65.0')).body as Record<
      string,
      string
    >;
    for (const unserved of ['tooling', 'search', 'recent', 'tabs', 'chatter', 'analytics']) {
      assert.equal(index[unserved], undefined, `${unserved} is not listed`);
    }
    assert.deepEqual(Object.keys(index).sort(), [
      'composite',
      'identity',
      'jobs',
      'limits',
      'query',
      'queryAll',
      'sobjects'
    ]);
    assert.equal(index.limits, '/services/data/v65.0/limits');
    assert.ok(await conn.request(index.limits as string));
    assert.ok(await conn.request(index.sobjects as string));
  });
});

describe('record types from the project metadata', () => {
  let project: string;
  let emulator: TestEmulator;
  let conn: jsforce.Connection;

  before(async () => {
    project = await mkdtemp(join(tmpdir(), 'sf-emulator-record-types-'));
    await writeFile(
      join(project, 'sfdx-project.json'),
      JSON.stringify({ packageDirectories: [{ path: 'force-app', default: true }] })
    );
    const types = join(project, 'force-app/main/default/objects/Account/recordTypes');
    await mkdir(types, { recursive: true });
    await writeFile(
      join(types, 'Business.recordType-meta.xml'),
      `<?xml version="1.0" encoding="UTF-8"?>
<RecordType xmlns="http://soap.sforce.com/2006/04/metadata">
  <fullName>Business</fullName>
  <active>true</active>
  <label>Business Account</label>
</RecordType>
`
    );
    emulator = await startTestEmulator({ projectDir: project });
    conn = jsforceConnection(emulator);
  });

  after(async () => {
    await emulator.close();
    await rm(project, { recursive: true, force: true });
  });

  test('an object with record types has RecordTypeId, its RecordType records and infos', async () => {
    const [business] = (
      await conn.query<{ Id: string; Name: string; SobjectType: string }>(
        "SELECT Id, Name, SobjectType FROM RecordType WHERE DeveloperName = 'Business'"
      )
    ).records;
    assert.deepEqual([business?.Name, business?.SobjectType], ['Business Account', 'Account']);
    assert.match(String(business?.Id), /^012[A-Za-z0-9]{15}$/);

    const account = await conn.sobject('Account').describe();
    assert.deepEqual(fieldOf(account, 'RecordTypeId').referenceTo, ['RecordType']);
    assert.deepEqual(
      // jsforce's type lacks developerName, which the REST API has.
      account.recordTypeInfos.map((info) => [
        (info as typeof info & { developerName: string }).developerName,
        info.recordTypeId,
        info.defaultRecordTypeMapping,
        info.master
      ]),
      [
        ['Business', business?.Id, true, false],
        ['Master', '012000000000000AAA', false, true]
      ]
    );
    const contact = await conn.sobject('Contact').describe();
    assert.equal(
      contact.fields.some((f) => f.name === 'RecordTypeId'),
      false,
      'only objects with record types describe RecordTypeId'
    );

    await conn.sobject('Account').create({ Name: 'Acme', RecordTypeId: business?.Id });
    const typed = await conn.query<{ RecordType: { DeveloperName: string } }>(
      'SELECT RecordType.DeveloperName FROM Account'
    );
    assert.equal(typed.records[0]?.RecordType.DeveloperName, 'Business');
  });
});
