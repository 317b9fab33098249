// The account-sync configuration: defaults, every problem listed at once, the SAP password never
// echoed in an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAccountSyncConfig } from '../../src/account-sync/config.ts';
import { ConfigError } from '../../src/platform/index.ts';

const base = {
  SAP_BASE_URL: 'http://127.0.0.1:8782/',
  SAP_USERNAME: 'ESB_SYNC',
  SAP_PASSWORD: 'sap-simulator-secret'
};

test('defaults: batches of 1,000, 32 SAP requests in flight, 6 retries from 5 s', () => {
  const config = loadAccountSyncConfig(base);
  assert.equal(config.sap.baseUrl, 'http://127.0.0.1:8782', 'trailing slash dropped');
  assert.equal(config.sap.timeoutMs, 30_000);
  assert.equal(config.sap.concurrency, 32);
  assert.equal(config.batchSize, 1000);
  assert.equal(config.maxWaitMs, 200);
  assert.deepEqual(config.retry, { limit: 6, delaySeconds: 5 });
});

test('every invalid variable in one error, without the password', () => {
  const error = (() => {
    try {
      loadAccountSyncConfig({
        SAP_BASE_URL: 'not a url',
        SAP_USERNAME: '',
        SAP_PASSWORD: 'p4ssw0rd-never-shown',
        SAP_CONCURRENCY: '0',
        ACCOUNT_SYNC_BATCH_SIZE: 'many'
      });
    } catch (caught) {
      return caught;
    }
    return undefined;
  })();
  assert.ok(error instanceof ConfigError);
  assert.match(error.message, /Invalid account-sync configuration \(4 problems\)/);
  for (const name of ['SAP_BASE_URL', 'SAP_USERNAME', 'SAP_CONCURRENCY', 'ACCOUNT_SYNC_BATCH_SIZE'])
    assert.match(error.message, new RegExp(name));
  assert.doesNotMatch(error.message, /p4ssw0rd/);
});
