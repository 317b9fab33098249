import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { errorCode, useSecurePay } from './helpers/securepay.ts';

describe('SecurePay simulator: latency, failures, control API', () => {
  const sp = useSecurePay({ timeoutHoldMs: 400 });
  beforeEach(async () => {
    sp.control.reset();
    await sp.accessToken();
  });

  it('adds the configured latency to gateway requests, not to the control API', async () => {
    const set = await sp.request('POST', '/__sim/latency', { body: { ms: 200 } });
    assert.deepEqual(set.body, { ms: 200 });
    let started = Date.now();
    assert.equal((await sp.tokenize({ cardNumber: '4111111111111111' })).status, 201);
    assert.ok(Date.now() - started >= 190, `took ${Date.now() - started} ms`);
    started = Date.now();
    await sp.request('GET', '/__sim/charges');
    assert.ok(Date.now() - started < 150);
    const bad = await sp.request('POST', '/__sim/latency', { body: { ms: -1 } });
    assert.equal(bad.status, 400);
    assert.equal(errorCode(bad), 'invalid_request');
    sp.control.setLatency(0);
    assert.deepEqual((await sp.request('GET', '/__sim/latency')).body, { ms: 0 });
  });

  it('fails the next N payments with 503, charging nothing, then succeeds', async () => {
    const rule = await sp.request('POST', '/__sim/failures', {
      body: { status: 503, count: 2, paths: ['/v2/payments'] }
    });
    assert.equal(rule.status, 201);
    const token = await sp.cardToken('4111111111111111');
    assert.equal(sp.control.requests().injectedFailures, 0, 'tokens are not matched');
    const body = sp.paymentBody(token);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await sp.pay(body, 'same-key');
      statuses.push(response.status);
      if (response.status === 503) {
        assert.equal(errorCode(response), 'service_unavailable');
        assert.equal(sp.control.charges().length, 0, 'no charge while down');
      }
    }
    assert.deepEqual(statuses, [503, 503, 201]);
    assert.equal(sp.control.charges().length, 1);
    const counts = (await sp.request('GET', '/__sim/requests')).body;
    assert.equal(counts.injectedFailures, 2);
    assert.equal(counts.byRoute['POST /v2/payments'], 3);
    assert.equal(counts.byRoute['POST /v2/tokens'], 1);
  });

  it('injects 500s by rate and clears the rules', async () => {
    sp.control.injectFailures({ status: 500, rate: 1 });
    const response = await sp.tokenize({ cardNumber: '4111111111111111' });
    assert.equal(response.status, 500);
    assert.equal(errorCode(response), 'internal_error');
    assert.equal((await sp.request('GET', '/__sim/failures')).body.rules.length, 1);
    assert.deepEqual((await sp.request('DELETE', '/__sim/failures')).body, { rules: [] });
    assert.equal((await sp.tokenize({ cardNumber: '4111111111111111' })).status, 201);
  });

  it("holds a 'timeout' failure past the client's timeout, then answers 504", async () => {
    sp.control.injectFailures({ status: 'timeout', count: 2 });
    await assert.rejects(
      fetch(`${sp.url}/v2/payments/INV-1`, {
        headers: { authorization: `Bearer ${await sp.accessToken()}` },
        signal: AbortSignal.timeout(100)
      })
    );
    const started = Date.now();
    const held = await sp.request('GET', '/v2/payments/INV-1', {
      headers: { authorization: `Bearer ${await sp.accessToken()}` }
    });
    assert.equal(held.status, 504);
    assert.equal(errorCode(held), 'gateway_timeout');
    assert.ok(Date.now() - started >= 350);
  });

  it('a failure after charging: applied (the lookup finds it paid), answered with a 5xx', async () => {
    sp.control.failAfterCharging({ status: 500 });
    const body = sp.paymentBody(await sp.cardToken('4111111111111111'));
    const key = 'after-charge-key-1';
    const failed = await sp.pay(body, key);
    assert.equal(failed.status, 500);
    assert.equal(errorCode(failed), 'internal_error');
    assert.equal(sp.control.charges().length, 1, 'charged');
    const headers = { authorization: `Bearer ${await sp.accessToken()}` };
    const found = await sp.request('GET', `/v2/payments/${String(body.orderId)}`, { headers });
    assert.equal(found.status, 200);
    assert.equal(found.body.status, 'paid');
    // The same key again: the stored payment, no second charge.
    const replay = await sp.pay(body, key);
    assert.equal(replay.status, 201);
    assert.equal(sp.control.charges().length, 1);
    // Over HTTP, with a proxy's 504; DELETE /__sim/failures clears it.
    const set = await sp.request('POST', '/__sim/failures-after-charge', {
      body: { count: 2, status: 504 }
    });
    assert.equal(set.status, 201);
    const proxied = await sp.pay(sp.paymentBody(await sp.cardToken('4111111111111111')));
    assert.equal(proxied.status, 504);
    await sp.request('DELETE', '/__sim/failures');
    const normal = await sp.pay(sp.paymentBody(await sp.cardToken('4111111111111111')));
    assert.equal(normal.status, 201);
    assert.equal(
      (await sp.request('POST', '/__sim/failures-after-charge', { body: { status: 503 } })).status,
      400
    );
  });

  it('refuses invalid failure rules with 400', async () => {
    for (const body of [
      { status: 404 },
      { status: 429 },
      { status: 503, count: 0 },
      { status: 503, rate: 2 },
      []
    ]) {
      const response = await sp.request('POST', '/__sim/failures', { body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(typeof response.body.errors[0].detail, 'string');
    }
  });

  it('reset forgets tokens, payments, rules and counts', async () => {
    const token = await sp.cardToken('4111111111111111');
    await sp.pay(sp.paymentBody(await sp.cardToken('4111111111111111')));
    sp.control.injectFailures({ status: 503, count: 5, paths: ['/oauth'] });
    assert.deepEqual((await sp.request('POST', '/__sim/reset')).body, { reset: true });
    assert.deepEqual((await sp.request('GET', '/__sim/charges')).body, { count: 0, charges: [] });
    assert.equal(sp.control.failures().length, 0);
    assert.equal(sp.control.requests().total, 0);
    const old = await sp.pay(sp.paymentBody(token));
    assert.equal(errorCode(old), 'invalid_token');
    assert.equal(old.status, 400, 'the access token survives a reset');
  });
});
