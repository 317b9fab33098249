/**
 * sObject Collections through jsforce (`create([...])`, `update`, `upsert`, `destroy`, `retrieve`
 * of arrays all use /composite/sobjects from v42/v46): 200 records per call, allOrNone true and
 * false, the 201-record rejection.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type jsforce from 'jsforce';
import type { TestEmulator } from './helpers/emulator.ts';
import { useJsforceEmulator } from './helpers/jsforce.ts';

let emulator: TestEmulator;
let conn: jsforce.Connection;

type Result = {
  id?: string;
  success: boolean;
  errors: Array<{ statusCode: string; message: string; fields: string[] }>;
  created?: boolean;
};

useJsforceEmulator((started, connection) => {
  emulator = started;
  conn = connection;
});

async function accountCount(): Promise<number> {
  const state = await emulator.driver<{ records: Record<string, number> }>('GET', 'state');
  return state.records.Account ?? 0;
}

function accounts(count: number, name = (i: number) => `Account ${i}`): Array<{ Name: string }> {
  return Array.from({ length: count }, (_, i) => ({ Name: name(i) }));
}

describe('create', () => {
  test('creates 200 records in one call', async () => {
    const before = await emulator.driver<{ total: number }>('GET', 'api-calls');
    const results = (await conn.sobject('Account').create(accounts(200))) as Result[];
    assert.equal(results.length, 200);
    assert.ok(
      results.every((r) => r.success && /^001/.test(String(r.id)) && r.errors.length === 0)
    );
    assert.equal(new Set(results.map((r) => r.id)).size, 200);
    assert.equal(await accountCount(), 200);
    const after = await emulator.driver<{ total: number }>('GET', 'api-calls');
    assert.equal(after.total - before.total, 1, 'the whole collection is one API call');
  });

  test('allOrNone false: each record on its own', async () => {
    const records = [{ Name: 'ok 1' }, { Name: 'bad', Bogus__c: 'x' }, { Name: 'ok 2' }];
    const results = (await conn
      .sobject('Account')
      .create(records, { allOrNone: false })) as Result[];
    assert.deepEqual(
      results.map((r) => r.success),
      [true, false, true]
    );
    assert.equal(results[1]?.errors[0]?.statusCode, 'INVALID_FIELD');
    assert.equal(results[1]?.id, undefined);
    assert.equal(await accountCount(), 2);
  });

  test('allOrNone true: one failure rolls every record back', async () => {
    await conn.sobject('Account').create({ Name: 'already there' });
    const records = [
      ...accounts(150),
      { Name: 'bad', Bogus__c: 'x' },
      ...accounts(49, (i) => `tail ${i}`)
    ];
    const results = (await conn
      .sobject('Account')
      .create(records, { allOrNone: true })) as Result[];
    assert.equal(results.length, 200);
    assert.ok(results.every((r) => !r.success));
    assert.equal(results[150]?.errors[0]?.statusCode, 'INVALID_FIELD');
    assert.deepEqual(results[0]?.errors, [
      {
        statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
        message:
          'Record rolled back because not all records were valid and the request was using AllOrNone header',
        fields: []
      }
    ]);
    assert.equal(await accountCount(), 1, 'only the earlier record remains');
  });

  test('refuses more than 200 records with EXCEEDED_ID_LIMIT', async () => {
    const raw = await emulator.rest('POST', 'composite/sobjects', {
      allOrNone: false,
      records: accounts(201).map((r) => ({ attributes: { type: 'Account' }, ...r }))
    });
    assert.equal(raw.status, 400);
    assert.deepEqual(raw.body, [
      {
        message: 'record limit reached. cannot submit more than 200 records into this call',
        errorCode: 'EXCEEDED_ID_LIMIT'
      }
    ]);
    await assert.rejects(conn.sobject('Account').create(accounts(201)), {
      errorCode: 'EXCEEDED_ID_LIMIT'
    });
    // jsforce splits bigger arrays itself when asked to.
    const split = (await conn
      .sobject('Account')
      .create(accounts(450), { allowRecursive: true })) as Result[];
    assert.equal(split.filter((r) => r.success).length, 450);
    assert.equal(await accountCount(), 450);
  });
});

describe('update, upsert, delete, retrieve', () => {
  test('updates many records, reporting a bad id per record', async () => {
    const created = (await conn.sobject('Account').create(accounts(3))) as Result[];
    const ids = created.map((r) => String(r.id));
    const results = (await conn.sobject('Account').update([
      { Id: ids[0] as string, Name: 'renamed 0' },
      { Id: ids[1] as string, Name: 'renamed 1' },
      { Id: '003000000000000AAA', Name: 'wrong object' }
    ])) as Result[];
    assert.deepEqual(
      results.map((r) => r.success),
      [true, true, false]
    );
    assert.equal(results[2]?.errors[0]?.statusCode, 'MALFORMED_ID');
    const retrieved = (await conn.sobject('Account').retrieve(ids, { fields: ['Name'] })) as Array<
      Record<string, unknown>
    >;
    assert.deepEqual(
      retrieved.map((r) => r.Name),
      ['renamed 0', 'renamed 1', 'Account 2']
    );
    const viaGet = await emulator.rest(
      'GET',
      `composite/sobjects/Account?ids=${ids.join(',')},001000000000000AAA&fields=Name`
    );
    assert.equal((viaGet.body as unknown[]).length, 4);
    assert.equal((viaGet.body as unknown[])[3], null);
  });

  test('upserts a collection on an external id', async () => {
    const first = (await conn.sobject('Integration_Log__c').upsert(
      [
        { Reference__c: 'R-1', Source__c: 'sync' },
        { Reference__c: 'R-2', Source__c: 'sync' }
      ],
      'Reference__c'
    )) as Result[];
    assert.deepEqual(
      first.map((r) => r.created),
      [true, true]
    );
    const second = (await conn.sobject('Integration_Log__c').upsert(
      [
        { Reference__c: 'R-2', Source__c: 'again' },
        { Reference__c: 'R-3', Source__c: 'sync' }
      ],
      'Reference__c'
    )) as Result[];
    assert.deepEqual(
      second.map((r) => r.created),
      [false, true]
    );
    assert.equal(second[0]?.id, first[1]?.id);
  });

  test('deletes many records; a deleted one reports ENTITY_IS_DELETED with its id', async () => {
    const created = (await conn.sobject('Account').create(accounts(3))) as Result[];
    const ids = created.map((r) => String(r.id));
    await conn.sobject('Account').destroy(ids[0] as string);
    const results = (await conn.sobject('Account').destroy(ids)) as Result[];
    assert.deepEqual(
      results.map((r) => r.success),
      [false, true, true]
    );
    assert.equal(results[0]?.id, ids[0]);
    assert.equal(results[0]?.errors[0]?.statusCode, 'ENTITY_IS_DELETED');
    assert.equal(await accountCount(), 0);
  });

  test('allOrNone delete rolls back', async () => {
    const created = (await conn.sobject('Account').create(accounts(2))) as Result[];
    const ids = created.map((r) => String(r.id));
    const results = (await conn
      .sobject('Account')
      .destroy([...ids, 'bogus'], { allOrNone: true })) as Result[];
    assert.ok(results.every((r) => !r.success));
    assert.equal(results[2]?.errors[0]?.statusCode, 'MALFORMED_ID');
    assert.equal(await accountCount(), 2);
  });
});
