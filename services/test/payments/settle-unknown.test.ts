// Settling Unknown payments the gateway does not know (issue 11, finding 7), against the SecurePay
// simulator, which models both kinds of timed-out charge: one never applied (an injected
// 'timeout' drops the request before the gateway processes it) and one applied late (the
// TIMEOUT_LATE card: charged, but unknown to the lookup until the processing window has
// passed). Within the grace period both stay Unknown; after it, the one the gateway still does
// not know is final Error GATEWAY_NOT_CHARGED, and the late one is Authorised, never Error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CARDS, chargeBody, loadContract, newKey, startHarness } from './harness.ts';
import type { Harness } from './harness.ts';

const contract = loadContract();
const GATEWAY_TIMEOUT_MS = 250;
// The grace period is never shorter than the gateway timeout + 5 s (config.ts).
const GRACE_MS = GATEWAY_TIMEOUT_MS + 5_000;
const PROCESSING_WINDOW_MS = 2_500;

async function settled(h: Harness, key: string, deadline: number) {
  for (;;) {
    const answer = await h.get(key);
    if (answer.status !== 202 || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('an Unknown payment the gateway does not know is final Error only after the grace period', async () => {
  const h = await startHarness({
    gatewayTimeoutMs: GATEWAY_TIMEOUT_MS,
    timeoutHoldMs: 600,
    processingWindowMs: PROCESSING_WINDOW_MS,
    notChargedAfterMs: 1_000
  });
  try {
    // Never applied: the request is lost before the gateway processes it.
    h.simulator.control.injectFailures({ status: 'timeout', paths: ['/v2/payments'], count: 1 });
    const lostKey = newKey('lost');
    const lost = await h.pay(chargeBody(contract, await h.tokenize(CARDS.visa)), { key: lostKey });
    assert.equal(lost.status, 202, JSON.stringify(lost.body));
    // Applied late: charged, unknown to the lookup for the processing window.
    const lateKey = newKey('late');
    const started = Date.now();
    const late = await h.pay(chargeBody(contract, await h.tokenize(CARDS.timeoutLate)), {
      key: lateKey
    });
    assert.equal(late.status, 202, JSON.stringify(late.body));

    // Within the window the gateway knows neither: both stay Unknown, neither becomes Error.
    assert.equal((await h.get(lostKey)).body.status, 'Unknown');
    assert.equal((await h.get(lateKey)).body.status, 'Unknown');

    const deadline = started + GRACE_MS + 6_000;
    const lateAnswer = await settled(h, lateKey, deadline);
    assert.equal(lateAnswer.status, 200, JSON.stringify(lateAnswer.body));
    assert.equal(lateAnswer.body.status, 'Authorised', 'charged late: never called not charged');

    const lostAnswer = await settled(h, lostKey, deadline);
    assert.ok(Date.now() - started >= GRACE_MS - 500, 'not settled before the grace period');
    assert.equal(lostAnswer.status, 502, JSON.stringify(lostAnswer.body));
    assert.equal(lostAnswer.body.status, 'Error');
    assert.equal(lostAnswer.body.reasonCode, 'GATEWAY_NOT_CHARGED');
    // Final: asked again, the same answer, and the gateway charged only the late card.
    assert.deepEqual((await h.get(lostKey)).body, lostAnswer.body);
    assert.deepEqual(
      h.simulator.control.charges().map((charge) => charge.status),
      ['paid']
    );
  } finally {
    await h.stop();
  }
});
