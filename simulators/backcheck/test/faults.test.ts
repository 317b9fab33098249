/**
 * Submit faults (500, 503, 'timeout', latency), the request log, reset, and who may use the
 * control API (loopback, driver secret).
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { DAY_MS } from '../src/server.ts';
import { checkRequest, useBackCheck } from './helpers/backcheck.ts';

describe('BackCheck simulator: submit faults, request log, reset', () => {
  const bc = useBackCheck({ timeoutHoldMs: 300 });
  beforeEach(() => bc.control.reset());

  it('fails the next N submits with 503 or 500, creating no check, then accepts', async () => {
    const rule = await bc.request('POST', '/__sim/failures', {
      status: 503,
      count: 2,
      paths: ['/v1/checks'],
      methods: ['POST']
    });
    assert.equal(rule.status, 201);
    bc.control.injectFailures({ status: 500, count: 1, methods: ['POST'] });
    const request = checkRequest();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const answer = await bc.submit(request, { idempotencyKey: 'retry-key' });
      statuses.push(answer.status);
      if (answer.status >= 500) assert.equal(bc.control.checks().length, 0);
    }
    assert.deepEqual(statuses, [503, 503, 500, 202]);
    assert.equal(bc.control.checks().length, 1);
    const log = bc.control.requests();
    assert.deepEqual(
      log.map((entry) => [entry.status, entry.injected ?? null]),
      [
        [503, '503'],
        [503, '503'],
        [500, '500'],
        [202, null]
      ]
    );
  });

  it("'timeout' holds the submit past the client's timeout and drops it unanswered", async () => {
    bc.control.injectFailures({ status: 'timeout', count: 1 });
    await assert.rejects(
      fetch(`${bc.url}/v1/checks/bck_00000000000000000000000000`, {
        headers: { authorization: `Bearer ${bc.apiKey}` },
        signal: AbortSignal.timeout(100)
      })
    );
    const started = Date.now();
    bc.control.injectFailures({ status: 'timeout', count: 1 });
    await assert.rejects(bc.submit(checkRequest()), 'the connection is dropped after the hold');
    assert.ok(Date.now() - started >= 250);
    assert.equal(bc.control.checks().length, 0);
    assert.equal(bc.control.requests().at(-1)?.injected, 'timeout');
    assert.equal((await bc.submit(checkRequest())).status, 202, 'the next one goes through');
  });

  it('slows every agency answer by the latency, not the control API', async () => {
    assert.deepEqual((await bc.request('POST', '/__sim/latency', { ms: 200 })).body, { ms: 200 });
    let started = Date.now();
    assert.equal((await bc.submit(checkRequest())).status, 202);
    assert.ok(Date.now() - started >= 190, `took ${Date.now() - started} ms`);
    started = Date.now();
    await bc.request('GET', '/__sim/checks');
    assert.ok(Date.now() - started < 150);
    assert.equal((await bc.request('POST', '/__sim/latency', { ms: -1 })).status, 400);
  });

  it('refuses invalid failure rules with 400', async () => {
    for (const body of [{ status: 404 }, { status: 429 }, { status: 503, count: 0 }, []]) {
      const answer = await bc.request('POST', '/__sim/failures', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error, 'validation_failed');
    }
    for (const body of [{ minMs: 5, maxMs: 1 }, { minMs: -1, maxMs: 1 }, {}]) {
      const answer = await bc.request('POST', '/__sim/completion-delay', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
    }
    const url = await bc.request('POST', '/__sim/callback-url', { url: 'ftp://example' });
    assert.equal(url.status, 400);
  });

  it('logs requests without bodies and lists checks without subject data', async () => {
    const { body } = await bc.submit(checkRequest({ passportNumber: 'XY1111119' }));
    await bc.status(body.reference);
    const log = (await bc.request('GET', '/__sim/requests')).body;
    assert.equal(log.count, 2);
    assert.deepEqual(
      log.requests.map((entry: { route: string; reference: string }) => [
        entry.route,
        entry.reference
      ]),
      [
        ['/v1/checks', body.reference],
        ['/v1/checks/:reference', body.reference]
      ]
    );
    const checks = (await bc.request('GET', '/__sim/checks')).body;
    assert.equal(checks.count, 1);
    assert.ok(!JSON.stringify(checks).includes('XY1111119'));
  });

  it('reset forgets checks, keys, rules, callbacks, requests and the clock offset', async () => {
    const first = await bc.submit(checkRequest(), { idempotencyKey: 'kept?' });
    bc.control.injectFailures({ status: 503, count: 5, methods: ['GET'] });
    bc.control.injectCallbackFault({ kind: 'lose', count: 3 });
    bc.control.setCompletionDelay({ minMs: 1, maxMs: 1 });
    bc.control.advanceClock(DAY_MS);
    assert.deepEqual((await bc.request('POST', '/__sim/reset')).body, { reset: true });
    assert.equal(bc.control.checks().length, 0);
    assert.equal(bc.control.failures().length, 0);
    assert.equal(bc.control.callbackFaults().length, 0);
    assert.equal(bc.control.callbacks().length, 0);
    assert.equal(bc.control.requests().length, 0);
    assert.equal(bc.control.clock().offsetMs, 0);
    assert.deepEqual(bc.control.completionDelay(), { minMs: 2 * DAY_MS, maxMs: 3 * DAY_MS });
    assert.equal((await bc.status(first.body.reference)).status, 404);
    const again = await bc.submit(checkRequest(), { idempotencyKey: 'kept?' });
    assert.notEqual(again.body.reference, first.body.reference);
  });
});

describe('BackCheck simulator: control API access', () => {
  const bc = useBackCheck({ driverSecret: 'backcheck-driver-s3cret' });

  it('needs the driver secret when started with one', async () => {
    const refused = await fetch(`${bc.url}/__sim/checks`);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: string }).error, 'unauthorized');
    const wrong = await fetch(`${bc.url}/__sim/reset`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope' }
    });
    assert.equal(wrong.status, 401);
    assert.equal((await bc.request('GET', '/__sim/checks')).status, 200);
  });

  it('does not take the API key for the control API, nor the driver secret for the agency', async () => {
    const control = await fetch(`${bc.url}/__sim/checks`, {
      headers: { authorization: `Bearer ${bc.apiKey}` }
    });
    assert.equal(control.status, 401);
    const agency = await bc.submit(checkRequest(), {
      authorization: `Bearer ${String(bc.driverSecret)}`
    });
    assert.equal(agency.status, 401);
  });
});
