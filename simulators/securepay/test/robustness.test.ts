import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { errorCode, FUTURE_YEAR, useSecurePay, type HttpResult } from './helpers/securepay.ts';

/** Deterministic generator of bad bodies: broken JSON, wrong types, missing and odd fields. */
function malformedBodies(validBody: Record<string, unknown>, count: number): string[] {
  const oddValues: unknown[] = [null, true, -1, 0, 1.5, '', 'x'.repeat(300), [], {}, [1, 2], 1e308];
  const broken = [
    '{',
    '}',
    '{"a":',
    '[1,2',
    'not json',
    '{"amount": 10,}',
    "{'a':1}",
    'nul',
    '"str"',
    '42',
    'null',
    '[]',
    '\u0000'
  ];
  const bodies: string[] = [...broken];
  const keys = Object.keys(validBody);
  let i = 0;
  while (bodies.length < count) {
    const key = keys[i % keys.length] ?? 'amount';
    const value = oddValues[Math.floor(i / keys.length) % oddValues.length];
    const body: Record<string, unknown> = { ...validBody, [key]: value };
    if (i % 7 === 0) delete body[key];
    bodies.push(i % 11 === 0 ? JSON.stringify(body).slice(0, -3) : JSON.stringify(body));
    i++;
  }
  return bodies;
}

function assertClearError(response: HttpResult, label: string): void {
  assert.ok(response.status >= 400 && response.status < 500, `${label}: ${response.status}`);
  assert.ok(Array.isArray(response.body?.errors), label);
  assert.equal(typeof response.body.errors[0].code, 'string', label);
  assert.ok(String(response.body.errors[0].detail).length > 3, label);
}

describe('SecurePay simulator: malformed input', () => {
  const sp = useSecurePay();

  it('answers broken JSON with 400 invalid_json and no echo of the body', async () => {
    const response = await sp.request('POST', '/v2/tokens', {
      body: '{"cardNumber":"4111111111111111","cvv":"847",',
      headers: { 'x-merchant-code': sp.merchantCode }
    });
    assert.equal(response.status, 400);
    assert.equal(errorCode(response), 'invalid_json');
    assert.ok(!JSON.stringify(response.body).includes('4111111111111111'));
  });

  it('answers hundreds of generated bad payment and token bodies with a clear 4xx', async () => {
    const bearer = `Bearer ${await sp.accessToken()}`;
    const token = await sp.cardToken('4111111111111111');
    const payment = sp.paymentBody(token);
    const paymentBodies = malformedBodies(payment, 250);
    for (const [index, body] of paymentBodies.entries()) {
      const response = await sp.request('POST', '/v2/payments', {
        body,
        headers: { authorization: bearer, 'idempotency-key': `bad-${index}` }
      });
      if (response.status === 201) continue; // e.g. `ip` removed: still a valid payment
      assertClearError(response, body);
    }
    const card = {
      cardNumber: '4111111111111111',
      expiryMonth: 12,
      expiryYear: FUTURE_YEAR,
      cvv: '847'
    };
    for (const body of malformedBodies(card, 150)) {
      const response = await sp.request('POST', '/v2/tokens', {
        body,
        headers: { 'x-merchant-code': sp.merchantCode }
      });
      if (response.status === 201) continue;
      assertClearError(response, body);
      assert.ok(!JSON.stringify(response.body).includes('4111111111111111'));
    }
    const up = await sp.request('GET', '/__sim/requests');
    assert.equal(up.status, 200, 'the server is still up');
  });

  it('answers wrong types with 400 and the field', async () => {
    const body = sp.paymentBody(await sp.cardToken('4111111111111111'));
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ amount: '100' }, 'invalid_amount'],
      [{ amount: 10.5 }, 'invalid_amount'],
      [{ amount: 0 }, 'invalid_amount'],
      [{ currency: 'aud' }, 'invalid_currency'],
      [{ orderId: 'a/b' }, 'invalid_order_id'],
      [{ orderId: 7 }, 'invalid_order_id'],
      [{ ip: 'localhost' }, 'invalid_ip'],
      [{ token: 12 }, 'invalid_token']
    ];
    for (const [overrides, code] of cases) {
      const response = await sp.pay({ ...body, ...overrides });
      assert.equal(response.status, 400, JSON.stringify(overrides));
      assert.equal(errorCode(response), code, JSON.stringify(overrides));
    }
    for (const raw of ['[]', 'null', '"x"']) {
      const response = await sp.request('POST', '/v2/payments', {
        body: raw,
        headers: {
          authorization: `Bearer ${await sp.accessToken()}`,
          'idempotency-key': randomUUID()
        }
      });
      assertClearError(response, raw);
    }
  });

  it('refuses huge bodies with 413 and other media types with 415, and stays up', async () => {
    const huge = await sp.request('POST', '/v2/tokens', {
      body: JSON.stringify({ cardNumber: '4'.repeat(200_000) }),
      headers: { 'x-merchant-code': sp.merchantCode }
    });
    assert.equal(huge.status, 413);
    assert.equal(errorCode(huge), 'payload_too_large');
    const xml = await sp.request('POST', '/v2/tokens', {
      body: '<card/>',
      headers: { 'x-merchant-code': sp.merchantCode, 'content-type': 'application/xml' }
    });
    assert.equal(xml.status, 415);
    assert.equal(errorCode(xml), 'unsupported_media_type');
    const missing = await sp.request('GET', '/v3/nothing');
    assert.equal(missing.status, 404);
    assert.equal(errorCode(missing), 'not_found');
    assert.equal((await sp.tokenize({ cardNumber: '4111111111111111' })).status, 201);
  });
});
