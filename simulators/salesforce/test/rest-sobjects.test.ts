/**
 * The REST sObject resources through the real jsforce client (and raw HTTP where the status code
 * itself is the point): create/retrieve/update/delete, upsert by external id, describe, and the
 * error paths a real org takes (unknown field, restricted picklist, required field, bad token).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jsforce from 'jsforce';
import type { TestEmulator } from './helpers/emulator.ts';
import { useJsforceEmulator } from './helpers/jsforce.ts';

let emulator: TestEmulator;
let conn: jsforce.Connection;

useJsforceEmulator((started, connection) => {
  emulator = started;
  conn = connection;
});

async function rejection(
  promise: PromiseLike<unknown>
): Promise<{ errorCode?: string; message: string; name: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { errorCode?: string; message: string; name: string };
  }
  assert.fail('expected the call to fail');
}

describe('sObject CRUD with jsforce', () => {
  test('creates, retrieves, updates and deletes an Account', async () => {
    const created = await conn.sobject('Account').create({ Name: 'Acme', Industry: 'Energy' });
    assert.equal(created.success, true);
    assert.match(String(created.id), /^001[a-zA-Z0-9]{15}$/);

    const record = (await conn.sobject('Account').retrieve(String(created.id))) as Record<
      string,
      unknown
    >;
    assert.equal(record.Name, 'Acme');
    assert.equal(record.Id, created.id);
    assert.deepEqual(record.attributes, {
      type: 'Account',
      url: `/services/data/v65.0/sobjects/Account/${created.id}`
    });
    assert.match(String(record.CreatedDate), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);

    const updated = await conn
      .sobject('Account')
      .update({ Id: String(created.id), Name: 'Acme Corp' });
    assert.equal(updated.success, true);
    const again = (await conn.sobject('Account').retrieve(String(created.id))) as Record<
      string,
      unknown
    >;
    assert.equal(again.Name, 'Acme Corp');

    const deleted = await conn.sobject('Account').destroy(String(created.id));
    assert.equal(deleted.success, true);
    const gone = await rejection(conn.sobject('Account').retrieve(String(created.id)));
    assert.equal(gone.errorCode, 'ENTITY_IS_DELETED');
  });

  test('answers the real status codes and headers', async () => {
    const create = await emulator.rest('POST', 'sobjects/Account', { Name: 'Status Co' });
    assert.equal(create.status, 201);
    const { id } = create.body as { id: string };
    assert.deepEqual(create.body, { id, success: true, errors: [] });
    assert.equal(create.headers.get('location'), `/services/data/v65.0/sobjects/Account/${id}`);
    assert.match(String(create.headers.get('sforce-limit-info')), /^api-usage=\d+\/\d+$/);

    assert.equal(
      (await emulator.rest('PATCH', `sobjects/Account/${id}`, { Name: 'X' })).status,
      204
    );
    const partial = await emulator.rest('GET', `sobjects/Account/${id}?fields=Name`);
    assert.deepEqual(partial.body, {
      attributes: { type: 'Account', url: `/services/data/v65.0/sobjects/Account/${id}` },
      Name: 'X',
      Id: id
    });
    // A 15-character id names the same record.
    assert.equal((await emulator.rest('GET', `sobjects/Account/${id.slice(0, 15)}`)).status, 200);
    assert.equal((await emulator.rest('DELETE', `sobjects/Account/${id}`)).status, 204);
    const again = await emulator.rest('DELETE', `sobjects/Account/${id}`);
    assert.equal(again.status, 404);
    assert.deepEqual(again.body, [
      { message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] }
    ]);
    const missing = await emulator.rest('PATCH', 'sobjects/Account/001000000000000AAA', {
      Name: 'x'
    });
    assert.equal(missing.status, 404);
    assert.equal((missing.body as Array<{ errorCode: string }>)[0]?.errorCode, 'NOT_FOUND');
  });

  test('reports unknown objects, ids and versions as NOT_FOUND', async () => {
    const unknownType = await emulator.rest('GET', 'sobjects/Nope__c/describe');
    assert.equal(unknownType.status, 404);
    assert.deepEqual(unknownType.body, [
      { message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }
    ]);
    const notAnId = await emulator.rest('GET', 'sobjects/Account/not-an-id');
    assert.equal(notAnId.status, 404);
    assert.deepEqual(notAnId.body, [
      {
        message: 'Provided external ID field does not exist or is not accessible: not-an-id',
        errorCode: 'NOT_FOUND'
      }
    ]);
    const oldVersion = await emulator.rest('GET', '/services/data/v20.0/sobjects');
    assert.equal(oldVersion.status, 404);
    const unknownPath = await emulator.rest('GET', 'no/such/resource');
    assert.equal(unknownPath.status, 404);
  });
});

describe('platform events', () => {
  test('an event created through REST reaches the event bus', async () => {
    const before = emulator.ctx.bus.retained('Integration_Log_Event__e').length;
    const published = await conn.sobject('Integration_Log_Event__e').create({
      Source__c: 'rest-test',
      Severity__c: 'WARN',
      Message__c: 'published over REST'
    });
    assert.equal(published.success, true);
    const events = emulator.ctx.bus.retained('Integration_Log_Event__e');
    assert.equal(events.length, before + 1);
    assert.equal(events.at(-1)?.payload.Message__c, 'published over REST');
  });
});

describe('upsert by external id', () => {
  test('creates then updates through jsforce', async () => {
    const log = { Reference__c: 'REF-0001', Source__c: 'test', Severity__c: 'INFO' };
    const first = (await conn.sobject('Integration_Log__c').upsert(log, 'Reference__c')) as {
      id?: string;
      success: boolean;
      created?: boolean;
    };
    assert.equal(first.success, true);
    assert.equal(first.created, true);
    const second = (await conn
      .sobject('Integration_Log__c')
      .upsert({ ...log, Severity__c: 'ERROR' }, 'Reference__c')) as {
      id?: string;
      created?: boolean;
    };
    assert.equal(second.created, false);
    assert.equal(second.id, first.id);
    const stored = (await conn.sobject('Integration_Log__c').retrieve(String(first.id))) as Record<
      string,
      unknown
    >;
    assert.equal(stored.Severity__c, 'ERROR');
    assert.match(String(stored.Name), /^LOG-\d{7}$/);
  });

  test('answers 201 on create, 200 with created:false on update, 204 before v46', async () => {
    const url = 'sobjects/Integration_Log__c/Reference__c/REF-2';
    const created = await emulator.rest('PATCH', url, { Source__c: 'a' });
    assert.equal(created.status, 201);
    const { id } = created.body as { id: string };
    assert.deepEqual(created.body, { id, success: true, errors: [], created: true });
    const updated = await emulator.rest('PATCH', url, { Source__c: 'b' });
    assert.equal(updated.status, 200);
    assert.deepEqual(updated.body, { id, success: true, errors: [], created: false });
    const legacy = await emulator.rest(
      'PATCH',
      '/services/data/v45.0/sobjects/Integration_Log__c/Reference__c/REF-2',
      { Source__c: 'c' }
    );
    assert.equal(legacy.status, 204);

    const byKey = await emulator.rest('GET', `${url}?fields=Source__c`);
    assert.equal(byKey.status, 200);
    assert.equal((byKey.body as Record<string, unknown>).Source__c, 'c');
    const badField = await emulator.rest('PATCH', 'sobjects/Integration_Log__c/Nope__c/1', {});
    assert.equal(badField.status, 404);
    assert.equal((badField.body as Array<{ errorCode: string }>)[0]?.errorCode, 'NOT_FOUND');
  });

  test('answers 300 with the matching URLs when a non-unique external id matches twice', async () => {
    await conn.sobject('Integration_Log__c').create([
      { Source__c: 'a', Correlation_Id__c: 'C-1' },
      { Source__c: 'b', Correlation_Id__c: 'C-1' }
    ]);
    const ambiguous = await emulator.rest(
      'GET',
      'sobjects/Integration_Log__c/Correlation_Id__c/C-1'
    );
    assert.equal(ambiguous.status, 300);
    assert.equal((ambiguous.body as string[]).length, 2);
    const upsert = await emulator.rest(
      'PATCH',
      'sobjects/Integration_Log__c/Correlation_Id__c/C-1',
      {
        Source__c: 'c'
      }
    );
    assert.equal(upsert.status, 300);
  });
});

describe('describe', () => {
  test('describes a custom object from the project metadata', async () => {
    const describeResult = await conn.sobject('Integration_Log__c').describe();
    assert.equal(describeResult.name, 'Integration_Log__c');
    assert.equal(describeResult.custom, true);
    assert.equal(describeResult.label, 'Integration Log');
    assert.match(String(describeResult.keyPrefix), /^a[0-9A-Za-z]{2}$/);
    const severity = describeResult.fields.find((f) => f.name === 'Severity__c');
    assert.ok(severity);
    assert.equal(severity.type, 'picklist');
    assert.equal(severity.restrictedPicklist, true);
    assert.deepEqual(
      severity.picklistValues?.map((v) => v.value),
      ['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']
    );
    const reference = describeResult.fields.find((f) => f.name === 'Reference__c');
    assert.equal(reference?.externalId, true);
    assert.equal(reference?.unique, false);
    assert.equal(reference?.idLookup, true);
    assert.equal(reference?.length, 36);
    assert.equal(reference?.soapType, 'xsd:string');
    const name = describeResult.fields.find((f) => f.name === 'Name');
    assert.equal(name?.autoNumber, true);
    assert.equal(name?.createable, false);
    const user = describeResult.fields.find((f) => f.name === 'Running_User__c');
    assert.equal(user?.type, 'reference');
    assert.deepEqual(user?.referenceTo, ['User']);
    assert.equal(user?.relationshipName, 'Running_User__r');
  });

  test('lists every object in the global describe', async () => {
    const global = await conn.describeGlobal();
    const names = global.sobjects.map((s) => s.name);
    for (const name of [
      'Account',
      'Contact',
      'User',
      'Integration_Log__c',
      'Integration_Log_Event__e'
    ]) {
      assert.ok(names.includes(name), `${name} is listed`);
    }
    const info = await emulator.rest('GET', 'sobjects/Account');
    assert.equal(
      (info.body as { objectDescribe: { name: string } }).objectDescribe.name,
      'Account'
    );
  });

  test('lists versions and the resources of a version', async () => {
    const versions = (await (
      await fetch(`${emulator.instanceUrl}/services/data`)
    ).json()) as Array<{
      version: string;
      label: string;
      url: string;
    }>;
    assert.equal(versions[0]?.version, '31.0');
    assert.equal(versions.at(-1)?.version, '66.0');
    assert.deepEqual(
      versions.find((v) => v.version === '65.0'),
      {
        label: "Winter '26",
        url: '/services/data/v65.0',
        version: '65.0'
      }
    );
    const resources = await emulator.rest('GET', '/services/data/v65.0');
    assert.equal(
      (resources.body as Record<string, string>).sobjects,
      '/services/data/v65.0/sobjects'
    );
    const identity = await conn.identity();
    assert.equal(identity.username, 'admin@emulator.local');
    assert.equal(identity.organization_id, emulator.organizationId);
  });
});

describe('errors as Salesforce reports them', () => {
  test('an unknown field is INVALID_FIELD', async () => {
    const error = await rejection(conn.sobject('Account').create({ Name: 'x', Bogus__c: 1 }));
    assert.equal(error.errorCode, 'INVALID_FIELD');
    assert.match(error.message, /Bogus__c/);
  });

  test('a value outside a restricted picklist is INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', async () => {
    const response = await emulator.rest('POST', 'sobjects/Integration_Log__c', {
      Source__c: 'x',
      Severity__c: 'CATASTROPHIC'
    });
    assert.equal(response.status, 400);
    const [error] = response.body as Array<{
      errorCode: string;
      fields: string[];
      message: string;
    }>;
    assert.equal(error?.errorCode, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    assert.deepEqual(error?.fields, ['Severity__c']);
    const viaJsforce = await rejection(
      conn.sobject('Integration_Log__c').create({ Source__c: 'x', Severity__c: 'CATASTROPHIC' })
    );
    assert.equal(viaJsforce.errorCode, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
  });

  test('a missing required field is REQUIRED_FIELD_MISSING', async () => {
    const error = await rejection(
      conn.sobject('Integration_Log__c').create({ Severity__c: 'INFO' })
    );
    assert.equal(error.errorCode, 'REQUIRED_FIELD_MISSING');
  });

  test('bad JSON is JSON_PARSER_ERROR, an array body too', async () => {
    const bad = await emulator.rest('POST', 'sobjects/Account', '{"Name": ');
    assert.equal(bad.status, 400);
    assert.equal((bad.body as Array<{ errorCode: string }>)[0]?.errorCode, 'JSON_PARSER_ERROR');
    const array = await emulator.rest('POST', 'sobjects/Account', [{ Name: 'x' }]);
    assert.equal(array.status, 400);
    assert.equal((array.body as Array<{ errorCode: string }>)[0]?.errorCode, 'JSON_PARSER_ERROR');
  });

  test('a bad token is 401 INVALID_SESSION_ID with the exact body, and is not counted', async () => {
    const before = await emulator.driver<{ total: number }>('GET', 'api-calls');
    const response = await fetch(`${emulator.instanceUrl}/services/data/v65.0/sobjects/Account`, {
      headers: { authorization: 'Bearer 00D000000000001!AQnotatoken' }
    });
    assert.equal(response.status, 401);
    assert.equal(
      await response.text(),
      '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]'
    );
    const missing = await fetch(`${emulator.instanceUrl}/services/data/v65.0/limits`);
    assert.equal(missing.status, 401);
    const after = await emulator.driver<{ total: number }>('GET', 'api-calls');
    assert.equal(after.total, before.total);

    const badConn = new jsforce.Connection({
      instanceUrl: emulator.instanceUrl,
      accessToken: 'invalid',
      version: '65.0'
    });
    const error = await rejection(badConn.query('SELECT Id FROM Account'));
    assert.equal(error.errorCode, 'INVALID_SESSION_ID');
  });

  test('an unexpected failure is a logged 500 UNKNOWN_EXCEPTION, not a crash', async () => {
    const store = emulator.ctx.store;
    const insert = store.insert.bind(store);
    store.insert = () => {
      throw new TypeError('boom');
    };
    try {
      const response = await emulator.rest('POST', 'sobjects/Account', { Name: 'x' });
      assert.equal(response.status, 500);
      assert.equal(
        (response.body as Array<{ errorCode: string }>)[0]?.errorCode,
        'UNKNOWN_EXCEPTION'
      );
    } finally {
      store.insert = insert;
    }
    assert.equal((await emulator.rest('GET', 'limits')).status, 200);
  });

  test('jsforce refreshes an expired session through its refreshFn and retries', async () => {
    let refreshes = 0;
    const refreshing = new jsforce.Connection({
      instanceUrl: emulator.instanceUrl,
      accessToken: emulator.accessToken,
      version: '65.0',
      refreshFn: (_conn, callback) => {
        refreshes++;
        fetch(`${emulator.instanceUrl}/__emulator/sessions`, { method: 'POST' })
          .then((response) => response.json() as Promise<{ accessToken: string }>)
          .then(({ accessToken }) => callback(null, accessToken))
          .catch((error: Error) => callback(error));
      }
    });
    await refreshing.sobject('Account').create({ Name: 'Before expiry' });
    await emulator.driver('POST', 'sessions/expire');
    const result = await refreshing.query<{ Name: string }>('SELECT Name FROM Account');
    assert.equal(refreshes, 1);
    assert.deepEqual(
      result.records.map((r) => r.Name),
      ['Before expiry']
    );
    assert.notEqual(refreshing.accessToken, emulator.accessToken);
  });
});
