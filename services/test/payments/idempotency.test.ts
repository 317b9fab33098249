// One key, one charge: 1,000 concurrent identical requests to one instance, and duplicates spread
// over two instances sharing the database, each end with exactly one charge at the gateway and
// the same answer for every caller.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_TOKEN, CARDS, chargeBody, loadContract, newKey, startHarness } from './harness.ts';
import type { Harness } from './harness.ts';

const contract = loadContract();

// Node's fetch opens as many connections as there are requests in flight: the 1,000 are truly
// concurrent at the server.
async function post(url: string, key: string, body: unknown) {
  const response = await fetch(`${url}/payments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${API_TOKEN}`,
      'content-type': 'application/json',
      'idempotency-key': key
    },
    body: JSON.stringify(body)
  });
  return { status: response.status, text: await response.text() };
}

describe('payments idempotency under concurrent duplicates', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ logLevel: 'warn' });
  });
  after(async () => {
    await h?.stop();
  });

  test('1,000 concurrent requests with one key -> exactly one charge, 1,000 identical answers', async () => {
    const key = newKey('burst');
    const body = chargeBody(contract, await h.tokenize(CARDS.visa));
    const answers = await Promise.all(Array.from({ length: 1000 }, () => post(h.url, key, body)));
    const distinct = new Set(answers.map((a) => `${a.status} ${a.text}`));
    assert.equal(distinct.size, 1, [...distinct].slice(0, 3).join('\n'));
    assert.equal(answers[0]?.status, 200);
    assert.equal((JSON.parse(answers[0]?.text ?? '{}') as { status: string }).status, 'Authorised');
    const charges = h.simulator.control.charges().filter((c) => c.idempotencyKey === key);
    assert.equal(charges.length, 1);
    assert.equal(h.simulator.control.requests().byRoute['POST /v2/payments'], 1);
    const { rows } = await h.database.pool.query(
      'SELECT count(*)::int AS n FROM payment_requests WHERE idempotency_key = $1',
      [key]
    );
    assert.equal(rows[0].n, 1);
  });

  test('same key, different bodies at once: one charge; the others 422', async () => {
    const key = newKey('mixed');
    const token = await h.tokenize(CARDS.visa);
    const bodies = Array.from({ length: 50 }, (_, i) =>
      chargeBody(contract, token, { amountMinor: i % 2 === 0 ? 1000 : 2000 })
    );
    const answers = await Promise.all(bodies.map((b) => post(h.url, key, b)));
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 422);
    assert.equal(ok.length + refused.length, 50);
    assert.equal(ok.length, 25);
    assert.equal(new Set(ok.map((a) => a.text)).size, 1);
    assert.match(refused[0]?.text ?? '', /idempotency_key_reused/);
    assert.equal(h.simulator.control.charges().filter((c) => c.idempotencyKey === key).length, 1);
  });

  test('two instances on one database: duplicates spread over both -> one charge, same answer', async () => {
    const second = await startHarness({
      database: h.database,
      simulator: h.simulator,
      logLevel: 'warn'
    });
    try {
      const key = newKey('two');
      const body = chargeBody(contract, await h.tokenize(CARDS.mastercard));
      const answers = await Promise.all(
        Array.from({ length: 400 }, (_, i) => post(i % 2 === 0 ? h.url : second.url, key, body))
      );
      const distinct = new Set(answers.map((a) => `${a.status} ${a.text}`));
      assert.equal(distinct.size, 1, [...distinct].slice(0, 3).join('\n'));
      assert.equal(answers[0]?.status, 200);
      assert.equal(h.simulator.control.charges().filter((c) => c.idempotencyKey === key).length, 1);
    } finally {
      await second.stop();
    }
  });

  test('a duplicate that waits too long for another instance gets 409 payment_in_progress', async () => {
    const impatient = await startHarness({
      database: h.database,
      simulator: h.simulator,
      inProgressWaitMs: 100,
      logLevel: 'warn'
    });
    try {
      const key = newKey('slow');
      const body = chargeBody(contract, await h.tokenize(CARDS.visa));
      h.simulator.control.setLatency(600);
      const first = post(h.url, key, body);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const waiting = await post(impatient.url, key, body);
      assert.equal(waiting.status, 409, waiting.text);
      assert.match(waiting.text, /payment_in_progress/);
      const done = await first;
      assert.equal(done.status, 200);
      // Once done, the other instance answers the stored result.
      const later = await post(impatient.url, key, body);
      assert.deepEqual(later, done);
    } finally {
      h.simulator.control.setLatency(0);
      await impatient.stop();
    }
  });
});
