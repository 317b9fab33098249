import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import {
  errorCode,
  startTestSecurePay,
  useSecurePay,
  type HttpResult
} from './helpers/securepay.ts';

const CARDS: Array<[string, 'paid' | 'failed', string, string, string, string | null]> = [
  ['4111111111111111', 'paid', '00', 'Approved', 'VISA', null],
  ['5555555555554444', 'paid', '00', 'Approved', 'MASTERCARD', null],
  ['378282246310005', 'paid', '00', 'Approved', 'AMEX', null],
  ['4000000000000002', 'failed', '05', 'Do not honour', 'VISA', 'card_declined'],
  ['4000000000009995', 'failed', '51', 'Insufficient funds', 'VISA', 'insufficient_funds'],
  ['4000000000000069', 'failed', '54', 'Expired card', 'VISA', 'expired_card'],
  ['4242424242424242', 'paid', '00', 'Approved', 'VISA', null]
];

describe('SecurePay simulator: payments', () => {
  const sp = useSecurePay({ timeoutHoldMs: 600 });
  beforeEach(() => sp.control.reset());

  it('answers each test card with SecurePay’s payment shape', async () => {
    for (const [cardNumber, status, code, message, brand, errorCodeValue] of CARDS) {
      const token = await sp.cardToken(cardNumber);
      const body = sp.paymentBody(token);
      const response = await sp.pay(body);
      assert.equal(response.status, 201, cardNumber);
      const answer = response.body;
      assert.deepEqual(Object.keys(answer).sort(), [
        'amount',
        'bankTransactionId',
        'cardBrand',
        'createdAt',
        'currency',
        'customerCode',
        'errorCode',
        'fraudResult',
        'gatewayResponseCode',
        'gatewayResponseMessage',
        'ip',
        'last4',
        'merchantCode',
        'orderId',
        'status',
        'token'
      ]);
      assert.equal(answer.status, status, cardNumber);
      assert.equal(answer.gatewayResponseCode, code, cardNumber);
      assert.equal(answer.gatewayResponseMessage, message, cardNumber);
      assert.equal(answer.errorCode, errorCodeValue, cardNumber);
      assert.equal(answer.cardBrand, brand, cardNumber);
      assert.equal(answer.last4, cardNumber.slice(-4));
      assert.equal(answer.amount, 12_345);
      assert.equal(answer.currency, 'AUD');
      assert.equal(answer.customerCode, 'anonymous');
      assert.equal(answer.fraudResult, null);
      assert.equal(answer.merchantCode, sp.merchantCode);
      assert.equal(answer.ip, '203.0.113.7');
      assert.equal(answer.orderId, body.orderId);
      assert.equal(answer.token, token);
      assert.match(answer.bankTransactionId, /^\d+$/);
      assert.ok(!Number.isNaN(Date.parse(answer.createdAt)));
      assert.equal(response.headers.get('idempotent-replayed'), 'false');
    }
    const charges = sp.control.charges();
    assert.equal(charges.length, CARDS.length);
    // The card numbers themselves: a 12-digit run also occurs in a random UUID's last group
    // (idempotency keys), about once in 280, which made a digit-run check flaky.
    const listed = JSON.stringify(charges);
    for (const [cardNumber] of CARDS) {
      assert.equal(listed.includes(cardNumber), false, 'no card number in the charges');
    }
  });

  it('defaults the currency to AUD and the ip to the caller', async () => {
    const body = sp.paymentBody(await sp.cardToken('4111111111111111'));
    delete body.currency;
    delete body.ip;
    const response = await sp.pay(body);
    assert.equal(response.status, 201);
    assert.equal(response.body.currency, 'AUD');
    assert.match(response.body.ip, /127\.0\.0\.1/);
  });

  it('replays the same answer for the same key and body without charging again', async () => {
    const body = sp.paymentBody(await sp.cardToken('4111111111111111'));
    const key = randomUUID();
    const first = await sp.pay(body, key);
    const second = await sp.pay(body, key);
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal(sp.control.charges().length, 1);
  });

  it('charges exactly once for 1,000 concurrent requests with one key', async () => {
    const body = sp.paymentBody(await sp.cardToken('5555555555554444'));
    const key = randomUUID();
    await sp.accessToken();
    const answers = await Promise.all(Array.from({ length: 1000 }, () => sp.pay(body, key)));
    assert.ok(answers.every((a) => a.status === 201));
    const distinct = new Set(answers.map((a) => JSON.stringify(a.body)));
    assert.equal(distinct.size, 1, 'every answer is the same');
    assert.equal(answers.filter((a) => a.headers.get('idempotent-replayed') === 'false').length, 1);
    const charges = sp.control.charges();
    assert.equal(charges.length, 1);
    assert.equal(charges[0]?.idempotencyKey, key);
    assert.equal(charges[0]?.status, 'paid');
  });

  it('refuses the same key with another body: 422 idempotency_conflict', async () => {
    const body = sp.paymentBody(await sp.cardToken('4111111111111111'));
    const key = randomUUID();
    assert.equal((await sp.pay(body, key)).status, 201);
    const conflict = await sp.pay({ ...body, amount: 99 }, key);
    assert.equal(conflict.status, 422);
    assert.equal(errorCode(conflict), 'idempotency_conflict');
    assert.equal(typeof conflict.body.errors[0].detail, 'string');
    assert.equal(sp.control.charges().length, 1);
  });

  it('refuses a token used by another payment (token_already_used) and unknown tokens', async () => {
    const token = await sp.cardToken('4111111111111111');
    assert.equal((await sp.pay(sp.paymentBody(token))).status, 201);
    const reused = await sp.pay(sp.paymentBody(token));
    assert.equal(reused.status, 400);
    assert.equal(errorCode(reused), 'token_already_used');
    const declinedToken = await sp.cardToken('4000000000000002');
    assert.equal((await sp.pay(sp.paymentBody(declinedToken))).body.status, 'failed');
    assert.equal(errorCode(await sp.pay(sp.paymentBody(declinedToken))), 'token_already_used');
    const unknown = await sp.pay(sp.paymentBody(`tok_${'0'.repeat(32)}`));
    assert.equal(unknown.status, 400);
    assert.equal(errorCode(unknown), 'invalid_token');
    assert.equal(sp.control.charges().length, 2);
  });

  it('requires a valid Bearer token, an Idempotency-Key and the merchant code', async () => {
    const body = sp.paymentBody(await sp.cardToken('4111111111111111'));
    const post = (headers: Record<string, string>) =>
      sp.request('POST', '/v2/payments', { body, headers });
    for (const authorization of [undefined, 'Bearer nope', 'Basic abc']) {
      const response = await post({
        'idempotency-key': randomUUID(),
        ...(authorization ? { authorization } : {})
      });
      assert.equal(response.status, 401);
      assert.deepEqual(errorCode(response), 'unauthorized');
    }
    const bearer = `Bearer ${await sp.accessToken()}`;
    const noKey = await post({ authorization: bearer });
    assert.equal(noKey.status, 400);
    assert.equal(errorCode(noKey), 'idempotency_key_required');
    const merchant = await sp.pay({ ...body, merchantCode: 'OTHER01' });
    assert.equal(merchant.status, 400);
    assert.equal(errorCode(merchant), 'invalid_merchant_code');
    const unauthorizedGet = await sp.request('GET', `/v2/payments/${String(body.orderId)}`);
    assert.equal(unauthorizedGet.status, 401);
    assert.equal(sp.control.charges().length, 0);
  });

  it('finds a payment by order id and answers 404 for an unknown one', async () => {
    const body = sp.paymentBody(await sp.cardToken('4111111111111111'));
    const paid = await sp.pay(body);
    const headers = { authorization: `Bearer ${await sp.accessToken()}` };
    const found = await sp.request('GET', `/v2/payments/${String(body.orderId)}`, { headers });
    assert.equal(found.status, 200);
    assert.deepEqual(found.body, paid.body);
    const missing = await sp.request('GET', '/v2/payments/INV-NOPE', { headers });
    assert.equal(missing.status, 404);
    // The gateway's own code for an unknown order, not an unknown route's `not_found`.
    assert.equal(errorCode(missing), 'order_not_found');
  });

  it('TIMEOUT card: records the payment as paid, holds the answer; GET finds it paid', async () => {
    const body = sp.paymentBody(await sp.cardToken('4000000000000119'));
    const key = randomUUID();
    const bearer = `Bearer ${await sp.accessToken()}`;
    await assert.rejects(
      fetch(`${sp.url}/v2/payments`, {
        method: 'POST',
        headers: {
          authorization: bearer,
          'idempotency-key': key,
          'content-type': 'application/json'
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(150)
      }),
      /abort|timeout/i
    );
    const charges = sp.control.charges();
    assert.equal(charges.length, 1);
    assert.equal(charges[0]?.status, 'paid');
    const found = await sp.request('GET', `/v2/payments/${String(body.orderId)}`, {
      headers: { authorization: bearer }
    });
    assert.equal(found.status, 200);
    assert.equal(found.body.status, 'paid');
    assert.equal(found.body.gatewayResponseCode, '00');
    const replay = await sp.pay(body, key);
    assert.equal(replay.status, 201, 'a retry with the same key answers at once');
    assert.deepEqual(replay.body, found.body);
    assert.equal(sp.control.charges().length, 1);

    const started = Date.now();
    const waited: HttpResult = await sp.pay(sp.paymentBody(await sp.cardToken('4000000000000119')));
    assert.equal(waited.status, 201, 'answered once the hold is over');
    assert.ok(Date.now() - started >= 550, 'held for timeoutHoldMs');
  });

  // Finding 7: a timed-out charge may or may not have been applied, and the lookup is
  // authoritative only once the processing window has passed.
  it('a timed-out charge: applied late (TIMEOUT_LATE) or never (injected timeout)', async () => {
    const late = await startTestSecurePay({ timeoutHoldMs: 100, processingWindowMs: 400 });
    try {
      const bearer = { authorization: `Bearer ${await late.accessToken()}` };
      const lateBody = late.paymentBody(await late.cardToken('4000000000000127'));
      const lookup = (body: Record<string, unknown>) =>
        late.request('GET', `/v2/payments/${String(body.orderId)}`, { headers: bearer });
      const answered = late.pay(lateBody);
      while (late.control.charges().length === 0) await new Promise((r) => setTimeout(r, 5));
      assert.equal((await lookup(lateBody)).status, 404, 'not visible within the window');
      assert.equal((await answered).status, 201);
      await new Promise((r) => setTimeout(r, 450));
      const found = await lookup(lateBody);
      assert.equal(found.status, 200, 'visible once the window has passed');
      assert.equal(found.body.status, 'paid');

      late.control.injectFailures({ status: 'timeout', paths: ['/v2/payments'], count: 1 });
      const lostBody = late.paymentBody(await late.cardToken('4111111111111111'));
      assert.equal((await late.pay(lostBody)).status, 504);
      await new Promise((r) => setTimeout(r, 450));
      assert.equal((await lookup(lostBody)).status, 404, 'never charged: 404 after the window');
      assert.equal(late.control.charges().length, 1);
    } finally {
      await late.close();
    }
  });

  it('close() is quick while a TIMEOUT answer is held', async () => {
    const other = await startTestSecurePay();
    const token = await other.cardToken('4000000000000119');
    const pending = other.pay(other.paymentBody(token)).catch((error: unknown) => error);
    while (other.control.charges().length === 0) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await other.close();
    assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
    assert.ok((await pending) instanceof Error, 'the held request is dropped');
  });
});
