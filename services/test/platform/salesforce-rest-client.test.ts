// The REST client against the org emulator: sObject Collections batching and per-record
// results, IN-list batching, query paging, error mapping, and API-call accounting checked on
// both sides (the client's meter and the org's own counter).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import {
  inClauseQueries,
  isTransientError,
  NOT_SENT,
  REST_URI_AND_HEADERS_LIMIT,
  SalesforceError,
  type SalesforceClients
} from '../../src/platform/salesforce/index.ts';
import { runAsAdministrator, useTestOrg, type TestOrg } from './salesforce-test-org.ts';

interface AccountRow {
  Id: string;
  Name: string;
  AccountNumber?: string | null;
  IsDeleted?: boolean;
}

describe('Salesforce REST client', () => {
  let org: TestOrg;
  let sf: SalesforceClients;

  useTestOrg(async (started) => {
    org = started;
    sf = org.clients();
    // Log in before measuring, so the counts below are the operations' own.
    await sf.tokenProvider.getToken();
  }, runAsAdministrator());

  test('createMany of 450 records takes 3 collection calls and returns ids in input order', async () => {
    const registry = new Registry();
    sf = org.clients({ registry });
    const records = Array.from({ length: 450 }, (_, i) => ({
      Name: `Bulk ${i}`,
      AccountNumber: `N-${i}`
    }));
    const before = await org.orgApiCalls();

    const results = await sf.rest.createMany('Account', records);

    assert.equal(results.length, 450);
    assert.ok(results.every((r) => r.success && r.id && r.errors.length === 0));
    assert.deepEqual(sf.meter.byOperation(), { 'rest.collections.create': 3 });
    assert.equal((await org.orgApiCalls()) - before, 3, 'the org counted 3 API calls');
    // Full requests of 200: 400 more records are exactly 2 calls.
    await sf.rest.createMany('Account', records.slice(0, 400));
    assert.deepEqual(sf.meter.byOperation(), { 'rest.collections.create': 5 });
    // The counter is exported for /metrics too.
    const metric = await registry.getSingleMetricAsString('salesforce_api_calls_total');
    assert.match(metric, /operation="rest.collections.create",outcome="ok"} 5/);

    // Result i belongs to record i.
    const ids = results.map((r) => r.id as string);
    const stored = await sf.rest.queryByIds<AccountRow>('Account', ['Id', 'Name'], ids);
    const nameById = new Map(stored.map((row) => [row.Id, row.Name]));
    ids.forEach((id, i) => assert.equal(nameById.get(id), `Bulk ${i}`));
    assert.equal(stored.length, 450);
  });

  test('allOrNone false: a bad record fails alone, at its own index', async () => {
    const records: Array<Record<string, unknown>> = Array.from({ length: 250 }, (_, i) => ({
      Name: `R${i}`
    }));
    records[3] = { AccountNumber: 'no name' };
    records[210] = { Name: 'Bad field', Not_A_Field__c: 1 };

    const results = await sf.rest.createMany('Account', records, { allOrNone: false });

    assert.equal(results.length, 250);
    assert.equal(results[3]?.success, false);
    assert.equal(results[3]?.errors[0]?.statusCode, 'REQUIRED_FIELD_MISSING');
    assert.deepEqual(results[3]?.errors[0]?.fields, ['Name']);
    assert.equal(results[210]?.success, false);
    assert.equal(results[210]?.errors[0]?.statusCode, 'INVALID_FIELD');
    assert.equal(results.filter((r) => r.success).length, 248);
    assert.equal(await sf.rest.queryCount('SELECT COUNT() FROM Account'), 248);
  });

  test('allOrNone true: one failure rolls its request back and stops the rest', async () => {
    const records: Array<Record<string, unknown>> = Array.from({ length: 450 }, (_, i) => ({
      Name: `R${i}`
    }));
    records[205] = { Name: null };

    const results = await sf.rest.createMany('Account', records, { allOrNone: true });

    // Request 1 (0-199) committed before request 2 failed; request 3 was never sent.
    assert.ok(results.slice(0, 200).every((r) => r.success));
    assert.equal(results[205]?.errors[0]?.statusCode, 'REQUIRED_FIELD_MISSING');
    assert.ok(
      results
        .slice(200, 400)
        .filter((_, i) => i !== 5)
        .every((r) => r.errors[0]?.statusCode === 'ALL_OR_NONE_OPERATION_ROLLED_BACK')
    );
    assert.ok(results.slice(400).every((r) => r.errors[0]?.statusCode === NOT_SENT));
    assert.equal(sf.meter.byOperation()['rest.collections.create'], 2);
    assert.equal(await sf.rest.queryCount('SELECT COUNT() FROM Account'), 200);
  });

  test('restricted picklist and required fields fail per record as Salesforce reports them', async () => {
    const results = await sf.rest.createMany('Integration_Log__c', [
      { Source__c: 'test', Severity__c: 'INFO' },
      { Source__c: 'test', Severity__c: 'LOUD' },
      { Severity__c: 'INFO' }
    ]);
    assert.equal(results[0]?.success, true);
    assert.equal(results[1]?.errors[0]?.statusCode, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    assert.deepEqual(results[1]?.errors[0]?.fields, ['Severity__c']);
    assert.equal(results[2]?.errors[0]?.statusCode, 'REQUIRED_FIELD_MISSING');
  });

  test('updateMany, upsertMany and deleteMany return per-record results in order', async () => {
    const created = await sf.rest.createMany(
      'Account',
      Array.from({ length: 5 }, (_, i) => ({ Name: `U${i}` }))
    );
    const ids = created.map((r) => r.id as string);

    const updated = await sf.rest.updateMany('Account', [
      { Id: ids[0], AccountNumber: 'A0' },
      { Id: ids[1], Name: null },
      { Id: ids[2], AccountNumber: 'A2' }
    ]);
    assert.deepEqual(
      updated.map((r) => r.success),
      [true, false, true]
    );
    assert.equal(updated[1]?.errors[0]?.statusCode, 'REQUIRED_FIELD_MISSING');

    const upserted = await sf.rest.upsertMany('Integration_Log__c', 'Correlation_Id__c', [
      { Correlation_Id__c: 'corr-1', Source__c: 'first' },
      { Correlation_Id__c: 'corr-2', Source__c: 'first' }
    ]);
    assert.deepEqual(
      upserted.map((r) => r.created),
      [true, true]
    );
    const again = await sf.rest.upsertMany('Integration_Log__c', 'Correlation_Id__c', [
      { Correlation_Id__c: 'corr-2', Source__c: 'second' },
      { Correlation_Id__c: 'corr-3', Source__c: 'second' }
    ]);
    assert.deepEqual(
      again.map((r) => [r.success, r.created]),
      [
        [true, false],
        [true, true]
      ]
    );
    assert.equal(again[0]?.id, upserted[1]?.id);

    const deleted = await sf.rest.deleteMany([ids[3] as string, ids[4] as string]);
    assert.deepEqual(
      deleted.map((r) => [r.id, r.success]),
      [
        [ids[3], true],
        [ids[4], true]
      ]
    );
    const twice = await sf.rest.deleteMany([ids[3] as string]);
    assert.equal(twice[0]?.errors[0]?.statusCode, 'ENTITY_IS_DELETED');

    // queryAll sees the deleted ones, query does not.
    const live = await sf.rest.queryRecords<AccountRow>('SELECT Id FROM Account');
    const all = await sf.rest.queryRecords<AccountRow>('SELECT Id, IsDeleted FROM Account', {
      queryAll: true
    });
    assert.equal(live.length, 3);
    assert.equal(all.length, 5);
    assert.equal(all.filter((r) => r.IsDeleted === true).length, 2);
  });

  test('queryByIds with 1,000 ids splits the IN list under the URI limit', async () => {
    const ids = await org.fixtures(
      'Account',
      Array.from({ length: 1000 }, (_, i) => ({ Name: `Q${i}`, AccountNumber: String(i) }))
    );
    const fields = ['Id', 'Name', 'AccountNumber'];
    const expectedQueries = inClauseQueries(ids, {
      prefix: `SELECT ${fields.join(', ')} FROM Account WHERE Id IN (`,
      suffix: ')'
    });
    // Each statement's URL stays well under Salesforce's 16,384-byte URI + headers limit.
    for (const soql of expectedQueries) {
      const url = `/services/data/v65.0/query?${new URLSearchParams({ q: soql })}`;
      assert.ok(url.length < REST_URI_AND_HEADERS_LIMIT - 4096, `URL of ${url.length} bytes`);
    }
    assert.ok(expectedQueries.length >= 2 && expectedQueries.length <= 4);
    const before = await org.orgApiCalls();

    const rows = await sf.rest.queryByIds<AccountRow>('Account', fields, [
      ...ids,
      ids[0] as string
    ]);

    assert.equal(rows.length, 1000, 'every id once (the duplicate asked once)');
    assert.deepEqual(new Set(rows.map((r) => r.Id)), new Set(ids));
    assert.equal(sf.meter.byOperation()['rest.query'], expectedQueries.length);
    assert.equal((await org.orgApiCalls()) - before, expectedQueries.length);
    await assert.rejects(
      sf.rest.queryByIds('Account', ['Id'], ["001' OR Name != '"]),
      /Not a Salesforce id/
    );
  });

  test('query follows nextRecordsUrl over 5,000 records', async () => {
    await org.dataset('Account', 5000, { Name: 'Paged {i}' });

    const seen = new Set<string>();
    for await (const row of sf.rest.query<AccountRow>('SELECT Id, Name FROM Account')) {
      seen.add(row.Name);
    }
    assert.equal(seen.size, 5000);
    assert.ok(seen.has('Paged 0') && seen.has('Paged 4999'));
    // 2,000 per page: the first request and two query-more requests.
    assert.deepEqual(sf.meter.byOperation(), { 'rest.query': 1, 'rest.query.more': 2 });

    const pages = [];
    for await (const page of sf.rest.queryPages('SELECT Id FROM Account', { batchSize: 500 })) {
      pages.push(page.records.length);
      assert.equal(page.totalSize, 5000);
    }
    assert.equal(pages.length, 10);
    assert.ok(pages.every((n) => n === 500));
  });

  test('errors carry Salesforce errorCode, status and fields', async () => {
    await assert.rejects(
      sf.rest.queryRecords('SELECT Id, Nope__c FROM Account'),
      (error: unknown) => {
        assert.ok(error instanceof SalesforceError);
        assert.equal(error.status, 400);
        assert.equal(error.errorCode, 'INVALID_FIELD');
        assert.equal(error.operation, 'rest.query');
        assert.match(error.errors[0]?.message ?? '', /No such column 'Nope__c'/);
        assert.equal(isTransientError(error), false);
        return true;
      }
    );
    await assert.rejects(sf.rest.queryRecords('SELECT Id FROM Nothing__c'), {
      errorCode: 'INVALID_TYPE'
    });
    await assert.rejects(sf.rest.queryRecords('SELEKT Id FROM Account'), {
      errorCode: 'MALFORMED_QUERY'
    });
    await assert.rejects(sf.rest.describe('Nothing__c'), { status: 404, errorCode: 'NOT_FOUND' });
    // Errors count as API calls too: the org counted them.
    assert.equal(sf.meter.total(), 4);
  });

  test('describe and limits', async () => {
    const describe = await sf.rest.describe('Account');
    assert.equal(describe.name, 'Account');
    assert.ok(describe.fields.some((f) => f.name === 'Name'));
    const limits = await sf.rest.limits();
    const daily = limits.DailyApiRequests;
    assert.ok(daily);
    assert.equal(daily.Max - daily.Remaining, await org.orgApiCalls());
    // The Sforce-Limit-Info header of the last answer agrees.
    assert.equal(sf.meter.lastReportedUsage()?.max, daily.Max);
  });
});
