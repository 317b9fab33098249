/**
 * Holes a hostile review found in the permission model, each through a real client (jsforce or
 * fetch against a started emulator): Bulk jobs reachable by other users, ownership taken by a
 * non-owner, lookups to invisible records, cached permissions and sessions of deactivated users,
 * custom metadata readable by everyone, a multipart insert reading the file before the Create
 * check. Each test failed before its fix.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import jsforce from 'jsforce';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';
import { failure, jsforceConnection, tokenFor as tokenForUser } from './helpers/jsforce.ts';
import { createTempSfdxProject } from './helpers/temp-sfdx-project.ts';

type Row = Record<string, unknown>;

describe('permissions review', () => {
  let emulator: TestEmulator;
  let admin: jsforce.Connection;
  let integration: jsforce.Connection;
  let tokens: { admin: string; integration: string };
  let account: string;

  const connect = (accessToken: string) => jsforceConnection(emulator, accessToken);

  const tokenFor = (username: string) => tokenForUser(emulator, username);

  async function api(
    token: string,
    method: string,
    path: string,
    body?: string,
    type = 'application/json'
  ): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${emulator.instanceUrl}/services/data/v65.0/${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': type })
      },
      body
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // CSV or empty
    }
    return { status: response.status, json };
  }

  async function userId(username: string): Promise<string> {
    const { users } = await emulator.driver<{ users: Row[] }>('GET', 'users');
    return String(users.find((u) => u.username === username)?.userId);
  }

  /** The portal user, linked to a contact of `account`, and their token. */
  async function portalUser(): Promise<string> {
    const contact = await admin
      .sobject('Contact')
      .create({ LastName: 'Portal', AccountId: account });
    await admin
      .sobject('User')
      .update({ Id: await userId('portal@emulator.local'), ContactId: contact.id });
    return tokenFor('portal@emulator.local');
  }

  before(async () => {
    emulator = await startTestEmulator();
  });

  after(async () => {
    await emulator.close();
  });

  beforeEach(async () => {
    await emulator.driver('POST', 'reset');
    tokens = {
      admin: await tokenFor('admin@emulator.local'),
      integration: await tokenFor('integration@emulator.local')
    };
    admin = connect(tokens.admin);
    integration = connect(tokens.integration);
    const created = await admin.sobject('Account').create({ Name: 'Acme' });
    account = String(created.id);
  });

  test('the integration user writes log entries but cannot name who wrote them or their event key', async () => {
    const written = await integration
      .sobject('Integration_Log__c')
      .create({ Source__c: 'ESB', Message__c: 'from the API' });
    assert.equal(written.success, true);
    const adminId = await userId('admin@emulator.local');
    // Readable but not editable: INVALID_FIELD_FOR_INSERT_UPDATE; not even readable: INVALID_FIELD.
    const cases: Array<[Row, string]> = [
      [{ Running_User__c: adminId }, 'INVALID_FIELD_FOR_INSERT_UPDATE'],
      [{ Event_Key__c: 'replay:1' }, 'INVALID_FIELD']
    ];
    for (const [forged, errorCode] of cases) {
      const refused = await failure(
        integration
          .sobject('Integration_Log__c')
          .create({ Source__c: 'ESB', Message__c: 'forged', ...forged })
      );
      assert.equal(refused.errorCode, errorCode, JSON.stringify(forged));
    }
  });

  test('Bulk 2.0 jobs are their creator’s: others get 404 NOT_FOUND, lists are filtered', async () => {
    const portal = await portalUser();
    const ingest = await api(
      tokens.integration,
      'POST',
      'jobs/ingest',
      JSON.stringify({ object: 'Integration_Log__c', operation: 'insert' })
    );
    assert.equal(ingest.status, 200, JSON.stringify(ingest.json));
    const job = String((ingest.json as Row).id);
    const query = await api(
      tokens.integration,
      'POST',
      'jobs/query',
      JSON.stringify({ operation: 'query', query: 'SELECT Id FROM Account' })
    );
    const queryJob = String((query.json as Row).id);

    const notFound = [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }];
    const attempts: Array<[string, string, string?, string?]> = [
      ['GET', `jobs/ingest/${job}`],
      ['PUT', `jobs/ingest/${job}/batches`, 'Source__c,Message__c\nX,y\n', 'text/csv'],
      ['PATCH', `jobs/ingest/${job}`, JSON.stringify({ state: 'UploadComplete' })],
      ['PATCH', `jobs/ingest/${job}`, JSON.stringify({ state: 'Aborted' })],
      ['GET', `jobs/ingest/${job}/successfulResults`],
      ['GET', `jobs/ingest/${job}/failedResults`],
      ['DELETE', `jobs/ingest/${job}`],
      ['GET', `jobs/query/${queryJob}`],
      ['GET', `jobs/query/${queryJob}/results`],
      ['PATCH', `jobs/query/${queryJob}`, JSON.stringify({ state: 'Aborted' })],
      ['DELETE', `jobs/query/${queryJob}`]
    ];
    for (const [method, path, body, type] of attempts) {
      const answer = await api(portal, method, path, body, type);
      assert.equal(answer.status, 404, `${method} ${path}`);
      assert.deepEqual(answer.json, notFound, `${method} ${path}`);
    }
    for (const kind of ['ingest', 'query']) {
      const list = await api(portal, 'GET', `jobs/${kind}`);
      assert.deepEqual((list.json as { records: Row[] }).records, [], `${kind} list`);
      const own = await api(tokens.integration, 'GET', `jobs/${kind}`);
      assert.equal((own.json as { records: Row[] }).records.length, 1, `own ${kind} list`);
      // Modify All Data sees everyone's jobs.
      const all = await api(tokens.admin, 'GET', `jobs/${kind}`);
      assert.equal((all.json as { records: Row[] }).records.length, 1, `admin ${kind} list`);
    }
    assert.equal((await api(tokens.admin, 'GET', `jobs/ingest/${job}`)).status, 200);

    // The creator's job is untouched and still works.
    const upload = await api(
      tokens.integration,
      'PUT',
      `jobs/ingest/${job}/batches`,
      'Source__c,Message__c\nESB,hello\n',
      'text/csv'
    );
    assert.equal(upload.status, 201);
    const info = await api(tokens.integration, 'GET', `jobs/ingest/${job}`);
    assert.equal((info.json as Row).state, 'Open');
  });

  test('only the owner, Modify All or Transfer Record may change OwnerId (REST and Bulk)', async () => {
    const integrationId = await userId('integration@emulator.local');
    // The integration user holds Modify All on Account (docs/account-sync.md, "Access under a
    // Private sharing model"): it may edit the admin's account and change its owner. Refusal to
    // a user without Modify All: permissions-sharing.test.ts.
    await integration.sobject('Account').update({ Id: account, Name: 'Acme Corp' });
    const adminRow = await admin.sobject('Account').retrieve(account);
    await integration.sobject('Account').update({ Id: account, OwnerId: integrationId });
    await integration
      .sobject('Account')
      .update({ Id: account, OwnerId: adminRow.OwnerId as string });
    const row = await admin.sobject('Account').retrieve(account);
    assert.notEqual(row.OwnerId, integrationId);
    // Setting the owner it already has is no transfer; the owner may give a record away.
    await integration.sobject('Account').update({ Id: account, OwnerId: row.OwnerId as string });
    const own = await admin.sobject('Account').create({ Name: 'Theirs', OwnerId: integrationId });
    await integration
      .sobject('Account')
      .update({ Id: String(own.id), OwnerId: await userId('admin@emulator.local') });
  });

  test('a lookup needs the record it points at to be visible; foreign keys by readable fields', async () => {
    const other = String(
      (await admin.sobject('Account').create({ Name: 'Hidden', SAP_Customer_Number__c: 'SAP-9' }))
        .id
    );
    await admin.sobject('Account').update({ Id: account, SAP_Customer_Number__c: 'SAP-1' });
    const portal = connect(await portalUser());
    // The portal user's own account is fine; another account is not theirs to point at.
    await portal.sobject('Case').create({ Subject: 'Mine', AccountId: account });
    const hidden = await failure(portal.sobject('Case').create({ Subject: 'X', AccountId: other }));
    assert.equal(hidden.errorCode, 'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY');
    assert.equal(hidden.message, `insufficient access rights on cross-reference id: ${other}`);
    const viaId = await failure(
      portal.sobject('Case').create({ Subject: 'X', Account: { Id: other } } as Row)
    );
    assert.equal(viaId.errorCode, 'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY');
    const bulk = await portal.bulk2.loadAndWaitForResults({
      object: 'Case',
      operation: 'insert',
      input: [{ Subject: 'Bulk', AccountId: other }]
    });
    assert.equal(bulk.successfulResults.length, 0);
    assert.equal(
      String(bulk.failedResults[0]?.sf__Error),
      `INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY:insufficient access rights on cross-reference id: ${other}:--`
    );
    // A key field hidden by field-level security is unknown: no existence oracle through it.
    for (const value of ['SAP-9', 'SAP-1', 'nobody']) {
      const oracle = await failure(
        portal
          .sobject('Case')
          .create({ Subject: 'X', Account: { SAP_Customer_Number__c: value } } as Row)
      );
      assert.equal(oracle.errorCode, 'INVALID_FIELD', value);
      assert.match(String(oracle.message), /No such column 'SAP_Customer_Number__c'/, value);
    }
    const cases = await portal.query<Row>('SELECT AccountId FROM Case');
    assert.deepEqual(
      cases.records.map((r) => r.AccountId),
      [account]
    );
  });

  test('a profile change applies at once; a deactivated user’s sessions end', async () => {
    const denied = await failure(integration.query('SELECT Description FROM Account'));
    assert.equal(denied.errorCode, 'INVALID_FIELD');
    const { users } = await emulator.driver<{ users: Row[] }>('GET', 'users');
    const adminProfile = users.find((u) => u.username === 'admin@emulator.local')?.profileId;
    const integrationId = await userId('integration@emulator.local');
    await admin.sobject('User').update({ Id: integrationId, ProfileId: String(adminProfile) });
    const allowed = await integration.query<Row>('SELECT Description FROM Account');
    assert.equal(allowed.totalSize, 1);

    await admin.sobject('User').update({ Id: integrationId, IsActive: false });
    const response = await fetch(`${emulator.instanceUrl}/services/data/v65.0/limits`, {
      headers: { Authorization: `Bearer ${tokens.integration}` }
    });
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), [
      { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }
    ]);
  });

  test('custom metadata types need Customize Application, View All Data or a grant', async () => {
    // Integration_Service_User grants Integration_Setting__mdt (the account-sync kill switch).
    const granted = await integration.query<Row>(
      "SELECT DeveloperName, Enabled__c FROM Integration_Setting__mdt WHERE DeveloperName = 'Default'"
    );
    assert.equal(granted.records[0]?.Enabled__c, true);
    const global = await integration.describeGlobal();
    assert.deepEqual(
      global.sobjects.filter((o) => o.name.endsWith('__mdt')).map((o) => o.name),
      ['Integration_Setting__mdt']
    );
    const portal = connect(await portalUser());
    const portalDenied = await failure(portal.query('SELECT Id FROM Integration_Setting__mdt'));
    assert.equal(portalDenied.errorCode, 'INVALID_TYPE');
    const adminRows = await admin.query('SELECT Id FROM Integration_Setting__mdt');
    assert.ok(adminRows.totalSize >= 1);
  });
  test('a multipart insert without Create is refused before its body is read', async () => {
    const boundary = 'b0undary';
    // Not even well-formed: the permission check comes first.
    const response = await fetch(`${emulator.instanceUrl}/services/data/v65.0/sobjects/Account`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${tokens.integration}`,
        'Content-Type': `multipart/form-data; boundary=${boundary}`
      },
      body: `--${boundary}\r\nContent-Disposition: form-data; name="Body"; filename="x.bin"\r\n\r\nxx`
    });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), [
      {
        errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
        message: 'insufficient access rights on object id',
        fields: []
      }
    ]);
  });
});

describe('custom metadata type grants', () => {
  test('customMetadataTypeAccesses in a permission set grants API read of that type only', async () => {
    const project = await createTempSfdxProject();
    await mkdir(join(project.dir, 'extra-app/permissionsets'), { recursive: true });
    await writeFile(
      join(project.dir, 'extra-app/permissionsets/Integration_Service_User.permissionset-meta.xml'),
      `<?xml version="1.0" encoding="UTF-8"?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
  <label>Integration Service User</label>
  <customMetadataTypeAccesses>
    <enabled>true</enabled>
    <name>Limits_Setting__mdt</name>
  </customMetadataTypeAccesses>
  <userPermissions>
    <enabled>true</enabled>
    <name>ApiEnabled</name>
  </userPermissions>
</PermissionSet>
`
    );
    const emulator = await startTestEmulator({ projectDir: project.dir });
    try {
      const { accessToken } = await emulator.driver<{ accessToken: string }>('POST', 'sessions', {
        username: 'integration@emulator.local'
      });
      const conn = new jsforce.Connection({
        instanceUrl: emulator.instanceUrl,
        accessToken,
        version: '65.0'
      });
      const rows = await conn.query<Row>(
        'SELECT DeveloperName, Batch_Size__c FROM Limits_Setting__mdt'
      );
      assert.equal(rows.totalSize, 1);
      assert.equal(rows.records[0]?.Batch_Size__c, 200);
    } finally {
      await emulator.close();
      await project.remove();
    }
  });
});
