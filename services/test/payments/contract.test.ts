// PaymentsContract.json (the static resource Apex's callout mocks answer with) against the real
// service: the contract's chargeRequest is accepted, and every response shape and status of the
// contract is what the service really answers, through the SecurePay simulator's test cards.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  API_TOKEN,
  CARDS,
  chargeBody,
  loadContract,
  newKey,
  sameShape,
  startHarness
} from './harness.ts';
import type { Harness } from './harness.ts';
import { until } from '../../../toolkit/testing/wait.ts';
import { startSecurePaySimulator } from '../../../simulators/securepay/src/server.ts';

const contract = loadContract();
const CONTRACT_KEY = contract.chargeRequest.headers['Idempotency-Key'] ?? '';

/** The contract's headers with the test's bearer token and a key of the test's choice. */
function contractHeaders(key: string): Record<string, string> {
  return {
    ...contract.chargeRequest.headers,
    Authorization: `Bearer ${API_TOKEN}`,
    'Idempotency-Key': key
  };
}

async function contractCharge(h: Harness, key: string, body: unknown) {
  const response = await fetch(`${h.url}${contract.chargeRequest.path}`, {
    method: contract.chargeRequest.method,
    headers: contractHeaders(key),
    body: JSON.stringify(body)
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function withoutCorrelation(body: Record<string, unknown>) {
  const { correlationId, ...rest } = body;
  assert.match(String(correlationId), /^[0-9a-f-]{36}$/);
  return rest;
}

/** Checks status, keys/types and the fields the test card fixes; returns the body. */
function assertConforms(
  actual: { status: number; body: Record<string, unknown> },
  name: string,
  key: string,
  fixed: readonly string[]
) {
  const expected = contract.responses[name];
  assert.ok(expected, `contract has responses.${name}`);
  assert.equal(actual.status, expected.httpStatus, JSON.stringify(actual.body));
  const { actual: a, expected: e } = sameShape(actual.body, expected.body);
  assert.deepEqual(a, e, `${name}: same fields and JSON types as the contract`);
  assert.equal(actual.body.idempotencyKey, key);
  for (const field of fixed)
    assert.equal(actual.body[field], expected.body[field], `${name}.${field}`);
}

describe('payments contract (PaymentsContract.json)', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  test('the contract request is well-formed and the service accepts it (authorised)', async () => {
    assert.equal(contract.chargeRequest.method, 'POST');
    assert.equal(contract.chargeRequest.path, '/payments');
    const token = await h.tokenize(CARDS.visa);
    const result = await contractCharge(h, CONTRACT_KEY, chargeBody(contract, token));
    assertConforms(result, 'authorised', CONTRACT_KEY, [
      'status',
      'cardBrand',
      'cardLast4',
      'amountMinor',
      'currency',
      'reasonCode',
      'reasonText'
    ]);
    assert.match(String(result.body.transactionId), /\S+/);
    // The reconcile request of the contract returns the same stored answer.
    const again = await fetch(`${h.url}${contract.reconcileRequest.path}`, {
      headers: { authorization: `Bearer ${API_TOKEN}` }
    });
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), result.body);
  });

  for (const [name, card] of [
    ['declined', CARDS.declined],
    ['insufficientFunds', CARDS.insufficientFunds]
  ] as const) {
    test(`${name}: the gateway's decline is relayed with its reason`, async () => {
      const key = newKey(name);
      const result = await contractCharge(h, key, chargeBody(contract, await h.tokenize(card)));
      assertConforms(result, name, key, [
        'status',
        'cardBrand',
        'cardLast4',
        'amountMinor',
        'currency',
        'reasonCode',
        'reasonText'
      ]);
    });
  }

  test('idempotencyConflict: same key, different body -> 422 exactly as the contract', async () => {
    // CONTRACT_KEY was used by the first test with the contract's amount.
    const token = await h.tokenize(CARDS.visa);
    const result = await contractCharge(
      h,
      CONTRACT_KEY,
      chargeBody(contract, token, { amountMinor: 999 })
    );
    assert.equal(result.status, contract.responses.idempotencyConflict?.httpStatus);
    assert.deepEqual(
      withoutCorrelation(result.body),
      withoutCorrelation(contract.responses.idempotencyConflict?.body ?? {})
    );
  });

  test('validationError: exactly the contract body', async () => {
    const token = await h.tokenize(CARDS.visa);
    const result = await contractCharge(
      h,
      newKey(),
      chargeBody(contract, token, { amountMinor: 0 })
    );
    assert.equal(result.status, contract.responses.validationError?.httpStatus);
    assert.deepEqual(
      withoutCorrelation(result.body),
      withoutCorrelation(contract.responses.validationError?.body ?? {})
    );
  });

  test('missingIdempotencyKey: exactly the contract body', async () => {
    const headers = contractHeaders('x');
    delete headers['Idempotency-Key'];
    const response = await fetch(`${h.url}/payments`, {
      method: 'POST',
      headers,
      body: JSON.stringify(chargeBody(contract, await h.tokenize(CARDS.visa)))
    });
    assert.equal(response.status, contract.responses.missingIdempotencyKey?.httpStatus);
    assert.deepEqual(
      withoutCorrelation((await response.json()) as Record<string, unknown>),
      withoutCorrelation(contract.responses.missingIdempotencyKey?.body ?? {})
    );
  });

  test('unauthorized: a wrong bearer token -> exactly the contract body; none -> 401', async () => {
    const body = chargeBody(contract, 'tok_00000000000000000000000000000000');
    const wrong = await h.pay(body, { token: 'not-the-configured-token-at-all' });
    assert.equal(wrong.status, contract.responses.unauthorized?.httpStatus);
    assert.deepEqual(
      withoutCorrelation(wrong.body),
      withoutCorrelation(contract.responses.unauthorized?.body ?? {})
    );
    const none = await h.pay(body, { token: null });
    assert.equal(none.status, 401);
    assert.equal(none.body.error, 'unauthorized');
    const basic = await h.pay(body, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 401);
    const get = await fetch(`${h.url}/payments/${CONTRACT_KEY}`);
    assert.equal(get.status, 401);
    assert.equal(h.simulator.control.charges().filter((c) => c.amount === 12550).length >= 1, true);
  });

  test('notFound: GET of an unknown key -> exactly the contract body', async () => {
    const result = await h.get('pay-unknown-key-0000');
    assert.equal(result.status, contract.responses.notFound?.httpStatus);
    assert.deepEqual(
      withoutCorrelation(result.body),
      withoutCorrelation(contract.responses.notFound?.body ?? {})
    );
  });

  test('a 503 to the charge itself -> 202 Unknown, never Error: it may have charged', async () => {
    const key = newKey('down');
    const token = await h.tokenize(CARDS.visa);
    h.simulator.control.injectFailures({ status: 503, paths: ['/v2/payments'], methods: ['POST'] });
    try {
      const result = await contractCharge(h, key, chargeBody(contract, token));
      assert.equal(result.status, 202, JSON.stringify(result.body));
      assert.equal(result.body.status, 'Unknown');
    } finally {
      h.simulator.control.clearFailures();
    }
  });
});

describe('payments contract: gateway unavailable before the charge', () => {
  test("gatewayError: SecurePay's token endpoint answering 503 -> 502 Error exactly as the contract, no charge", async () => {
    // The charge is never sent without an access token: provably no charge. The rule is in
    // place before the service starts, so no token was cached by its readiness probe.
    const simulator = await startSecurePaySimulator({ port: 0, logger: false });
    simulator.control.injectFailures({ status: 503, paths: ['/oauth/token'], count: 1_000 });
    const h = await startHarness({ simulator });
    try {
      const key = newKey('down');
      const token = await h.tokenize(CARDS.visa);
      const result = await contractCharge(h, key, chargeBody(contract, token));
      assert.equal(result.status, contract.responses.gatewayError?.httpStatus);
      assert.deepEqual(result.body, {
        ...contract.responses.gatewayError?.body,
        idempotencyKey: key
      });
      // The same key again: the stored answer, still no charge.
      const again = await contractCharge(h, key, chargeBody(contract, token));
      assert.deepEqual(again, result);
      assert.equal(simulator.control.charges().length, 0);
      assert.equal(simulator.control.requests().byRoute['POST /v2/payments'] ?? 0, 0);
    } finally {
      await h.stop();
      await simulator.close();
    }
  });
});

describe('payments contract: gateway unreachable and gateway timeout', () => {
  test('a closed port -> 502 Error GATEWAY_UNAVAILABLE, no charge', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const h = await startHarness({ gatewayUrl: `http://127.0.0.1:${port}` });
    try {
      const key = newKey('closed');
      const result = await h.pay(chargeBody(contract, await h.tokenize(CARDS.visa)), { key });
      assertConforms(result, 'gatewayError', key, [
        'status',
        'cardBrand',
        'cardLast4',
        'transactionId',
        'amountMinor',
        'currency',
        'reasonCode'
      ]);
      assert.match(String(result.body.reasonText), /No payment was taken/);
      assert.equal(h.simulator.control.charges().length, 0);
    } finally {
      await h.stop();
    }
  });

  test('unknown: a timeout -> 202 Unknown exactly as the contract; GET reconciles to Authorised; a retry never charges again', async () => {
    const h = await startHarness({ gatewayTimeoutMs: 300, timeoutHoldMs: 1500 });
    try {
      const key = newKey('timeout');
      const body = chargeBody(contract, await h.tokenize(CARDS.timeout));
      const first = await h.pay(body, { key });
      assert.equal(first.status, contract.responses.unknown?.httpStatus);
      assert.deepEqual(first.body, { ...contract.responses.unknown?.body, idempotencyKey: key });
      // Stored right after the answer (off the critical path).
      await until(async () => {
        const { rows } = await h.database.pool.query(
          'SELECT status, http_status FROM payment_requests WHERE idempotency_key = $1',
          [key]
        );
        return rows[0]?.status === 'Unknown' && rows[0]?.http_status === 202;
      }, 'the Unknown outcome stored');

      // Reconciliation: the gateway recorded the payment as paid.
      const reconciled = await h.get(key);
      assert.equal(reconciled.status, 200, JSON.stringify(reconciled.body));
      assertConforms(reconciled, 'authorised', key, ['status', 'amountMinor', 'currency']);
      assert.equal(reconciled.body.cardLast4, '0119');
      const stored = await h.database.pool.query(
        'SELECT status, reconciled_at IS NOT NULL AS reconciled FROM payment_requests WHERE idempotency_key = $1',
        [key]
      );
      assert.deepEqual(stored.rows, [{ status: 'Authorised', reconciled: true }]);

      // A retry of the same payment: the reconciled answer, and one charge in all.
      const retry = await h.pay(body, { key });
      assert.deepEqual(retry, reconciled);
      const charges = h.simulator.control.charges().filter((c) => c.idempotencyKey === key);
      assert.equal(charges.length, 1);
    } finally {
      await h.stop();
    }
  });

  test('a POST retry while still Unknown reconciles instead of charging again', async () => {
    const h = await startHarness({ gatewayTimeoutMs: 200, timeoutHoldMs: 1000 });
    try {
      const key = newKey('retry');
      const body = chargeBody(contract, await h.tokenize(CARDS.timeout));
      const first = await h.pay(body, { key });
      assert.equal(first.body.status, 'Unknown');
      const retry = await h.pay(body, { key });
      assert.ok(['Unknown', 'Authorised'].includes(String(retry.body.status)));
      assert.equal(h.simulator.control.charges().filter((c) => c.idempotencyKey === key).length, 1);
      assert.equal(h.simulator.control.requests().byRoute['POST /v2/payments'], 1);
    } finally {
      await h.stop();
    }
  });
});
