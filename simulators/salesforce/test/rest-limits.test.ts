/**
 * API-call accounting as an org does it, observed through `/limits` (jsforce `conn.limits()`),
 * the `Sforce-Limit-Info` header and the test driver.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import jsforce from 'jsforce';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';

let emulator: TestEmulator;

before(async () => {
  emulator = await startTestEmulator({ config: { dailyApiMax: 50 } });
});

after(async () => {
  await emulator.close();
});

test('every authenticated request counts; /limits reports it', async () => {
  await emulator.driver('POST', 'api-calls/reset');
  const conn = new jsforce.Connection({
    instanceUrl: emulator.instanceUrl,
    accessToken: emulator.accessToken,
    version: '65.0'
  });
  await conn.sobject('Account').create({ Name: 'Counted' });
  await conn.query('SELECT Id FROM Account');
  await conn.sobject('Account').describe();
  const limits = (await conn.limits()) as Record<string, { Max: number; Remaining: number }>;
  assert.deepEqual(
    limits.DailyApiRequests,
    { Max: 50, Remaining: 46 },
    '4 calls, this one included'
  );
  assert.ok(
    limits.DailyBulkV2QueryJobs && limits.DataStorageMB && limits.HourlyPublishedPlatformEvents
  );

  const calls = await emulator.driver<{ total: number; byKind: Record<string, number> }>(
    'GET',
    'api-calls'
  );
  assert.equal(calls.total, 4);
  assert.equal(calls.byKind.rest, 4);

  // OAuth, the version list and the driver are not API calls.
  await fetch(`${emulator.instanceUrl}/services/data`);
  await fetch(`${emulator.instanceUrl}/services/oauth2/userinfo`, {
    headers: { authorization: `Bearer ${emulator.accessToken}` }
  });
  const response = await emulator.rest('GET', 'limits');
  assert.equal(response.headers.get('sforce-limit-info'), 'api-usage=5/50');
});

test('an org over its daily allocation refuses calls with REQUEST_LIMIT_EXCEEDED', async () => {
  await emulator.driver('POST', 'api-calls/reset');
  for (let i = 0; i < 50; i++) assert.equal((await emulator.rest('GET', 'limits')).status, 200);
  const refused = await emulator.rest('GET', 'limits');
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.body, [
    { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }
  ]);
  await emulator.driver('POST', 'api-calls/reset');
  assert.equal((await emulator.rest('GET', 'limits')).status, 200);
});
