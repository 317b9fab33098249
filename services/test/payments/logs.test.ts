// No card data in the service's logs: the whole flow with the simulator's real test cards
// (tokenized at the gateway as the browser does), every outcome (authorised, declined, timeout
// and reconciliation, gateway down, validation failures that carry card data), then a scan of
// every line the service logged at debug level for the PANs, CVVs and full payment tokens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API_TOKEN, CARDS, chargeBody, loadContract, newKey, startHarness } from './harness.ts';

const contract = loadContract();
// Distinct CVVs, so a leak cannot hide among other numbers.
const CVV: Record<string, string> = {
  [CARDS.visa]: '917',
  [CARDS.mastercard]: '826',
  [CARDS.amex]: '7351',
  [CARDS.declined]: '604',
  [CARDS.insufficientFunds]: '593',
  [CARDS.expired]: '482',
  [CARDS.timeout]: '371'
};
const USER_EMAIL = 'portal.user@example.com';

function walk(value: unknown, visit: (key: string, value: unknown) => void, key = ''): void {
  if (Array.isArray(value)) value.forEach((item) => walk(item, visit, key));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      visit(k, v);
      walk(v, visit, k);
    }
  }
}

test('the service logs no PAN, CVV or full payment token, whatever happens', async () => {
  // Processing window 0: the TIMEOUT_LATE card is found at once, like TIMEOUT.
  const h = await startHarness({
    gatewayTimeoutMs: 250,
    timeoutHoldMs: 800,
    processingWindowMs: 0,
    logLevel: 'trace'
  });
  const tokens: string[] = [];
  try {
    const userHeaders = {
      'x-sf-user-id': '005000000000001AAA',
      'x-sf-user-email': USER_EMAIL,
      'x-sf-contact-id': '003000000000001AAA',
      'x-sf-org-id': '00D000000000001EAA'
    };
    for (const card of Object.values(CARDS)) {
      const token = await h.tokenize(card, CVV[card]);
      tokens.push(token);
      const key = newKey('scan');
      const result = await h.pay(chargeBody(contract, token), { key, headers: userHeaders });
      assert.ok([200, 202].includes(result.status), JSON.stringify(result.body));
      if (result.status === 202) assert.equal((await h.get(key)).status, 200);
      // A replay too.
      await h.pay(chargeBody(contract, token), { key, headers: userHeaders });
    }
    // Gateway failing: a 503 to the charge (Unknown), and a 500 after it charged (Unknown).
    const downToken = await h.tokenize(CARDS.visa, CVV[CARDS.visa]);
    tokens.push(downToken);
    h.simulator.control.injectFailures({ status: 503, paths: ['/v2/payments'] });
    assert.equal((await h.pay(chargeBody(contract, downToken))).status, 202);
    h.simulator.control.clearFailures();
    const failingToken = await h.tokenize(CARDS.mastercard, CVV[CARDS.mastercard]);
    tokens.push(failingToken);
    h.simulator.control.failAfterCharging({ status: 500 });
    assert.equal((await h.pay(chargeBody(contract, failingToken))).status, 202);
    // A reused key with another token.
    const reuseKey = newKey('reuse');
    const reuseTokens = [
      await h.tokenize(CARDS.visa, CVV[CARDS.visa]),
      await h.tokenize(CARDS.mastercard, CVV[CARDS.mastercard])
    ];
    tokens.push(...reuseTokens);
    await h.pay(chargeBody(contract, reuseTokens[0] ?? ''), { key: reuseKey });
    assert.equal(
      (await h.pay(chargeBody(contract, reuseTokens[1] ?? ''), { key: reuseKey })).status,
      422
    );
    // Card data sent where it does not belong: refused, and not logged either.
    for (const card of Object.values(CARDS)) {
      const sneaky = { ...chargeBody(contract, card), cardNumber: card, cvv: CVV[card] };
      assert.equal((await h.pay(sneaky)).status, 400);
      assert.equal((await h.pay(`{"cardNumber":"${card}","cvv":"${CVV[card]}",`)).status, 400);
      assert.equal((await h.pay(chargeBody(contract, 'tok_x', { reference: card }))).status, 400);
    }
    // Bad bearer tokens are not logged either.
    await h.pay(chargeBody(contract, tokens[0] ?? ''), { token: `${API_TOKEN}-wrong` });
  } finally {
    await h.stop();
  }

  const logs = h.logs.join('\n');
  assert.ok(h.logs.length > 50, `${h.logs.length} lines logged`);
  // The flow was logged (token last 4 only), so the scan looked at the real thing.
  assert.match(logs, /"tokenLast4":"[0-9a-f]{4}"/);
  assert.match(logs, /"msg":"gateway answered"/);
  assert.match(logs, /"msg":"payment reconciled"/);
  assert.match(logs, /"sfUserId":"005000000000001AAA"/);
  for (const card of Object.values(CARDS)) {
    assert.equal(logs.includes(card), false, `PAN ${card} logged`);
  }
  // Nothing even had to be scrubbed by the logger's last line of defence.
  assert.equal(logs.includes('[REDACTED-PAN]'), false, 'a PAN reached the logger (scrubbed)');
  for (const token of tokens) {
    assert.equal(logs.includes(token), false, 'a full payment token was logged');
    assert.equal(logs.includes(token.slice(4)), false, 'the secret part of a token was logged');
  }
  assert.equal(logs.includes(API_TOKEN), false, 'the API token was logged');
  assert.equal(logs.includes(USER_EMAIL), false, 'the user email was logged (ids only)');
  for (const line of h.logs) {
    const entry = JSON.parse(line) as unknown;
    walk(entry, (key, value) => {
      assert.doesNotMatch(key, /^(cvv|cvc|cardNumber|pan|paymentToken|expiry.*)$/i, line);
      if (typeof value === 'string' || typeof value === 'number') {
        assert.equal(Object.values(CVV).includes(String(value)), false, `CVV in: ${line}`);
      }
    });
  }
});
