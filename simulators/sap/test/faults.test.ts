import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { d, sapError, startTestSap, type TestSap } from './helpers/sap.ts';

describe('SAP simulator: failures, latency, control API', () => {
  let sap: TestSap;
  before(async () => {
    sap = await startTestSap({ timeoutHoldMs: 400 });
  });
  after(() => sap.close());
  beforeEach(async () => {
    sap.control.reset();
    await sap.fetchToken();
  });

  it('fails the next N requests with 503 and an SAP body, then succeeds', async () => {
    const rule = await sap.sim('POST', 'failures', { status: 503, count: 3 });
    assert.equal(rule.status, 201);
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const response = await sap.call('POST', 'A_BusinessPartner', sap.partnerBody());
      statuses.push(response.status);
      if (response.status === 503) assert.match(sapError(response).message.value, /unavailable/i);
    }
    assert.deepEqual(statuses, [503, 503, 503, 201]);
    assert.equal(sap.control.partners().length, 1, 'failed requests create nothing');
    const counts = sap.control.requests();
    assert.equal(counts.injectedFailures, 3);
    assert.equal(counts.byRoute['POST A_BusinessPartner'], 4);
    assert.deepEqual((await sap.sim('GET', 'failures')).body, { rules: [] });
  });

  it('limits failures to paths and methods, and answers 429 with Retry-After and 500', async () => {
    sap.control.injectFailures({
      status: 429,
      count: 1,
      paths: ['A_BusinessPartner'],
      methods: ['POST']
    });
    sap.control.injectFailures({ status: 500, count: 1, paths: ["A_BusinessPartner('"] });
    assert.equal((await sap.call('GET', 'A_BusinessPartner')).status, 200, 'GET not matched');
    const limited = await sap.call('POST', 'A_BusinessPartner', sap.partnerBody());
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    const created = await sap.call('POST', 'A_BusinessPartner', sap.partnerBody());
    assert.equal(created.status, 201);
    const broken = await sap.call(
      'GET',
      `A_BusinessPartner('${String(d(created).BusinessPartner)}')`
    );
    assert.equal(broken.status, 500);
    assert.equal(typeof sapError(broken).code, 'string');
  });

  it('fails about `rate` of the requests, reproducibly for a seed', async () => {
    const run = async () => {
      sap.control.reset();
      sap.control.injectFailures({ status: 503, rate: 0.3 });
      const statuses: number[] = [];
      for (let i = 0; i < 200; i++)
        statuses.push((await sap.call('GET', 'A_BusinessPartner')).status);
      return statuses;
    };
    const first = await run();
    const failures = first.filter((s) => s === 503).length;
    assert.ok(failures > 35 && failures < 85, `${failures} of 200 failed`);
    assert.ok(first.every((s) => s === 503 || s === 200));
    assert.deepEqual(await run(), first, 'same seed, same sequence');
    sap.control.reset();
    sap.control.injectFailures({ status: 503, rate: 1, count: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await sap.call('GET', 'A_BusinessPartner')).status);
    assert.deepEqual(statuses, [503, 503, 200], 'count caps a rate rule');
  });

  it("holds a 'timeout' request past the client's timeout", async () => {
    sap.control.injectFailures({ status: 'timeout', count: 1 });
    const started = Date.now();
    await assert.rejects(
      fetch(`${sap.serviceUrl}/A_BusinessPartner`, {
        headers: { authorization: sap.authorization, accept: 'application/json' },
        signal: AbortSignal.timeout(150)
      }),
      (error: Error) => error.name === 'TimeoutError'
    );
    assert.ok(Date.now() - started >= 140);
    // After the hold (400 ms here) the simulator answers 504; the next request is fine.
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal((await sap.call('GET', 'A_BusinessPartner')).status, 200);
  });

  it('closes promptly while a timeout request is held', async () => {
    const other = await startTestSap();
    other.control.injectFailures({ status: 'timeout' });
    const pending = fetch(`${other.serviceUrl}/A_BusinessPartner`, {
      headers: { authorization: other.authorization }
    }).then(
      (r) => r.status,
      () => 'aborted'
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await other.close();
    assert.ok(Date.now() - started < 2000, 'close does not wait for the 60 s hold');
    assert.equal(await pending, 'aborted');
  });

  it('adds latency to SAP paths only', async () => {
    const set = await sap.sim('POST', 'latency', { ms: 120 });
    assert.deepEqual(set.body, { ms: 120 });
    let started = performance.now();
    assert.equal((await sap.call('GET', 'A_BusinessPartner')).status, 200);
    assert.ok(performance.now() - started >= 115, 'SAP request delayed');
    started = performance.now();
    await sap.sim('GET', 'requests');
    assert.ok(performance.now() - started < 100, 'control API not delayed');
    sap.control.setLatency(0);
    started = performance.now();
    await sap.call('GET', 'A_BusinessPartner');
    assert.ok(performance.now() - started < 100);
  });

  it('applies the latency option at start and after a reset', async () => {
    const slow = await startTestSap({ latencyMs: 80 });
    try {
      let started = performance.now();
      await slow.call('GET', 'A_BusinessPartner');
      assert.ok(performance.now() - started >= 75);
      slow.control.setLatency(0);
      slow.control.reset();
      assert.equal(slow.control.latencyMs(), 80, 'reset restores the start latency');
      started = performance.now();
      await slow.call('GET', 'A_BusinessPartner');
      assert.ok(performance.now() - started >= 75);
    } finally {
      await slow.close();
    }
  });

  it('resets over HTTP and lists partners and request counts', async () => {
    await sap.call('POST', 'A_BusinessPartner', sap.partnerBody());
    await sap.call('POST', 'A_BusinessPartner', sap.partnerBody({ OrganizationBPName1: 'Beta' }));
    const listed = await sap.sim('GET', 'partners');
    const body = listed.body as { count: number; partners: Array<Record<string, unknown>> };
    assert.equal(body.count, 2);
    assert.deepEqual(
      body.partners.map((p) => p.OrganizationBPName1),
      ['Acme Industrial GmbH', 'Beta']
    );
    assert.ok('results' in (body.partners[0]?.to_BusinessPartnerAddress as object));
    const one = await sap.sim('GET', `partners/${String(body.partners[1]?.BusinessPartner)}`);
    assert.equal((one.body as Record<string, unknown>).OrganizationBPName1, 'Beta');
    const counts = (await sap.sim('GET', 'requests')).body as {
      total: number;
      byRoute: Record<string, number>;
    };
    assert.equal(counts.byRoute['POST A_BusinessPartner'], 2);
    assert.equal(counts.byRoute['GET (service root)'], 1);
    const reset = await sap.sim('POST', 'reset', {});
    assert.equal(reset.status, 200);
    assert.equal(((await sap.sim('GET', 'partners')).body as { count: number }).count, 0);
    assert.equal(sap.control.requests().total, 0);
    assert.equal(
      (await sap.call('POST', 'A_BusinessPartner', sap.partnerBody())).status,
      403,
      'sessions ended'
    );
    const bad = await sap.sim('POST', 'failures', { status: 404 });
    assert.equal(bad.status, 400);
  });

  it('creates 100 partners in parallel with 100 distinct numbers', async () => {
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        sap.call(
          'POST',
          'A_BusinessPartner',
          sap.partnerBody({ OrganizationBPName1: `Parallel ${i}` })
        )
      )
    );
    assert.ok(responses.every((r) => r.status === 201));
    const numbers = new Set(responses.map((r) => d(r).BusinessPartner));
    assert.equal(numbers.size, 100);
    assert.equal(sap.control.partners().length, 100);
  });
});
