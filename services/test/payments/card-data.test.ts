// Card numbers in every form (pan-forms.ts) against the running payments service (issue 11,
// findings 8 and 10): in the path of GET /payments/{key} and of unknown routes, and as the
// payment token of POST /payments. The answer (404/400) never echoes them, no log line holds
// them, and a card number given as the token is refused before the gateway is called.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { API_TOKEN, CARDS, chargeBody, loadContract, newKey, startHarness } from './harness.ts';
import type { Harness } from './harness.ts';
import { holdsPan, panForm, pathPanForm } from './pan-forms.ts';

const contract = loadContract();

describe('payments: card numbers in requests', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ logLevel: 'trace' });
  });
  after(async () => {
    await h?.stop();
  });

  const paymentsCharged = () => h.simulator.control.requests().byRoute['POST /v2/payments'] ?? 0;
  const logsHold = (pan: string) => h.logs.some((line) => holdsPan(line, pan));

  test('404 and 400 answers never echo the path, and no log line holds the card number', async () => {
    await fc.assert(
      // Every form, the hostile ones too (issue 12, finding 2): no raw path is ever logged.
      fc.asyncProperty(pathPanForm, async ({ pan, text }) => {
        for (const path of [`/payments/${text}`, `/x/${text}`, `/payments/pay-${text}/more`]) {
          const response = await fetch(`${h.url}${path}`, {
            headers: { authorization: `Bearer ${API_TOKEN}` }
          });
          const body = await response.text();
          // 414 when a path parameter is longer than the router takes (long encoded forms).
          assert.ok(
            [400, 404, 414].includes(response.status),
            `${path}: ${response.status} ${body}`
          );
          assert.equal(holdsPan(body, pan), false, `${path}: ${body}`);
        }
        assert.equal(logsHold(pan), false, `a log line holds ${text}`);
      }),
      { numRuns: 300 }
    );
  });

  test('request lines log the route template, never a path; params only once validated', async () => {
    const start = h.logs.length;
    const auth = { authorization: `Bearer ${API_TOKEN}` };
    const key = newKey('route');
    const requests: Array<[string, Record<string, string>, number]> = [
      [`/payments/${key}`, auth, 404], // valid key, no such payment
      ['/payments/4111,1111,1111,1111', auth, 400], // fails validation
      ['/payments/4111,1111,1111,1111', {}, 401], // unauthenticated
      ['/nowhere/4111:1111:1111:1111', auth, 404] // no route
    ];
    for (const [path, headers, status] of requests) {
      const response = await fetch(`${h.url}${path}`, { headers });
      assert.equal(response.status, status, path);
    }
    const completed = h.logs
      .slice(start)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'request completed');
    assert.deepEqual(
      completed.map((line) => [line.method, line.route, line.params, line.statusCode]),
      [
        ['GET', '/payments/:key', { key }, 404],
        ['GET', '/payments/:key', undefined, 400],
        ['GET', '/payments/:key', undefined, 401],
        ['GET', 'unmatched route', undefined, 404]
      ]
    );
    for (const line of completed) {
      assert.equal(line.url, undefined, 'no raw path');
      assert.equal(typeof line.ms, 'number');
    }
    assert.equal(logsHold(CARDS.visa), false);
  });

  test('a card number as the payment token: 400, not sent to the gateway, not logged', async () => {
    const before = paymentsCharged();
    await fc.assert(
      fc.asyncProperty(panForm, async ({ pan, text }) => {
        for (const paymentToken of [text, `tok_${text}`]) {
          const answer = await h.pay(chargeBody(contract, paymentToken), { key: newKey('pan') });
          assert.equal(answer.status, 400, JSON.stringify(answer.body));
          assert.equal(holdsPan(JSON.stringify(answer.body), pan), false);
        }
        assert.equal(logsHold(pan), false, `a log line holds ${text}`);
      }),
      { numRuns: 150 }
    );
    // Token-shaped, but holding a card number (32 hex digits with a Visa test number inside).
    const hidden = `tok_${CARDS.visa}${'0'.repeat(16)}`;
    const answer = await h.pay(chargeBody(contract, hidden), { key: newKey('hid') });
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.equal(logsHold(CARDS.visa), false);
    // Token-shaped strings that are not the gateway's token format are refused too.
    for (const token of [
      'tok_ABCDEF0123456789ABCDEF0123456789',
      'card_0123456789abcdef',
      'x'.repeat(40)
    ]) {
      assert.equal((await h.pay(chargeBody(contract, token))).status, 400, token);
    }
    assert.equal(paymentsCharged(), before, 'nothing reached the gateway');
    // A real token still pays.
    const paid = await h.pay(chargeBody(contract, await h.tokenize(CARDS.visa)));
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
  });
});
