/**
 * Completion and callbacks: a check completes when the simulated clock reaches its due time,
 * with the result its passport number decides; the callback is signed as the contract says
 * (checked here with node:crypto directly, not with the simulator's own verifier), retried with
 * backoff until the receiver answers 2xx, and every callback fault does what it says.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeEach, describe, it } from 'node:test';
import { until } from '../../../toolkit/testing/wait.ts';
import { EVENT_ID_PATTERN } from '../src/ids.ts';
import { DAY_MS, TEST_PASSPORTS } from '../src/server.ts';
import { verifySignature } from '../src/signature.ts';
import {
  checkRequest,
  useBackCheck,
  useCallbackReceiver,
  type ReceivedCallback
} from './helpers/backcheck.ts';

/** A port nothing listens on (a server's, once it has closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The contract's check, written out independently of signature.ts. */
function signedCorrectly(secret: string, callback: ReceivedCallback): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(callback.signature ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', secret)
    .update(`${match[1]}.${callback.body}`)
    .digest('hex');
  const fresh = Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
  return expected === match[2] && fresh;
}

describe('BackCheck simulator: completion and callbacks', () => {
  const receiver = useCallbackReceiver();
  // Frozen wall clock: only advance() moves simulated time, so the exact backoff timings below
  // do not race real time on a busy machine.
  const frozenAt = Date.now();
  const bc = useBackCheck({
    completionDelay: { minMs: 2 * DAY_MS, maxMs: 2 * DAY_MS },
    wallClock: () => frozenAt
  });
  beforeEach(() => {
    bc.control.reset();
    bc.control.setCallbackUrl(receiver.url);
    bc.control.setRetryPolicy({ initialDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: 4 });
    receiver.received.length = 0;
    receiver.answers.length = 0;
  });

  const submit = async (passportNumber: string = TEST_PASSPORTS.clear) => {
    const answer = await bc.submit(checkRequest({ passportNumber }));
    assert.equal(answer.status, 202);
    return answer.body as { reference: string; clientReference: string };
  };
  const advance = async (ms: number) => {
    const outcome = bc.control.advanceClock(ms);
    await bc.control.callbacksSettled();
    return outcome;
  };

  it('draws the default completion delay between 2 and 3 days per check', async () => {
    const defaults = await import('./helpers/backcheck.ts').then((h) => h.startBackCheck());
    try {
      for (let i = 0; i < 20; i++) await defaults.submit(checkRequest());
      const delays = defaults.control
        .checks()
        .map((check) => Date.parse(check.dueAt) - Date.parse(check.submittedAt));
      assert.ok(
        delays.every((ms) => ms >= 2 * DAY_MS && ms <= 3 * DAY_MS),
        String(delays)
      );
      assert.ok(new Set(delays).size > 1, 'random per check');
    } finally {
      await defaults.close();
    }
  });

  it('completes when the clock reaches the due time and posts a correctly signed callback', async () => {
    const check = await submit();
    const early = await advance(2 * DAY_MS - 60_000);
    assert.deepEqual(early.completed, []);
    assert.equal((await bc.status(check.reference)).body.status, 'pending');
    assert.equal(receiver.received.length, 0);

    const due = await advance(60_000);
    assert.deepEqual(due.completed, [check.reference]);
    const status = await bc.status(check.reference);
    assert.equal(status.body.status, 'completed');
    assert.equal(status.body.result, 'clear');
    assert.equal(status.body.notes, null);
    assert.equal(receiver.received.length, 1);
    const [callback] = receiver.received;
    assert.ok(callback && signedCorrectly(bc.webhookSecret, callback), callback?.signature);
    assert.deepEqual(verifySignature(bc.webhookSecret, callback.body, callback.signature).ok, true);
    assert.deepEqual(Object.keys(callback.json), [
      'reference',
      'clientReference',
      'result',
      'notes',
      'completedAt',
      'eventId'
    ]);
    assert.equal(callback.json.reference, check.reference);
    assert.equal(callback.json.clientReference, check.clientReference);
    assert.equal(callback.json.completedAt, status.body.completedAt);
    assert.match(String(callback.json.eventId), EVENT_ID_PATTERN);
    assert.ok(!callback.body.includes('Lovelace') && !callback.body.includes('PA1234567'));
    assert.equal(bc.control.callbacks()[0]?.state, 'delivered');
  });

  it('decides the result by the passport number', async () => {
    const clear = await submit(TEST_PASSPORTS.clear);
    const notClear = await submit(TEST_PASSPORTS.notClear);
    const inconclusive = await submit(TEST_PASSPORTS.inconclusive);
    await advance(3 * DAY_MS);
    const results = Object.fromEntries(
      receiver.received.map((callback) => [callback.json.reference, callback.json])
    );
    assert.equal(results[clear.reference]?.result, 'clear');
    assert.equal(results[notClear.reference]?.result, 'not_clear');
    assert.match(String(results[notClear.reference]?.notes), /watch-list/);
    assert.equal(results[inconclusive.reference]?.result, 'inconclusive');
    assert.equal((await bc.status(notClear.reference)).body.result, 'not_clear');
  });

  it('retries a failed callback with exponential backoff, same eventId and body', async () => {
    receiver.answers.push(500, 503);
    await submit();
    await advance(2 * DAY_MS);
    assert.equal(receiver.received.length, 1);
    assert.equal(bc.control.callbacks()[0]?.state, 'retrying');
    await advance(999);
    assert.equal(receiver.received.length, 1, 'not before the first backoff (1 s)');
    await advance(1);
    assert.equal(receiver.received.length, 2);
    await advance(1999);
    assert.equal(receiver.received.length, 2, 'the second wait doubles (2 s)');
    await advance(1);
    assert.equal(receiver.received.length, 3);
    const [first, second, third] = receiver.received;
    assert.equal(second?.body, first?.body);
    assert.equal(third?.body, first?.body);
    assert.ok(receiver.received.every((callback) => signedCorrectly(bc.webhookSecret, callback)));
    const event = bc.control.callbacks()[0];
    assert.equal(event?.state, 'delivered');
    assert.deepEqual(
      event?.attempts.map((attempt) => attempt.status),
      [500, 503, 200]
    );
  });

  it('gives up after the configured number of attempts', async () => {
    receiver.answers.push(500, 500, 500, 500, 500);
    await submit();
    await advance(2 * DAY_MS);
    for (let i = 0; i < 5; i++) await advance(60_000);
    assert.equal(receiver.received.length, 4, 'maxAttempts 4');
    assert.equal(bc.control.callbacks()[0]?.state, 'failed');
  });

  it('retries when the receiver is unreachable, and when no callback URL is set yet', async () => {
    bc.control.setCallbackUrl(undefined);
    await submit();
    await advance(2 * DAY_MS);
    assert.equal(bc.control.callbacks()[0]?.attempts[0]?.error, 'no callback URL');
    bc.control.setCallbackUrl(`http://127.0.0.1:${await closedPort()}/unreachable`);
    await advance(1000);
    assert.equal(bc.control.callbacks()[0]?.attempts[1]?.error, 'ECONNREFUSED');
    bc.control.setCallbackUrl(receiver.url);
    await advance(2000);
    assert.equal(receiver.received.length, 1);
    assert.equal(bc.control.callbacks()[0]?.state, 'delivered');
  });

  it('does not retry, after a reset, a callback that was in flight during it', async () => {
    // A receiver that answers slowly, so the reset lands while the attempt is in flight.
    let hits = 0;
    const slow = createServer((_request, response) => {
      hits++;
      setTimeout(() => response.writeHead(500).end(), 300);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/cb`;
      bc.control.setCallbackUrl(url);
      await submit();
      bc.control.advanceClock(2 * DAY_MS);
      await until(() => hits === 1, 'the first attempt');
      bc.control.reset();
      bc.control.setCallbackUrl(url);
      bc.control.setRetryPolicy({ initialDelayMs: 10 });
      await bc.control.callbacksSettled();
      await advance(3_600_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(hits, 1, 'the forgotten event was sent again');
    } finally {
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('lose: the next callback never arrives, the status endpoint still has the result', async () => {
    const rule = await bc.request('POST', '/__sim/callback-faults', { kind: 'lose' });
    assert.equal(rule.status, 201);
    const lost = await submit(TEST_PASSPORTS.notClear);
    const kept = await submit();
    await advance(2 * DAY_MS);
    for (let i = 0; i < 5; i++) await advance(3_600_000);
    assert.deepEqual(
      receiver.received.map((callback) => callback.json.reference),
      [kept.reference]
    );
    assert.equal((await bc.status(lost.reference)).body.result, 'not_clear');
    assert.equal(bc.control.callbacks()[0]?.state, 'lost');
  });

  it('duplicate: the callback arrives twice with the same eventId', async () => {
    bc.control.injectCallbackFault({ kind: 'duplicate' });
    await submit();
    await advance(2 * DAY_MS);
    assert.equal(receiver.received.length, 2);
    assert.equal(receiver.received[1]?.body, receiver.received[0]?.body);
    assert.equal(receiver.received[1]?.json.eventId, receiver.received[0]?.json.eventId);
    assert.ok(receiver.received.every((callback) => signedCorrectly(bc.webhookSecret, callback)));
  });

  it('delay: the callback waits the given simulated time', async () => {
    bc.control.injectCallbackFault({ kind: 'delay', delayMs: 3_600_000 });
    const check = await submit();
    await advance(2 * DAY_MS);
    assert.equal((await bc.status(check.reference)).body.status, 'completed');
    assert.equal(receiver.received.length, 0);
    await advance(3_599_000);
    assert.equal(receiver.received.length, 0);
    await advance(1000);
    assert.equal(receiver.received.length, 1);
    assert.ok(signedCorrectly(bc.webhookSecret, receiver.received[0]!), 'signed when sent');
  });

  it('reorder: the next N callbacks arrive newest first', async () => {
    bc.control.setCompletionDelay({ minMs: DAY_MS, maxMs: DAY_MS });
    bc.control.injectCallbackFault({ kind: 'reorder', count: 3 });
    const references: string[] = [];
    for (let i = 0; i < 3; i++) {
      references.push((await submit()).reference);
      bc.control.advanceClock(60_000); // completion order = submission order
    }
    await advance(DAY_MS - 120_000);
    assert.equal(receiver.received.length, 0, 'held until the group is complete');
    await advance(120_000);
    await until(() => receiver.received.length === 3, 'three callbacks');
    assert.deepEqual(
      receiver.received.map((callback) => callback.json.reference),
      references.reverse()
    );
  });

  it('reorder: held callbacks can be released before the group fills', async () => {
    bc.control.injectCallbackFault({ kind: 'reorder', count: 5 });
    await submit();
    await advance(2 * DAY_MS);
    assert.equal(receiver.received.length, 0);
    assert.deepEqual((await bc.request('POST', '/__sim/callback-faults/release')).body, {
      released: 1
    });
    await bc.control.callbacksSettled();
    assert.equal(receiver.received.length, 1);
  });

  it('bad_signature: every attempt is signed with a wrong secret', async () => {
    receiver.answers.push(401, 401, 401, 401);
    bc.control.injectCallbackFault({ kind: 'bad_signature' });
    await submit();
    await advance(2 * DAY_MS);
    for (let i = 0; i < 4; i++) await advance(60_000);
    assert.equal(receiver.received.length, 4);
    for (const callback of receiver.received) {
      assert.match(String(callback.signature), /^t=\d+,v1=[0-9a-f]{64}$/, 'well-formed');
      assert.equal(signedCorrectly(bc.webhookSecret, callback), false);
      assert.equal(verifySignature(bc.webhookSecret, callback.body, callback.signature).ok, false);
    }
    assert.equal(bc.control.callbacks()[0]?.state, 'failed');
    // The next check is signed properly again.
    await submit();
    await advance(2 * DAY_MS);
    assert.ok(signedCorrectly(bc.webhookSecret, receiver.received.at(-1)!));
  });

  it('refuses invalid callback faults and retry policies with 400', async () => {
    for (const body of [
      { kind: 'explode' },
      { kind: 'delay' },
      { kind: 'lose', delayMs: 5 },
      { kind: 'reorder', count: 1 },
      { kind: 'duplicate', count: 0 }
    ]) {
      const answer = await bc.request('POST', '/__sim/callback-faults', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error, 'validation_failed');
    }
    const policy = await bc.request('POST', '/__sim/retry-policy', { maxAttempts: 0 });
    assert.equal(policy.status, 400);
    assert.equal((await bc.request('GET', '/__sim/callback-faults')).body.rules.length, 0);
  });

  it('is driven over HTTP: callback URL, completion delay, clock, callbacks list', async () => {
    await bc.request('POST', '/__sim/callback-url', { url: receiver.url });
    const delay = await bc.request('POST', '/__sim/completion-delay', { minMs: 5000, maxMs: 5000 });
    assert.deepEqual(delay.body, { minMs: 5000, maxMs: 5000 });
    const check = await submit();
    const advanced = await bc.request('POST', '/__sim/clock/advance', { ms: 5000 });
    assert.deepEqual(advanced.body.completed, [check.reference]);
    await bc.control.callbacksSettled();
    const listed = await bc.request('GET', '/__sim/callbacks');
    assert.equal(listed.body.count, 1);
    assert.equal(listed.body.callbacks[0].reference, check.reference);
    assert.equal(listed.body.callbacks[0].apiKey, undefined);
    const clock = await bc.request('GET', '/__sim/clock');
    assert.equal(clock.body.offsetMs, 5000);
  });
});
