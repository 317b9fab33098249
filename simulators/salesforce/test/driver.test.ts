/**
 * The test driver under /__emulator/: reset, fixtures with audit fields, generated datasets,
 * clock (which expires tokens), API-call counter, token expiry, state, and the optional secret.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type jsforce from 'jsforce';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';
import { jsforceConnection, useJsforceEmulator } from './helpers/jsforce.ts';

let emulator: TestEmulator;

useJsforceEmulator((started) => {
  emulator = started;
});

function connect(): jsforce.Connection {
  return jsforceConnection(emulator);
}

describe('fixtures and datasets', () => {
  test('loads fixtures with audit fields, all or none', async () => {
    const loaded = await emulator.driver<{ ids: string[] }>('POST', 'records/Account', [
      {
        Name: 'Old Co',
        CreatedDate: '2020-01-02T03:04:05.000+0000',
        LastModifiedDate: '2021-01-01T00:00:00.000+0000'
      },
      { Name: 'New Co' }
    ]);
    assert.equal(loaded.ids.length, 2);
    const result = await connect().query<{
      Name: string;
      CreatedDate: string;
      LastModifiedDate: string;
    }>(
      'SELECT Name, CreatedDate, LastModifiedDate FROM Account WHERE CreatedDate < 2021-01-01T00:00:00Z'
    );
    assert.deepEqual(
      result.records.map((r) => [r.Name, r.CreatedDate]),
      [['Old Co', '2020-01-02T03:04:05.000+0000']]
    );

    const refused = await fetch(`${emulator.instanceUrl}/__emulator/records/Integration_Log__c`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ Source__c: 'ok' }, { Source__c: 'x', Severity__c: 'NOPE' }])
    });
    assert.equal(refused.status, 400);
    const body = (await refused.json()) as { index: number; errors: Array<{ statusCode: string }> };
    assert.equal(body.index, 1);
    assert.equal(body.errors[0]?.statusCode, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    const state = await emulator.driver<{ records: Record<string, number> }>('GET', 'state');
    assert.equal(state.records.Integration_Log__c, undefined, 'the good record was rolled back');
  });

  test('registers a generated dataset from a template', async () => {
    const response = await emulator.driver<{ count: number; total: number }>(
      'POST',
      'datasets/Account',
      {
        count: 100_000,
        template: { Name: 'Bulk {i}', AccountNumber: 'A-{i}', NumberOfEmployees: 7 }
      }
    );
    assert.equal(response.total, 100_000);
    const conn = connect();
    const page = await conn.query<{ Name: string; NumberOfEmployees: number }>(
      "SELECT Name, NumberOfEmployees FROM Account WHERE AccountNumber = 'A-99999'"
    );
    assert.deepEqual(
      page.records.map((r) => [r.Name, r.NumberOfEmployees]),
      [['Bulk 99999', 7]]
    );
    await assert.rejects(
      emulator.driver('POST', 'datasets/Account', { count: 5, template: { Nope__c: 'x' } }),
      /INVALID_FIELD/
    );
    await assert.rejects(
      emulator.driver('POST', 'datasets/Account', { count: -1, template: {} }),
      /400/
    );
    const state = await emulator.driver<{ records: Record<string, number> }>('GET', 'state');
    assert.equal(state.records.Account, 100_000);
  });
});

describe('dataset stamps and faults', () => {
  test('spreads a dataset over the last days, from/to or refuses bad spreads', async () => {
    await emulator.driver('POST', 'datasets/Account', {
      count: 11,
      template: { Name: 'Spread {i}' },
      modstamps: { from: '2026-01-01T00:00:00Z', to: '2026-01-11T00:00:00Z' }
    });
    const page = await connect().query<{ Name: string; SystemModstamp: string }>(
      "SELECT Name, SystemModstamp FROM Account WHERE SystemModstamp >= 2026-01-06T00:00:00Z AND Name LIKE 'Spread%'"
    );
    assert.deepEqual(
      page.records.map((r) => [r.Name, r.SystemModstamp]),
      [5, 6, 7, 8, 9, 10].map((i) => [
        `Spread ${i}`,
        `2026-01-${String(1 + i).padStart(2, '0')}T00:00:00.000+0000`
      ])
    );
    await emulator.driver('POST', 'datasets/Account', {
      count: 3,
      template: { Name: 'Recent {i}' },
      modstamps: { lastDays: 1 }
    });
    const recent = await connect().query(
      "SELECT Id FROM Account WHERE SystemModstamp = LAST_N_DAYS:2 AND Name LIKE 'Recent%'"
    );
    assert.equal(recent.totalSize, 3);
    for (const modstamps of [{ from: 'x', to: 'y' }, { lastDays: -1 }, 'soon']) {
      await assert.rejects(
        emulator.driver('POST', 'datasets/Account', { count: 1, template: {}, modstamps }),
        /400/
      );
    }
  });

  test('arms, lists and disarms bulk faults; refuses bad ones', async () => {
    await emulator.driver('DELETE', 'faults');
    const armed = await emulator.driver<{ bulkQuery: unknown[]; bulkResults: unknown[] }>(
      'POST',
      'faults/bulk-query',
      { object: 'Account', count: 2 }
    );
    assert.deepEqual(armed.bulkQuery, [
      {
        object: 'Account',
        state: 'Failed',
        message: 'Retried more than fifteen times',
        remaining: 2
      }
    ]);
    await emulator.driver('POST', 'faults/bulk-results', { dropAfterBytes: 10 });
    const listed = await emulator.driver<{ bulkResults: unknown[] }>('GET', 'faults');
    assert.deepEqual(listed.bulkResults, [{ kind: 'drop', afterBytes: 10, remaining: 1 }]);
    for (const [path, body] of [
      ['faults/bulk-query', { object: 'Nope__c' }],
      ['faults/bulk-query', { state: 'JobComplete' }],
      ['faults/bulk-query', { count: 0 }],
      ['faults/bulk-results', { status: 404 }],
      ['faults/bulk-results', { dropAfterBytes: -1 }]
    ] as const) {
      await assert.rejects(emulator.driver('POST', path, body), /40\d/);
    }
    await emulator.driver('POST', 'reset');
    assert.deepEqual(await emulator.driver('GET', 'faults'), { bulkQuery: [], bulkResults: [] });
  });
});

describe('clock, sessions, counters', () => {
  test('advancing the clock past the token lifetime expires tokens', async () => {
    const conn = connect();
    await conn.query('SELECT Id FROM Account');
    const before = await emulator.driver<{ now: string }>('GET', 'clock');
    const advanced = await emulator.driver<{ now: string }>('POST', 'clock/advance', {
      ms: 3 * 60 * 60 * 1000
    });
    assert.ok(Date.parse(advanced.now) - Date.parse(before.now) >= 3 * 60 * 60 * 1000);
    await assert.rejects(async () => conn.query('SELECT Id FROM Account'), {
      errorCode: 'INVALID_SESSION_ID'
    });
  });

  test('sessions/expire invalidates every token', async () => {
    const conn = connect();
    await emulator.driver('POST', 'sessions/expire');
    await assert.rejects(async () => conn.query('SELECT Id FROM Account'), {
      errorCode: 'INVALID_SESSION_ID'
    });
  });

  test('reads and resets the API-call counter; driver calls are free', async () => {
    await emulator.driver('POST', 'api-calls/reset');
    const conn = connect();
    await conn.limits();
    await conn.query('SELECT Id FROM Account');
    await emulator.driver('GET', 'state');
    const calls = await emulator.driver<{
      total: number;
      byKind: Record<string, number>;
      dailyMax: number;
    }>('GET', 'api-calls');
    assert.equal(calls.total, 2);
    assert.equal(calls.byKind.rest, 2);
    assert.ok(calls.dailyMax > 0);
    await emulator.driver('POST', 'api-calls/reset');
    assert.equal((await emulator.driver<{ total: number }>('GET', 'api-calls')).total, 0);
  });

  test('reset empties the org', async () => {
    await connect().sobject('Account').create({ Name: 'Gone after reset' });
    await emulator.driver('POST', 'reset');
    const state = await emulator.driver<{ records: Record<string, number> }>('GET', 'state');
    assert.equal(state.records.Account, undefined);
  });
});

test('a driver secret guards the driver routes', async () => {
  const guarded = await startTestEmulator({ driverSecret: 's3cret' });
  try {
    const without = await fetch(`${guarded.instanceUrl}/__emulator/state`);
    assert.equal(without.status, 401);
    const state = await guarded.driver<{ organizationId: string }>('GET', 'state');
    assert.equal(state.organizationId, guarded.organizationId);
  } finally {
    await guarded.close();
  }
});
