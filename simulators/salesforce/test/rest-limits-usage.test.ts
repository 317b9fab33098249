/**
 * `/limits` as an Enterprise Edition org reports it, read through jsforce `conn.limits()`: the
 * base allocations, and the entries API use consumes moving as it is consumed (API requests,
 * Bulk API 2.0 query jobs, ingest batches, data and file storage).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type jsforce from 'jsforce';
import type { TestEmulator } from './helpers/emulator.ts';
import { useJsforceEmulator } from './helpers/jsforce.ts';

type Limits = Record<string, { Max: number; Remaining: number }>;

let emulator: TestEmulator;
let conn: jsforce.Connection;
useJsforceEmulator(async (started, connection) => {
  emulator = started;
  conn = connection;
  await emulator.driver('POST', 'api-calls/reset');
});

test('an Enterprise Edition org: its edition and base allocations', async () => {
  const org = await conn.query<{ OrganizationType: string }>(
    'SELECT OrganizationType FROM Organization'
  );
  assert.equal(org.records[0]?.OrganizationType, 'Enterprise Edition');
  const limits = (await conn.limits()) as Limits;
  assert.equal(limits.DailyApiRequests?.Max, 100_000);
  assert.deepEqual(limits.DataStorageMB, { Max: 10_240, Remaining: 10_240 });
  assert.deepEqual(limits.FileStorageMB, { Max: 10_240, Remaining: 10_240 });
  assert.deepEqual(limits.DailyBulkV2QueryJobs, { Max: 10_000, Remaining: 10_000 });
  assert.deepEqual(limits.DailyBulkApiBatches, { Max: 15_000, Remaining: 15_000 });
});

test('API requests, Bulk jobs and batches, data and file storage are consumed', async () => {
  const before = (await conn.limits()) as Limits;

  // 600 records of 2 KB: 2 MB of data storage (rounded up), one ingest batch.
  conn.bulk2.pollInterval = 50;
  const csv = ['Name', ...Array.from({ length: 600 }, (_, i) => `Stored ${i}`)].join('\n');
  const loaded = await conn.bulk2.loadAndWaitForResults({
    object: 'Account',
    operation: 'insert',
    input: csv
  });
  assert.equal(loaded.successfulResults.length, 600);
  const rows = await conn.bulk2.query('SELECT Id FROM Account').then((stream) => stream.toArray());
  assert.equal(rows.length, 600);
  // A 3 MB file.
  await conn.sobject('ContentVersion').create({
    Title: 'Scan',
    PathOnClient: 'scan.bin',
    VersionData: Buffer.alloc(3 * 1024 * 1024, 7).toString('base64')
  });

  const after = (await conn.limits()) as Limits;
  const used = (name: string) => (before[name]?.Remaining ?? 0) - (after[name]?.Remaining ?? 0);
  assert.ok(used('DailyApiRequests') > 5, `API requests used: ${used('DailyApiRequests')}`);
  assert.equal(used('DailyBulkV2QueryJobs'), 1);
  assert.equal(used('DailyBulkApiBatches'), 1);
  assert.equal(used('DataStorageMB'), 2);
  assert.equal(used('FileStorageMB'), 3);
});
