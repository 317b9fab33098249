// The payments configuration: validated, defaults, the gateway timeout below Apex's callout
// timeout, and the client secret never echoed in an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  APEX_CALLOUT_TIMEOUT_MS,
  PRODUCTION_MIN_NOT_CHARGED_AFTER_MS,
  describePaymentsConfig,
  loadPaymentsConfig
} from '../../src/payments/config.ts';
import { ConfigError } from '../../src/platform/index.ts';

const base = {
  SECUREPAY_BASE_URL: 'http://127.0.0.1:8783/',
  SECUREPAY_CLIENT_ID: 'securepay-sim-client',
  SECUREPAY_CLIENT_SECRET: 'securepay-sim-secret',
  SECUREPAY_MERCHANT_CODE: '5AR0055'
};

test('defaults: 10 s gateway timeout, below the Apex callout timeout', () => {
  const config = loadPaymentsConfig(base);
  assert.equal(config.securePay.baseUrl, 'http://127.0.0.1:8783');
  assert.equal(config.gatewayTimeoutMs, 10_000);
  assert.ok(config.inProgressWaitMs < APEX_CALLOUT_TIMEOUT_MS);
  assert.doesNotMatch(JSON.stringify(describePaymentsConfig(config)), /securepay-sim-secret/);
});

test('a gateway timeout at or above the Apex callout timeout is refused', () => {
  assert.throws(
    () => loadPaymentsConfig({ ...base, PAYMENTS_GATEWAY_TIMEOUT_MS: '20000' }),
    /PAYMENTS_GATEWAY_TIMEOUT_MS: must be at most 18000/
  );
  assert.throws(
    () => loadPaymentsConfig({ ...base, PAYMENTS_GATEWAY_TIMEOUT_MS: 'soon' }),
    ConfigError
  );
});

test('every missing variable is listed; the secret is never echoed', () => {
  const secret = 'super-secret-value-123';
  let message = '';
  try {
    loadPaymentsConfig({ SECUREPAY_CLIENT_SECRET: secret, SECUREPAY_BASE_URL: 'ftp://x' });
  } catch (error) {
    message = (error as Error).message;
  }
  assert.match(message, /SECUREPAY_BASE_URL/);
  assert.match(message, /SECUREPAY_CLIENT_ID: is required/);
  assert.match(message, /SECUREPAY_MERCHANT_CODE/);
  assert.doesNotMatch(message, new RegExp(secret));
});

test('production: a grace period shorter than 5 min is refused at startup; labs and tests may go lower', () => {
  const production = {
    ...base,
    SECUREPAY_BASE_URL: 'https://payments.example.test',
    NODE_ENV: 'production'
  };
  for (const grace of ['1000', '15250', '60000', String(PRODUCTION_MIN_NOT_CHARGED_AFTER_MS - 1)]) {
    assert.throws(
      () => loadPaymentsConfig({ ...production, PAYMENTS_NOT_CHARGED_AFTER_MS: grace }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /PAYMENTS_NOT_CHARGED_AFTER_MS: must be at least 300000 \(5 min\) when NODE_ENV=production/.test(
          error.message
        ),
      grace
    );
  }
  assert.equal(
    loadPaymentsConfig({
      ...production,
      PAYMENTS_NOT_CHARGED_AFTER_MS: String(PRODUCTION_MIN_NOT_CHARGED_AFTER_MS)
    }).notChargedAfterMs,
    PRODUCTION_MIN_NOT_CHARGED_AFTER_MS
  );
  assert.equal(loadPaymentsConfig(production).notChargedAfterMs, 900_000, 'the default passes');
  // Outside production: the gateway timeout + 5 s at least, as before.
  for (const NODE_ENV of ['test', 'development', undefined]) {
    const config = loadPaymentsConfig({
      ...base,
      ...(NODE_ENV ? { NODE_ENV } : {}),
      PAYMENTS_GATEWAY_TIMEOUT_MS: '250',
      PAYMENTS_NOT_CHARGED_AFTER_MS: '1000'
    });
    assert.equal(config.notChargedAfterMs, 5_250, String(NODE_ENV));
  }
});
