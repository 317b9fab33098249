/**
 * SOQL over REST with jsforce: paging through nextRecordsUrl (autoFetch across 5,000 records and
 * queryMore by hand), batch sizes, queryAll, COUNT(), parent fields, cursors that resume the
 * running query instead of re-running it, and the query error codes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type jsforce from 'jsforce';
import type { PreparedQuery } from '../src/model.ts';
import type { TestEmulator } from './helpers/emulator.ts';
import { useJsforceEmulator } from './helpers/jsforce.ts';

let emulator: TestEmulator;
let conn: jsforce.Connection;

type Page = {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Array<Record<string, unknown>>;
};

useJsforceEmulator((started, connection) => {
  emulator = started;
  conn = connection;
});

async function generateAccounts(count: number): Promise<void> {
  await emulator.driver('POST', 'datasets/Account', {
    count,
    template: { Name: 'Generated {i}', AccountNumber: 'N-{i}' }
  });
}

describe('paging', () => {
  test('jsforce autoFetch follows nextRecordsUrl across 5,000 records, one API call per page', async () => {
    await generateAccounts(5000);
    const before = await emulator.driver<{ total: number }>('GET', 'api-calls');
    const records: Array<Record<string, unknown>> = [];
    const result = await conn
      .query<{ Id: string; Name: string }>('SELECT Id, Name FROM Account')
      .on('record', (record: Record<string, unknown>) => records.push(record))
      .run({ autoFetch: true, maxFetch: 10_000 });
    assert.equal(result.totalSize, 5000);
    assert.equal(result.done, true);
    assert.equal(records.length, 5000);
    assert.equal(new Set(records.map((r) => r.Id)).size, 5000);
    assert.equal(records[0]?.Name, 'Generated 0');
    assert.equal(records[4999]?.Name, 'Generated 4999');
    const after = await emulator.driver<{ total: number }>('GET', 'api-calls');
    assert.equal(after.total - before.total, 3, '2000 + 2000 + 1000');
  });

  test('queryMore walks the pages by hand', async () => {
    await generateAccounts(4500);
    const first = (await conn.query('SELECT Id FROM Account', {
      autoFetch: false
    })) as unknown as Page;
    assert.equal(first.totalSize, 4500);
    assert.equal(first.done, false);
    assert.equal(first.records.length, 2000);
    // jsforce makes the URL absolute; the wire format is checked below.
    assert.match(
      String(first.nextRecordsUrl),
      /\/services\/data\/v65\.0\/query\/01g[a-zA-Z0-9]{15}-2000$/
    );
    const second = (await conn.queryMore(String(first.nextRecordsUrl))) as unknown as Page;
    assert.equal(second.records.length, 2000);
    assert.match(String(second.nextRecordsUrl), /-4000$/);
    const third = (await conn.queryMore(String(second.nextRecordsUrl))) as unknown as Page;
    assert.equal(third.records.length, 500);
    assert.equal(third.done, true);
    assert.equal(third.nextRecordsUrl, undefined);
    assert.equal(third.totalSize, 4500);
    const raw = await emulator.rest('GET', 'query?q=SELECT+Id+FROM+Account');
    assert.match(
      String((raw.body as Page).nextRecordsUrl),
      /^\/services\/data\/v65\.0\/query\/01g[a-zA-Z0-9]{15}-2000$/
    );
    // A finished cursor is released: its locator no longer works.
    const stale = await emulator.rest('GET', new URL(String(second.nextRecordsUrl)).pathname);
    assert.equal(stale.status, 400);
    assert.deepEqual(stale.body, [
      { message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }
    ]);
  });

  test('honours Sforce-Query-Options batchSize within 200..2000', async () => {
    await generateAccounts(1000);
    const page = await emulator.rest('GET', 'query?q=SELECT+Id+FROM+Account', undefined, {
      'Sforce-Query-Options': 'batchSize=300'
    });
    assert.equal((page.body as Page).records.length, 300);
    const next = await emulator.rest('GET', String((page.body as Page).nextRecordsUrl), undefined, {
      'Sforce-Query-Options': 'batchSize=300'
    });
    assert.equal((next.body as Page).records.length, 300);
    const tiny = await emulator.rest('GET', 'query?q=SELECT+Id+FROM+Account', undefined, {
      'Sforce-Query-Options': 'batchSize=10'
    });
    assert.equal((tiny.body as Page).records.length, 200);
  });

  test('next pages resume the running query instead of running it again', async () => {
    await generateAccounts(5000);
    const soql = emulator.ctx.soql;
    const prepare = soql.prepare.bind(soql);
    let runs = 0;
    soql.prepare = (text: string): PreparedQuery => {
      const query = prepare(text);
      const run = query.run.bind(query);
      return Object.assign(Object.create(query) as PreparedQuery, {
        run: (options?: Parameters<PreparedQuery['run']>[0]) => {
          runs++;
          return run(options);
        }
      });
    };
    try {
      const result = await conn.query('SELECT Id FROM Account', {
        autoFetch: true,
        maxFetch: 10_000
      });
      assert.equal(result.records.length, 5000);
      assert.equal(runs, 1);
    } finally {
      soql.prepare = prepare;
    }
  });
});

describe('query features', () => {
  test('queryAll includes deleted records, query does not', async () => {
    const created = await conn.sobject('Account').create([{ Name: 'kept' }, { Name: 'deleted' }]);
    await conn.sobject('Account').destroy(String((created[1] as { id: string }).id));
    const live = await conn.query<{ Name: string }>('SELECT Name FROM Account');
    assert.deepEqual(
      live.records.map((r) => r.Name),
      ['kept']
    );
    const all = await conn.query<{ Name: string; IsDeleted: boolean }>(
      'SELECT Name, IsDeleted FROM Account',
      {
        scanAll: true
      }
    );
    assert.deepEqual(all.records.map((r) => [r.Name, r.IsDeleted]).sort(), [
      ['deleted', true],
      ['kept', false]
    ]);
  });

  test('COUNT() answers totalSize only', async () => {
    await generateAccounts(42);
    const raw = await emulator.rest('GET', 'query?q=SELECT+COUNT()+FROM+Account');
    assert.deepEqual(raw.body, { totalSize: 42, done: true, records: [] });
    const count = await conn.sobject('Account').count();
    assert.equal(count, 42);
  });

  test('parent relationship fields come back as nested records', async () => {
    const account = await conn.sobject('Account').create({ Name: 'Parent Co' });
    await conn.sobject('Contact').create({ LastName: 'Child', AccountId: String(account.id) });
    await conn.sobject('Contact').create({ LastName: 'Orphan' });
    const result = await conn.query<Record<string, unknown>>(
      "SELECT LastName, Account.Name FROM Contact WHERE LastName IN ('Child', 'Orphan') ORDER BY LastName"
    );
    const [child, orphan] = result.records;
    assert.equal((child?.Account as Record<string, unknown>).Name, 'Parent Co');
    assert.deepEqual((child?.Account as Record<string, unknown>).attributes, {
      type: 'Account',
      url: `/services/data/v65.0/sobjects/Account/${account.id}`
    });
    assert.equal(orphan?.Account, null);
  });

  test('record URLs name the version the client called', async () => {
    await conn.sobject('Account').create({ Name: 'Versioned' });
    const page = await emulator.rest('GET', '/services/data/v58.0/query?q=SELECT+Id+FROM+Account');
    const [record] = (page.body as Page).records;
    assert.match(
      String((record?.attributes as { url: string }).url),
      /^\/services\/data\/v58\.0\/sobjects\/Account\//
    );
  });

  test('bad queries fail with MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE', async () => {
    await assert.rejects(async () => conn.query('SELEKT Id FROM Account'), {
      errorCode: 'MALFORMED_QUERY'
    });
    await assert.rejects(async () => conn.query('SELECT Nope__c FROM Account'), {
      errorCode: 'INVALID_FIELD'
    });
    await assert.rejects(async () => conn.query('SELECT Id FROM Nope__c'), {
      errorCode: 'INVALID_TYPE'
    });
    const missing = await emulator.rest('GET', 'query');
    assert.equal(missing.status, 400);
    assert.equal((missing.body as Array<{ errorCode: string }>)[0]?.errorCode, 'MALFORMED_QUERY');
  });
});
