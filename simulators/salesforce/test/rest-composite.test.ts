/**
 * Composite: subrequests chained by `@{referenceId...}`, allOrNone rollback with
 * PROCESSING_HALTED, the 25-subrequest limit, one API call for the whole request; and
 * composite/batch.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type jsforce from 'jsforce';
import type { TestEmulator } from './helpers/emulator.ts';
import { useJsforceEmulator } from './helpers/jsforce.ts';

let emulator: TestEmulator;
let conn: jsforce.Connection;

type SubResult = {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
};

useJsforceEmulator((started, connection) => {
  emulator = started;
  conn = connection;
});

const base = '/services/data/v65.0';

async function composite(body: unknown): Promise<SubResult[]> {
  const response = (await conn.requestPost('/composite', body as object)) as {
    compositeResponse: SubResult[];
  };
  return response.compositeResponse;
}

describe('composite', () => {
  test('chains subrequests through references, as one API call', async () => {
    const before = await emulator.driver<{ total: number }>('GET', 'api-calls');
    const results = await composite({
      allOrNone: false,
      compositeRequest: [
        {
          method: 'POST',
          url: `${base}/sobjects/Account`,
          referenceId: 'acct',
          body: { Name: 'Composite Co' }
        },
        {
          method: 'POST',
          url: `${base}/sobjects/Contact`,
          referenceId: 'contact',
          body: { LastName: 'Lovelace', AccountId: '@{acct.id}' }
        },
        {
          method: 'GET',
          url: `${base}/query?q=SELECT+Id,LastName,Account.Name+FROM+Contact+WHERE+AccountId='@{acct.id}'`,
          referenceId: 'found'
        },
        {
          method: 'GET',
          url: `${base}/sobjects/Contact/@{found.records[0].Id}?fields=LastName`,
          referenceId: 'again'
        }
      ]
    });
    const after = await emulator.driver<{ total: number }>('GET', 'api-calls');
    assert.equal(after.total - before.total, 1);
    assert.deepEqual(
      results.map((r) => [r.referenceId, r.httpStatusCode]),
      [
        ['acct', 201],
        ['contact', 201],
        ['found', 200],
        ['again', 200]
      ]
    );
    const accountId = (results[0]?.body as { id: string }).id;
    assert.equal(results[0]?.httpHeaders.Location, `${base}/sobjects/Account/${accountId}`);
    const found = results[2]?.body as {
      totalSize: number;
      records: Array<{ Account: { Name: string } }>;
    };
    assert.equal(found.totalSize, 1);
    assert.equal(found.records[0]?.Account.Name, 'Composite Co');
    assert.equal((results[3]?.body as { LastName: string }).LastName, 'Lovelace');
  });

  test('allOrNone rolls everything back and halts the other subrequests', async () => {
    const results = await composite({
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: `${base}/sobjects/Account`,
          referenceId: 'good',
          body: { Name: 'Rolled Back' }
        },
        {
          method: 'POST',
          url: `${base}/sobjects/Account`,
          referenceId: 'bad',
          body: { Name: 'x', Bogus__c: 1 }
        },
        {
          method: 'POST',
          url: `${base}/sobjects/Account`,
          referenceId: 'never',
          body: { Name: 'Never' }
        }
      ]
    });
    assert.deepEqual(
      results.map((r) => r.httpStatusCode),
      [400, 400, 400]
    );
    const halted = [
      {
        errorCode: 'PROCESSING_HALTED',
        message:
          'The transaction was rolled back since another operation in the same transaction failed.'
      }
    ];
    assert.deepEqual(results[0]?.body, halted);
    assert.equal((results[1]?.body as Array<{ errorCode: string }>)[0]?.errorCode, 'INVALID_FIELD');
    assert.deepEqual(results[2]?.body, halted);
    const count = await conn.sobject('Account').count();
    assert.equal(count, 0);
  });

  test('without allOrNone a failure only breaks what references it', async () => {
    const results = await composite({
      compositeRequest: [
        {
          method: 'POST',
          url: `${base}/sobjects/Account`,
          referenceId: 'bad',
          body: { Bogus__c: 1 }
        },
        {
          method: 'POST',
          url: `${base}/sobjects/Contact`,
          referenceId: 'dependent',
          body: { LastName: 'x', AccountId: '@{bad.id}' }
        },
        {
          method: 'POST',
          url: `${base}/sobjects/Account`,
          referenceId: 'independent',
          body: { Name: 'Stays' }
        }
      ]
    });
    assert.deepEqual(
      results.map((r) => r.httpStatusCode),
      [400, 400, 201]
    );
    assert.equal(
      (results[1]?.body as Array<{ errorCode: string }>)[0]?.errorCode,
      'PROCESSING_HALTED'
    );
    assert.equal(await conn.sobject('Account').count(), 1);
  });

  test('refuses more than 25 subrequests', async () => {
    const compositeRequest = Array.from({ length: 26 }, (_, i) => ({
      method: 'GET',
      url: `${base}/limits`,
      referenceId: `r${i}`
    }));
    const response = await emulator.rest('POST', 'composite', { compositeRequest });
    assert.equal(response.status, 400);
  });

  test('composite/batch runs independent subrequests', async () => {
    const response = await emulator.rest('POST', 'composite/batch', {
      batchRequests: [
        { method: 'POST', url: 'v65.0/sobjects/Account', richInput: { Name: 'Batch Co' } },
        { method: 'GET', url: 'v65.0/sobjects/Account/001000000000000AAA' }
      ]
    });
    assert.equal(response.status, 200);
    const body = response.body as { hasErrors: boolean; results: Array<{ statusCode: number }> };
    assert.equal(body.hasErrors, true);
    assert.deepEqual(
      body.results.map((r) => r.statusCode),
      [201, 404]
    );
  });
});
