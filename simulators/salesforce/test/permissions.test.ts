/**
 * Permissions through the real clients (jsforce for REST, SOQL and Bulk API 2.0, the official
 * Pub/Sub client): the integration user holds exactly the shipped Integration_Service_User
 * permission set, and what it does not grant fails with the org's errors. Before permissions
 * were modelled, every one of these calls succeeded.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import jsforce from 'jsforce';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import type { SubscriptionInfo } from 'salesforce-pubsub-api-client';
import { REPO_ROOT, startTestEmulator, type TestEmulator } from './helpers/emulator.ts';
import { failure, jsforceConnection, tokenFor as tokenForUser } from './helpers/jsforce.ts';

const PERMISSION_SET = join(
  REPO_ROOT,
  'force-app/main/common/permissionsets/Integration_Service_User.permissionset-meta.xml'
);
const silent = { debug() {}, info() {}, warn() {}, error() {} };

type Row = Record<string, unknown>;

describe('permissions', () => {
  let emulator: TestEmulator;
  let admin: jsforce.Connection;
  let integration: jsforce.Connection;
  let account: string;

  const connect = (accessToken: string) => jsforceConnection(emulator, accessToken);

  const tokenFor = (username: string) => tokenForUser(emulator, username);

  before(async () => {
    emulator = await startTestEmulator();
  });

  after(async () => {
    await emulator.close();
  });

  beforeEach(async () => {
    await emulator.driver('POST', 'reset');
    admin = connect(await tokenFor('admin@emulator.local'));
    integration = connect(await tokenFor('integration@emulator.local'));
    const created = await admin.sobject('Account').create({
      Name: 'Acme',
      Description: 'Key account',
      VAT_Number__c: 'DE123'
    });
    account = String(created.id);
  });

  test('the integration user holds exactly the shipped Integration_Service_User', async () => {
    const { users } = await emulator.driver<{ users: Row[] }>('GET', 'users');
    const user = users.find((u) => u.username === 'integration@emulator.local');
    assert.equal(user?.profile, 'Minimum Access - API Only Integrations');
    assert.deepEqual(user?.permissionSets, ['Integration_Service_User']);

    // Every object and field grant of the file, and nothing else, is what describe shows.
    const xml = new XMLParser({
      isArray: (name) => ['objectPermissions', 'fieldPermissions'].includes(name)
    }).parse(await readFile(PERMISSION_SET, 'utf8')) as {
      PermissionSet: { objectPermissions: Row[]; fieldPermissions: Row[] };
    };
    const { objectPermissions, fieldPermissions } = xml.PermissionSet;
    const global = await integration.describeGlobal();
    const described = new Map(global.sobjects.map((o) => [o.name, o]));
    for (const grant of objectPermissions) {
      const object = described.get(String(grant.object));
      assert.ok(object, `${String(grant.object)} is visible`);
      assert.equal(object.createable, grant.allowCreate === true, `${object.name} createable`);
      if (object.name.endsWith('__e')) continue;
      assert.equal(object.updateable, grant.allowEdit === true, `${object.name} updateable`);
      assert.equal(object.deletable, grant.allowDelete === true, `${object.name} deletable`);
    }
    // Contact is granted (read: a background check's applicant); these are not.
    for (const hidden of ['Invoice__c', 'Payment__c', 'Opportunity', 'Case']) {
      assert.equal(described.has(hidden), false, `${hidden} is not visible`);
    }
    const accountFields = (await integration.sobject('Account').describe()).fields;
    const byName = new Map(accountFields.map((f) => [f.name, f]));
    for (const grant of fieldPermissions.filter((g) => String(g.field).startsWith('Account.'))) {
      const field = byName.get(String(grant.field).slice('Account.'.length));
      assert.ok(field, `${String(grant.field)} is readable`);
      assert.equal(field.updateable, grant.editable === true, `${field.name} updateable`);
    }
    for (const hidden of ['Description', 'AccountNumber', 'ShippingCity', 'NumberOfEmployees']) {
      assert.equal(byName.has(hidden), false, `${hidden} needs a grant`);
    }
    // Without field-level security: Id, the name and the audit fields.
    for (const always of ['Id', 'Name', 'OwnerId', 'CreatedDate', 'SystemModstamp', 'IsDeleted']) {
      assert.ok(byName.has(always), `${always} is always readable`);
    }
  });

  test('the Finance export user holds exactly Finance_Export_Integration and sees only its objects', async () => {
    const { users } = await emulator.driver<{ users: Row[] }>('GET', 'users');
    const user = users.find((u) => u.username === 'finance@emulator.local');
    assert.equal(user?.profile, 'Minimum Access - API Only Integrations');
    assert.deepEqual(user?.permissionSets, ['Finance_Export_Integration']);
    const finance = connect(await tokenFor('finance@emulator.local'));
    const described = new Map((await finance.describeGlobal()).sobjects.map((o) => [o.name, o]));
    for (const visible of ['Billing_Account__c', 'Account', 'Integration_Log__c']) {
      assert.ok(described.has(visible), `${visible} is visible`);
    }
    assert.equal(described.get('Billing_Account__c')?.updateable, false);
    assert.equal(described.get('Account')?.updateable, false);
    assert.equal(described.get('Integration_Log__c')?.createable, true);
    // What Integration_Service_User reaches and a Finance credential must not.
    for (const hidden of ['Passport_Application__c', 'Daily_Activity_Summary__c', 'Contact']) {
      assert.equal(described.has(hidden), false, `${hidden} is not visible`);
    }
    const accountFields = new Set(
      (await finance.sobject('Account').describe()).fields.map((f) => f.name)
    );
    assert.ok(accountFields.has('Name'));
    assert.equal(accountFields.has('VAT_Number__c'), false, 'no Account sync field');
    const setting = await finance.query(
      "SELECT DeveloperName, Enabled__c FROM Integration_Setting__mdt WHERE DeveloperName = 'FinanceExport'"
    );
    assert.equal(setting.totalSize, 1, 'the kill switch is readable');
    // And the shared integration user no longer reads billing accounts at all.
    const shared = await integration.describeGlobal();
    assert.equal(
      shared.sobjects.some((o) => o.name === 'Billing_Account__c'),
      false,
      'Integration_Service_User grants nothing on Billing_Account__c'
    );
  });

  test('the migration user holds exactly Property_Media_Migration: upserts images, reads properties', async () => {
    const { users } = await emulator.driver<{ users: Row[] }>('GET', 'users');
    const user = users.find((u) => u.username === 'media@emulator.local');
    assert.equal(user?.profile, 'Minimum Access - API Only Integrations');
    assert.deepEqual(user?.permissionSets, ['Property_Media_Migration']);
    const media = connect(await tokenFor('media@emulator.local'));
    const described = new Map((await media.describeGlobal()).sobjects.map((o) => [o.name, o]));
    assert.equal(described.get('Property__c')?.updateable, false);
    assert.equal(described.get('Property_Image__c')?.createable, true);
    assert.equal(described.get('Integration_Log__c')?.createable, true);
    for (const hidden of ['Account', 'Billing_Account__c', 'Contact']) {
      assert.equal(described.has(hidden), false, `${hidden} is not visible`);
    }
    // (REST upsert by Storage_Key__c cannot carry a key with '/' in its URL; the migration upserts
    // through Bulk API 2.0. Here: the create and the parent read the grant gives.)
    const property = await admin
      .sobject('Property__c')
      .create({ Name: 'Harbour View', Listing_Number__c: 'HV-1' });
    const seen = await media.query<{ Id: string }>(
      "SELECT Id FROM Property__c WHERE Listing_Number__c = 'HV-1'"
    );
    assert.equal(seen.records[0]?.Id, property.id, 'View All reads every property');
    const image = await media.sobject('Property_Image__c').create({
      Property__c: property.id,
      Storage_Key__c: 'properties/HV-1/0f8e0c1a-1b2c-4d3e-8f4a-5b6c7d8e9f00',
      Content_Type__c: 'image/jpeg',
      Size_Bytes__c: 1000,
      Status__c: 'Available'
    });
    assert.equal(image.success, true);
    await assert.rejects(
      media.sobject('Property__c').update({ Id: property.id!, Name: 'Renamed' }),
      /INSUFFICIENT_ACCESS|insufficient/i
    );
    const setting = await media.query(
      "SELECT DeveloperName, Enabled__c FROM Integration_Setting__mdt WHERE DeveloperName = 'PropertyMedia'"
    );
    assert.equal(setting.totalSize, 1, 'the kill switch is readable');
  });

  test('SOQL: a field without read access is INVALID_FIELD, an object INVALID_TYPE', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        'SELECT Id, Description FROM Account',
        'INVALID_FIELD',
        /^\nSELECT Id, Description FROM Account\n {11}\^\nERROR at Row:1:Column:12\nNo such column 'Description' on entity 'Account'\. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name\. Please reference your WSDL or the describe call for the appropriate names\.$/
      ],
      [
        "SELECT Id FROM Account WHERE AccountNumber = 'A1'",
        'INVALID_FIELD',
        /No such column 'AccountNumber' on entity 'Account'/
      ],
      [
        'SELECT Id FROM Account ORDER BY NumberOfEmployees',
        'INVALID_FIELD',
        /No such column 'NumberOfEmployees' on entity 'Account'/
      ],
      // ParentId is not granted either, so its relationship is unknown to this user.
      [
        'SELECT Id, Parent.Name FROM Account',
        'INVALID_FIELD',
        /Didn't understand relationship 'Parent' in field path/
      ],
      ['SELECT Id FROM Invoice__c', 'INVALID_TYPE', /sObject type 'Invoice__c' is not supported/]
    ];
    for (const [soql, errorCode, message] of cases) {
      const error = await failure(integration.query(soql));
      assert.equal(error.errorCode, errorCode, soql);
      assert.match(String(error.message), message, soql);
      // The administrator runs the same query.
      await admin.query(soql);
    }
    const ok = await integration.query<Row>(
      'SELECT Id, Name, BillingCity, VAT_Number__c, LastModifiedDate FROM Account'
    );
    assert.equal(ok.totalSize, 1);
  });

  test('REST: object CRUD and field-level security on writes and reads', async () => {
    const created = await failure(integration.sobject('Account').create({ Name: 'New' }));
    assert.equal(created.errorCode, 'INSUFFICIENT_ACCESS_OR_READONLY');
    assert.equal(created.message, 'insufficient access rights on object id');

    const readOnly = await failure(
      integration.sobject('Account').update({ Id: account, VAT_Number__c: 'FR1' })
    );
    assert.equal(readOnly.errorCode, 'INVALID_FIELD_FOR_INSERT_UPDATE');
    assert.equal(
      readOnly.message,
      'Unable to create/update fields: VAT_Number__c. Please check the security settings of this field and verify that it is read/write for your profile or permission set.'
    );
    const hidden = await failure(
      integration.sobject('Account').update({ Id: account, Description: 'x' })
    );
    assert.equal(hidden.errorCode, 'INVALID_FIELD');
    assert.equal(hidden.message, "No such column 'Description' on sobject of type Account");

    // No Delete check here: the set grants Modify All on Account (docs/account-sync.md, "Access
    // under a Private sharing model"), and Salesforce grants Modify All only with Delete.

    // What the service does is allowed: the four sync fields.
    const updated = await integration
      .sobject('Account')
      .update({ Id: account, Sync_Status__c: 'Success', SAP_Customer_Number__c: '1000001' });
    assert.equal(updated.success, true);

    const record = (await integration.sobject('Account').retrieve(account)) as Row;
    assert.equal(record.Name, 'Acme');
    assert.equal(record.VAT_Number__c, 'DE123');
    assert.equal('Description' in record, false, 'a field without read access is left out');

    const invisible = await failure(integration.sobject('Invoice__c').create({}));
    assert.equal(invisible.errorCode, 'NOT_FOUND');
  });

  test('record access: a Private object shows the user only their own records', async () => {
    await admin.sobject('Integration_Log__c').create({ Source__c: 'Admin', Message__c: 'a' });
    const own = await integration
      .sobject('Integration_Log__c')
      .create({ Source__c: 'ESB', Message__c: 'b' });
    const adminLogs = await admin.query<Row>('SELECT Id FROM Integration_Log__c');
    assert.equal(adminLogs.totalSize, 2, 'View All Data');
    const seen = await integration.query<Row>('SELECT Id FROM Integration_Log__c');
    assert.deepEqual(
      seen.records.map((r) => r.Id),
      [own.id]
    );
    const other = adminLogs.records.find((r) => r.Id !== own.id)?.Id as string;
    const hidden = await failure(integration.sobject('Integration_Log__c').retrieve(other));
    assert.equal(hidden.errorCode, 'NOT_FOUND');
  });

  test('Bulk API 2.0: queries and ingest jobs run with the creator permissions', async () => {
    const query = await failure(integration.bulk2.query('SELECT Id, Description FROM Account'));
    assert.match(String(query.message), /No such column 'Description' on entity 'Account'/);
    const rows = await integration.bulk2.query('SELECT Id, Name FROM Account');
    assert.equal((await rows.toArray()).length, 1);

    const results = await integration.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'insert',
      input: [{ Name: 'Bulk' }]
    });
    assert.equal(results.successfulResults.length, 0);
    assert.equal(results.failedResults.length, 1);
    assert.match(
      String(results.failedResults[0]?.sf__Error),
      /^INSUFFICIENT_ACCESS_OR_READONLY:insufficient access rights on object id/
    );
  });

  test('portal users see their own account, not the others', async () => {
    const other = await admin.sobject('Account').create({ Name: 'Someone else' });
    const contact = await admin
      .sobject('Contact')
      .create({ LastName: 'Portal', AccountId: account });
    const { users } = await emulator.driver<{ users: Row[] }>('GET', 'users');
    const portal = users.find((u) => u.username === 'portal@emulator.local');
    assert.deepEqual(portal?.permissionSets, ['Integration_Portal_User']);
    await admin.sobject('User').update({ Id: String(portal?.userId), ContactId: contact.id });
    const conn = connect(await tokenFor('portal@emulator.local'));
    const accounts = await conn.query<Row>('SELECT Id, Name FROM Account');
    assert.deepEqual(
      accounts.records.map((r) => r.Id),
      [account]
    );
    assert.ok(other.id);
    // No sharing set is deployed: invoices of the account stay Private to their owner.
    await admin.sobject('Invoice__c').create({ Account__c: account, Amount__c: 10 });
    assert.equal((await conn.query('SELECT Id FROM Invoice__c')).totalSize, 0);
    // A relationship path ends on a field the user cannot read.
    const path = await failure(
      conn.query('SELECT Id, Invoice__r.Account__r.Description FROM Payment__c')
    );
    assert.equal(path.errorCode, 'INVALID_FIELD');
    assert.match(String(path.message), /No such column 'Description' on entity 'Account'/);
    // Payments are server-owned: the portal permission set grants Read only.
    const payment = await failure(conn.sobject('Payment__c').create({ Amount__c: 1 }));
    assert.equal(payment.errorCode, 'INSUFFICIENT_ACCESS_OR_READONLY');
  });
});

describe('Pub/Sub permissions', () => {
  let emulator: TestEmulator;
  const clients: PubSubApiClient[] = [];

  before(async () => {
    emulator = await startTestEmulator();
  });

  after(async () => {
    for (const client of clients) client.close();
    await emulator.close();
  });

  async function connect(): Promise<PubSubApiClient> {
    const client = new PubSubApiClient(
      {
        authType: 'user-supplied',
        accessToken: emulator.integrationAccessToken,
        instanceUrl: 'https://emulator.my.salesforce.com',
        organizationId: emulator.organizationId,
        pubSubEndpoint: emulator.pubsubEndpoint,
        rejectUnauthorizedSsl: false
      },
      silent
    );
    await client.connect();
    clients.push(client);
    return client;
  }

  test('subscribe needs Read on the event, publish Create: PERMISSION_DENIED otherwise', async () => {
    const client = await connect();
    const published = await failure(
      client.publish('/event/Account_Sync__e', {
        CreatedDate: Date.now(),
        CreatedById: '005000000000000AAA',
        Account_Id__c: { string: '001000000000001AAA' },
        Operation__c: { string: 'Create' }
      })
    );
    const cause = (published as { cause?: { code?: number; details?: string } }).cause;
    assert.equal(cause?.code, 7);
    assert.match(
      String(cause?.details),
      /^The user doesn't have permission to publish to the topic \/event\/Account_Sync__e\. Ensure the user has the Create permission on Account_Sync__e\. rpcId: /
    );

    const errors: Array<{ code: number; details: string; metadata: { get(k: string): unknown } }> =
      [];
    client.subscribe(
      '/event/Integration_Log_Event__e',
      (_info: SubscriptionInfo, type: string, data?: unknown) => {
        if (type === 'error') errors.push(data as (typeof errors)[number]);
      },
      1
    );
    const deadline = Date.now() + 5000;
    while (errors.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(errors[0]?.code, 7);
    assert.deepEqual(errors[0]?.metadata.get('error-code'), [
      'sfdc.platform.eventbus.grpc.subscription.permission.denied'
    ]);
  });
});
