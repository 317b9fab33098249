// What the ESB concludes from the gateway's answers (issue 12, findings 4 and 5), against the
// SecurePay simulator and, for answers the simulator would never give, a proxy in front of it.
//  - A charge is Error (no money taken, the invoice reopens) only when it provably never reached
//    the gateway; an HTTP 5xx (the gateway failing after its commit, a proxy's 504) or a failure
//    once connected is Unknown and settled by the lookup.
//  - The lookup's 404 means "not charged" only with SecurePay's own `order_not_found`; any other
//    404 is a failed lookup. Only `paid` and known refusals are final; a pending, unknown or
//    missing status, or an answer for another order or amount, stays Unknown (and is logged).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startSecurePaySimulator } from '../../../simulators/securepay/src/server.ts';
import type { RunningSecurePaySimulator } from '../../../simulators/securepay/src/server.ts';
import { fromSecurePayPayment } from '../../src/payments/canonical.ts';
import {
  GatewayTimeoutError,
  GatewayUnavailableError,
  orderIdFor,
  SecurePayClient
} from '../../src/payments/securepay-client.ts';
import { CARDS, chargeBody, loadContract, newKey, startHarness } from './harness.ts';
import type { Harness } from './harness.ts';

const contract = loadContract();

describe('a charge is Error only when it never reached the gateway', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  for (const status of [500, 502, 504] as const) {
    test(`the gateway charged, then answered ${status}: Unknown, reconciled to Authorised`, async () => {
      h.simulator.control.failAfterCharging({ status });
      const key = newKey(`after${status}`);
      const token = await h.tokenize(CARDS.visa);
      const answer = await h.pay(chargeBody(contract, token), { key });
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      assert.equal(answer.body.status, 'Unknown');
      assert.equal(answer.body.reasonCode, 'GATEWAY_OUTCOME_UNKNOWN');
      assert.match(String(answer.body.reasonText), /do not pay again/);
      const charged = h.simulator.control.charges().filter((c) => c.idempotencyKey === key);
      assert.equal(charged.length, 1, 'the gateway did charge');
      const settled = await h.get(key);
      assert.equal(settled.status, 200, JSON.stringify(settled.body));
      assert.equal(settled.body.status, 'Authorised');
      // A retry with the key: the settled answer, no second charge.
      assert.equal((await h.pay(chargeBody(contract, token), { key })).body.status, 'Authorised');
      assert.equal(h.simulator.control.charges().filter((c) => c.idempotencyKey === key).length, 1);
    });
  }

  test('a 503 to the charge: Unknown (it may come from a proxy after the gateway got it)', async () => {
    h.simulator.control.injectFailures({ status: 503, paths: ['/v2/payments'], methods: ['POST'] });
    const key = newKey('503');
    const answer = await h.pay(chargeBody(contract, await h.tokenize(CARDS.visa)), { key });
    h.simulator.control.clearFailures();
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal(answer.body.status, 'Unknown');
    // The lookup does not know it, but the grace period has not passed: still Unknown.
    assert.equal((await h.get(key)).body.status, 'Unknown');
  });
});

describe('a charge that never left: Error, no charge', () => {
  let simulator: RunningSecurePaySimulator;
  before(async () => {
    simulator = await startSecurePaySimulator({ port: 0, logger: false });
  });
  after(async () => {
    await simulator?.close();
  });

  test('a TLS failure before sending (https to a plain HTTP port): 502 GATEWAY_UNAVAILABLE', async () => {
    const port = new URL(simulator.url).port;
    const h = await startHarness({ simulator, gatewayUrl: `https://127.0.0.1:${port}` });
    try {
      const key = newKey('tls');
      const answer = await h.pay(chargeBody(contract, await h.tokenize(CARDS.visa)), { key });
      assert.equal(answer.status, 502, JSON.stringify(answer.body));
      assert.equal(answer.body.status, 'Error');
      assert.equal(answer.body.reasonCode, 'GATEWAY_UNAVAILABLE');
      assert.match(String(answer.body.reasonText), /No payment was taken/);
      assert.equal(simulator.control.charges().length, 0);
      assert.equal(simulator.control.requests().byRoute['POST /v2/payments'] ?? 0, 0);
    } finally {
      await h.stop();
    }
  });
});

type LookupMode =
  'route-404' | 'html-404' | 'empty-404' | 'pending' | 'no-status' | 'other-amount' | 'other-order';

/**
 * A proxy in front of the simulator: everything passes through, except lookups of the orders in
 * `modes`, answered as the mode says (what a wrong base URL, a proxy or a confused gateway gives).
 */
async function startProxy(target: string, modes: Map<string, LookupMode>) {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const match = /^\/v2\/payments\/([^/?]+)$/.exec(request.url ?? '');
        const mode = request.method === 'GET' && match ? modes.get(match[1] ?? '') : undefined;
        if (mode === 'route-404') {
          response.writeHead(404, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ errors: [{ code: 'not_found', detail: 'No route' }] }));
          return;
        }
        if (mode === 'html-404') {
          response.writeHead(404, { 'content-type': 'text/html' });
          response.end('<html><body>404 Not Found</body></html>');
          return;
        }
        if (mode === 'empty-404') {
          response.writeHead(404);
          response.end();
          return;
        }
        const headers = Object.fromEntries(
          Object.entries(request.headers).filter(
            ([name]) => !['host', 'connection', 'content-length'].includes(name)
          )
        ) as Record<string, string>;
        const upstream = await fetch(`${target}${request.url ?? ''}`, {
          method: request.method ?? 'GET',
          headers,
          ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
        });
        let text = await upstream.text();
        if (mode && upstream.status === 200) {
          const payment = JSON.parse(text) as Record<string, unknown>;
          if (mode === 'pending') payment.status = 'pending';
          if (mode === 'no-status') delete payment.status;
          if (mode === 'other-amount') payment.amount = Number(payment.amount) + 1;
          if (mode === 'other-order') payment.orderId = 'ord-someone-else';
          text = JSON.stringify(payment);
        }
        response.writeHead(upstream.status, { 'content-type': 'application/json' });
        response.end(text);
      })().catch(() => response.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
}

describe('lookup answers that are not trusted', () => {
  const GATEWAY_TIMEOUT_MS = 250;
  // The grace period: never less than the gateway timeout + 5 s outside production.
  const GRACE_MS = GATEWAY_TIMEOUT_MS + 5_000;

  test('a charged Unknown payment never becomes Error or Declined from a foreign 404 or status', async () => {
    const simulator = await startSecurePaySimulator({
      port: 0,
      logger: false,
      timeoutHoldMs: 600,
      processingWindowMs: 0
    });
    const modes = new Map<string, LookupMode>();
    const proxy = await startProxy(simulator.url, modes);
    const h = await startHarness({
      simulator,
      gatewayUrl: proxy.url,
      gatewayTimeoutMs: GATEWAY_TIMEOUT_MS,
      notChargedAfterMs: 1_000
    });
    try {
      const all: LookupMode[] = [
        'route-404',
        'html-404',
        'empty-404',
        'pending',
        'no-status',
        'other-amount',
        'other-order'
      ];
      const keys = new Map<LookupMode, string>();
      const started = Date.now();
      for (const mode of all) {
        const key = newKey(mode);
        keys.set(mode, key);
        modes.set(orderIdFor(key), mode);
        // The TIMEOUT card: charged (paid), but the answer comes after the ESB gave up.
        const answer = await h.pay(chargeBody(contract, await h.tokenize(CARDS.timeout)), { key });
        assert.equal(answer.status, 202, `${mode}: ${JSON.stringify(answer.body)}`);
      }
      // Past the grace period: a 404 of the gateway's own would now settle "not charged".
      await new Promise((resolve) => setTimeout(resolve, started + GRACE_MS + 300 - Date.now()));
      for (const [mode, key] of keys) {
        const answer = await h.get(key);
        assert.equal(answer.status, 202, `${mode}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.status, 'Unknown', mode);
      }
      const logged = h.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const mode of ['other-amount', 'other-order'] as const) {
        assert.ok(
          logged.some(
            (line) =>
              line.level === 'error' &&
              line.idempotencyKey === keys.get(mode) &&
              line.msg === 'the gateway answered for another payment; payment stays Unknown'
          ),
          `${mode}: error logged`
        );
      }
      // The real answers again: every one of them is the charge it was, Authorised.
      modes.clear();
      for (const [mode, key] of keys) {
        let answer = await h.get(key);
        const deadline = Date.now() + 20_000;
        while (answer.status === 202 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          answer = await h.get(key);
        }
        assert.equal(answer.body.status, 'Authorised', `${mode}: ${JSON.stringify(answer.body)}`);
      }
    } finally {
      await h.stop();
      await proxy.close();
      await simulator.close();
    }
  });
});

describe('fromSecurePayPayment', () => {
  const facts = { idempotencyKey: 'pay-facts-0001', amountMinor: 12550, currency: 'AUD' };
  const payment = (fields: Record<string, unknown>) =>
    ({
      orderId: orderIdFor(facts.idempotencyKey),
      amount: 12550,
      currency: 'AUD',
      status: 'paid',
      ...fields
    }) as never;

  test('paid is Authorised, failed or declined is Declined, anything else stays Unknown', () => {
    assert.equal(fromSecurePayPayment(facts, payment({})).body.status, 'Authorised');
    assert.equal(
      fromSecurePayPayment(facts, payment({ status: 'failed' })).body.status,
      'Declined'
    );
    assert.equal(
      fromSecurePayPayment(facts, payment({ status: 'declined' })).body.status,
      'Declined'
    );
    for (const status of ['pending', 'processing', 'PAID', '', undefined, null, 42]) {
      const reply = fromSecurePayPayment(facts, payment({ status }));
      assert.equal(reply.body.status, 'Unknown', String(status));
      assert.equal(reply.httpStatus, 202);
    }
  });

  test('an answer for another order, amount or currency, or none at all, stays Unknown', () => {
    for (const fields of [
      { orderId: orderIdFor('pay-someone-else') },
      { orderId: undefined },
      { amount: 12551 },
      { amount: '12550' },
      { currency: 'NZD' }
    ]) {
      const reply = fromSecurePayPayment(facts, payment(fields));
      assert.equal(reply.body.status, 'Unknown', JSON.stringify(fields));
      assert.equal(reply.body.reasonCode, 'GATEWAY_ANSWER_UNVERIFIED');
    }
    assert.equal(fromSecurePayPayment(facts, undefined as never).body.status, 'Unknown');
  });
});

describe('a charge whose kept-alive socket dies after it was sent', () => {
  test('stays unknown when the resend cannot connect (the first send may have charged)', async () => {
    // A gateway that answers the token on a kept-alive socket, then takes the charge (counts
    // it), stops listening and drops the socket before answering: the client sees ECONNRESET
    // on a reused socket, resends, and the resend is refused.
    let charges = 0;
    const server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url?.endsWith('/oauth/token')) {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ access_token: 'tok', expires_in: 3600 }));
          return;
        }
        charges++;
        server.close();
        request.socket.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new SecurePayClient({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      clientId: 'id',
      clientSecret: 'secret',
      merchantCode: 'MERCHANT1',
      timeoutMs: 5_000
    });
    const failure = await client
      .charge({
        idempotencyKey: newKey('stale'),
        amountMinor: 1000,
        currency: 'AUD',
        paymentToken: 'tok_0123456789abcdef0123456789abcdef'
      })
      .then(
        () => undefined,
        (error: unknown) => error
      );
    assert.equal(charges, 1, 'the gateway received the charge');
    assert.ok(failure instanceof Error, 'the charge failed');
    assert.ok(
      !(failure instanceof GatewayUnavailableError),
      `a possibly-received charge must not become "not sent": ${String(failure)}`
    );
    assert.ok(failure instanceof GatewayTimeoutError, String(failure));
  });
});
