// What the payments service trusts (issue 11, found by an attack run): card data hidden in the
// idempotency key, unknown body fields echoed in the 400, amounts the gateway refuses, currencies
// that are not ISO 4217, lenient X-SF-* headers and tokens in query strings. Each case is refused
// (400) before the gateway is called, and no refused value comes back in the answer or the logs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_AMOUNT_CENTS } from '../../../simulators/securepay/src/routes/payments.ts';
import { projectRoot } from '../../../toolkit/src/project.ts';
import {
  AMOUNT_MINOR_DESCRIPTION,
  GATEWAY_MAX_AMOUNT_MINOR,
  isPanLikeKey
} from '../../src/payments/schemas.ts';
import { API_TOKEN, CARDS, chargeBody, loadContract, newKey, startHarness } from './harness.ts';
import type { Harness } from './harness.ts';

const contract = loadContract();
const VISA = '4111111111111111';

describe('payments: what the service trusts', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ logLevel: 'trace' });
  });
  after(async () => {
    await h?.stop();
  });

  const paymentsCharged = () => h.simulator.control.requests().byRoute['POST /v2/payments'] ?? 0;

  async function raw(path: string, init: RequestInit = {}) {
    const response = await fetch(`${h.url}${path}`, init);
    return { status: response.status, text: await response.text() };
  }

  test('the amount limit is the gateway simulator’s', () => {
    assert.equal(GATEWAY_MAX_AMOUNT_MINOR, MAX_AMOUNT_CENTS);
  });

  test('an idempotency key that looks like a PAN is refused, never echoed, never stored', async () => {
    const before = paymentsCharged();
    const token = await h.tokenize(CARDS.visa);
    for (const key of [
      VISA,
      `pay-${VISA}`,
      'pay4111111111111111',
      '4111-1111-1111-1111',
      'pay_4111_1111_1111_1111',
      '378282246310005',
      'x5555555555554444y'
    ]) {
      assert.ok(isPanLikeKey(key), key);
      const result = await h.pay(chargeBody(contract, token), { key });
      assert.equal(result.status, 400, `${key}: ${JSON.stringify(result.body)}`);
      const text = JSON.stringify(result.body);
      assert.equal(text.includes(key), false, text);
      assert.equal(text.replace(/\D/g, '').includes('41111111'), false, text);
      const get = await h.get(key);
      assert.equal(get.status, 400, key);
    }
    assert.equal(paymentsCharged(), before, 'the gateway was called');
    const stored = await h.database.pool.query(
      `SELECT count(*)::int AS n FROM payment_requests WHERE idempotency_key ~ '[0-9]{13}'`
    );
    assert.equal(stored.rows[0].n, 0);
    // Keys as Apex makes them ('pay-' + a UUID) pass, digits across its groups included.
    for (const key of [
      'pay-7f3c9a2e-1b4d-4c8e-9f21-0a6b5d3e8c71',
      'pay-12345678-1234-4123-8123-411111111111'
    ])
      assert.equal(isPanLikeKey(key), false, key);
    const ok = await h.pay(chargeBody(contract, token), {
      key: `pay-12345678-1234-4123-8123-${Date.now().toString().slice(-12)}`
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test('unknown body fields: neither their names nor their values come back', async () => {
    const token = await h.tokenize(CARDS.visa);
    const sneaky = {
      ...chargeBody(contract, token),
      [`pan${VISA}`]: 'value-SECRET-1',
      '{!$Credential.Payments_ESB.ApiToken}': 'value-SECRET-2'
    };
    const result = await h.pay(sneaky);
    assert.equal(result.status, 400);
    const text = JSON.stringify(result.body);
    for (const secret of [VISA, 'value-SECRET', 'Credential', 'pan41'])
      assert.equal(text.includes(secret), false, text);
    assert.match(text, /unknown field/);
    // Known fields are still named.
    const wrong = await h.pay(chargeBody(contract, token, { currency: 'aud' }));
    assert.equal(wrong.status, 400);
    assert.match(JSON.stringify(wrong.body), /currency/);
  });

  test('amounts above the gateway’s limit are a 400, not a 502', async () => {
    const token = await h.tokenize(CARDS.visa);
    for (const amountMinor of [GATEWAY_MAX_AMOUNT_MINOR + 1, 99_999_999_999]) {
      const result = await h.pay(chargeBody(contract, token, { amountMinor }));
      assert.equal(result.status, 400, JSON.stringify(result.body));
      assert.match(JSON.stringify(result.body), /amountMinor/);
    }
    const top = await h.pay(chargeBody(contract, token, { amountMinor: GATEWAY_MAX_AMOUNT_MINOR }));
    assert.equal(top.status, 200, JSON.stringify(top.body));
  });

  test('currencies are ISO 4217 codes in use', async () => {
    const token = await h.tokenize(CARDS.visa);
    for (const currency of ['BTC', 'ZZZ', 'XXX', 'XTS', 'XAU', 'XDR']) {
      const result = await h.pay(chargeBody(contract, token, { currency }));
      assert.equal(result.status, 400, `${currency}: ${JSON.stringify(result.body)}`);
      assert.match(JSON.stringify(result.body), /ISO 4217/);
    }
    for (const currency of ['EUR', 'JPY', 'NZD']) {
      const fresh = await h.tokenize(CARDS.visa);
      const result = await h.pay(chargeBody(contract, fresh, { currency }));
      assert.equal(result.status, 200, `${currency}: ${JSON.stringify(result.body)}`);
    }
  });

  test('amountMinor is already in the currency minor unit: no exponent applied (JPY 0, BHD 3, AUD 2)', async () => {
    for (const [currency, amountMinor] of [
      ['JPY', 10000], // ¥10,000
      ['BHD', 1234], // 1.234 BHD
      ['AUD', 12550] // 125.50 AUD
    ] as const) {
      const token = await h.tokenize(CARDS.visa);
      const result = await h.pay(chargeBody(contract, token, { currency, amountMinor }));
      assert.equal(result.status, 200, `${currency}: ${JSON.stringify(result.body)}`);
      const body = result.body as { amountMinor: number; currency: string };
      assert.equal(body.amountMinor, amountMinor, `${currency}: the gateway charged it unchanged`);
      assert.equal(body.currency, currency);
    }
    const doc = JSON.parse(
      readFileSync(path.join(projectRoot(), 'docs/api/payments.openapi.json'), 'utf8')
    ) as object;
    const descriptions = [...JSON.stringify(doc).matchAll(/"amountMinor":\{[^}]*\}/g)].map(
      ([field]) => field
    );
    assert.ok(descriptions.length >= 2, 'request and answer both describe amountMinor');
    for (const field of descriptions) assert.ok(field.includes(AMOUNT_MINOR_DESCRIPTION), field);
  });

  test('X-SF-* headers: strict patterns, bounded, never reflected', async () => {
    const token = await h.tokenize(CARDS.visa);
    const bad: Array<Record<string, string>> = [
      { 'x-sf-user-id': '001000000000001AAA' }, // an account id, not a user's
      { 'x-sf-user-id': '005000000000001AA' }, // 17 characters
      { 'x-sf-contact-id': '005000000000001AAA' },
      { 'x-sf-org-id': '003000000000001AAA' },
      { 'x-sf-user-email': '{!$Credential.Payments_ESB.ApiToken}@example.com' },
      { 'x-sf-user-email': `"quoted"@example.com` },
      { 'x-sf-user-email': `${'a'.repeat(65)}@example.com` },
      { 'x-sf-user-email': `user@${'d'.repeat(250)}.com` },
      { 'x-sf-user-email': `user@example` }
    ];
    for (const headers of bad) {
      const result = await h.pay(chargeBody(contract, token), { headers });
      assert.equal(
        result.status,
        400,
        `${JSON.stringify(headers)}: ${JSON.stringify(result.body)}`
      );
      const text = JSON.stringify(result.body);
      for (const value of Object.values(headers)) assert.equal(text.includes(value), false, text);
      assert.equal(text.includes('Credential'), false, text);
    }
    const good = await h.pay(chargeBody(contract, token), {
      headers: {
        'x-sf-user-id': '005000000000001AAA',
        'x-sf-user-email': "o'brien.portal+pay@example.co.uk",
        'x-sf-contact-id': '003000000000001AAA',
        'x-sf-org-id': '00D000000000001EAA'
      }
    });
    assert.equal(good.status, 200, JSON.stringify(good.body));
  });

  test('a token in the query string is never logged', async () => {
    const secret = 'tok-IN-QUERY-0123456789abcdef';
    const token = await h.tokenize(CARDS.visa);
    await raw(`/payments?access_token=${secret}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${API_TOKEN}`,
        'content-type': 'application/json',
        'idempotency-key': newKey('query')
      },
      body: JSON.stringify(chargeBody(contract, token))
    });
    await raw(`/nowhere?access_token=${secret}`, {
      headers: { authorization: `Bearer ${API_TOKEN}` }
    });
    await raw(`/payments/${newKey('q')}?access_token=${secret}`);
    await raw(`/payments?access_token=${secret}`, { method: 'POST', body: '{' });
    // Not HTTP after the request line: Node refuses it before fastify (the client-error path),
    // and its error carries the raw bytes received.
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(h.url).port), '127.0.0.1', () => {
        socket.write(
          `GET /payments?access_token=${secret} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_TOKEN}\r\nBad\u0001Header: 1\r\n\r\n`
        );
      });
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    const logs = h.logs.join('\n');
    const asBytes = (text: string) => Array.from(Buffer.from(text)).join(',');
    assert.equal(logs.includes(secret), false, 'a query-string token was logged');
    assert.equal(logs.includes(asBytes(secret)), false, 'a query-string token was logged as bytes');
    assert.equal(logs.includes(asBytes(API_TOKEN)), false, 'the API token was logged as bytes');
    assert.equal(logs.includes(VISA), false, 'a PAN was logged');
  });
});

describe('payments: an Unknown payment is looked up with backoff', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ gatewayTimeoutMs: 250, timeoutHoldMs: 800 });
  });
  after(async () => {
    await h?.stop();
  });

  test('GETs in a loop while the gateway fails reach the gateway a bounded number of times', async () => {
    const key = newKey('unknown');
    const token = await h.tokenize(CARDS.timeout);
    const first = await h.pay(chargeBody(contract, token), { key });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    h.simulator.control.injectFailures({
      status: 503,
      rate: 1,
      paths: ['/v2/payments/'],
      methods: ['GET']
    });
    const failedBefore = h.simulator.control.requests().injectedFailures;
    for (let i = 0; i < 20; i++) {
      const answer = await h.get(key);
      assert.equal(
        answer.status,
        202,
        `GET ${i}: ${JSON.stringify(answer.body)} after ${h.simulator.control.requests().injectedFailures - failedBefore} injected`
      );
      assert.equal(answer.body.status, 'Unknown');
    }
    const lookups = h.simulator.control.requests().injectedFailures - failedBefore;
    assert.ok(lookups >= 1 && lookups <= 3, `${lookups} gateway lookups for 20 GETs`);
    // The gateway is back: after the backoff, the next GET settles the payment.
    h.simulator.control.clearFailures();
    let settled: Record<string, unknown> = {};
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const answer = await h.get(key);
      if (answer.status === 200) {
        settled = answer.body;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(settled.status, 'Authorised', JSON.stringify(settled));
  });
});
