/**
 * Who may use the control API (`/__sim/*`): loopback clients only, and with the driver secret
 * (`Authorization: Bearer <secret>`) when the simulator was started with one.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { startSapSimulator } from '../src/server.ts';
import { startTestSap, type TestSap } from './helpers/sap.ts';

const SECRET = 'sap-driver-s3cret';

/** An IPv4 address of this machine that is not loopback, if it has one. */
function nonLoopbackIpv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

async function control(
  base: string,
  method: string,
  path: string,
  authorization?: string
): Promise<{
  status: number;
  headers: Headers;
  body: { error?: string } & Record<string, unknown>;
}> {
  const response = await fetch(`${base}/__sim/${path}`, {
    method,
    headers: authorization === undefined ? {} : { authorization }
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as { error?: string }
  };
}

describe('SAP simulator: control API access', () => {
  describe('with a driver secret (bound to 0.0.0.0)', () => {
    let sap: TestSap;
    let port = '';
    let local = '';
    before(async () => {
      sap = await startTestSap({ host: '0.0.0.0', driverSecret: SECRET });
      port = new URL(sap.url).port;
      local = `http://127.0.0.1:${port}`;
    });
    after(() => sap.close());

    it('refuses a request without the secret with 401 and says what to send', async () => {
      sap.control.injectFailures({ status: 503, count: 1 });
      for (const [method, path] of [
        ['POST', 'reset'],
        ['GET', 'partners'],
        ['DELETE', 'failures'],
        ['GET', 'no-such-route']
      ] as const) {
        const refused = await control(local, method, path);
        assert.equal(refused.status, 401, `${method} ${path}`);
        assert.match(String(refused.body.error), /Authorization: Bearer <driver secret>/);
        assert.equal(
          refused.headers.get('www-authenticate'),
          'Bearer realm="sap-simulator-control"'
        );
      }
      assert.equal(sap.control.failures().length, 1, 'nothing was changed');
      sap.control.clearFailures();
    });

    it('refuses a wrong secret, and SAP credentials, with 401', async () => {
      for (const authorization of [`Bearer ${SECRET}x`, 'Bearer x', sap.authorization, SECRET]) {
        const refused = await control(local, 'GET', 'partners', authorization);
        assert.equal(refused.status, 401, authorization);
      }
      const wrong = await control(local, 'GET', 'partners', 'Bearer x');
      assert.match(String(wrong.body.error), /Wrong driver secret/);
    });

    it('answers the right secret; the test helper sends it by itself', async () => {
      const listed = await control(local, 'GET', 'partners', `Bearer ${SECRET}`);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body, { count: 0, partners: [] });
      assert.equal((await sap.sim('POST', 'failures', { status: 503, count: 1 })).status, 201);
      assert.equal((await sap.call('GET', 'A_BusinessPartner')).status, 503);
      assert.equal((await sap.sim('POST', 'reset', {})).status, 200);
      assert.equal((await sap.sim('GET', 'failures')).status, 200);
    });

    it('leaves the SAP paths to basic auth', async () => {
      assert.equal((await sap.call('GET', 'A_BusinessPartner')).status, 200);
      const withSecret = await fetch(`${local}/sap/opu/odata/sap/API_BUSINESS_PARTNER/`, {
        headers: { authorization: `Bearer ${SECRET}`, accept: 'application/json' }
      });
      assert.equal(withSecret.status, 401, 'the driver secret is no SAP credential');
    });

    it('refuses a non-loopback client with 403, even with the secret', async (t) => {
      const ip = nonLoopbackIpv4();
      if (!ip) {
        t.skip('this machine has no non-loopback IPv4 address to connect from');
        return;
      }
      const remote = `http://${ip}:${port}`;
      const refused = await control(remote, 'POST', 'reset', `Bearer ${SECRET}`);
      assert.equal(refused.status, 403);
      assert.match(String(refused.body.error), /loopback clients only/);
      assert.equal((await control(remote, 'GET', 'partners')).status, 403);
      const service = await fetch(`${remote}/sap/opu/odata/sap/API_BUSINESS_PARTNER/`, {
        headers: { authorization: sap.authorization, accept: 'application/json' }
      });
      assert.equal(service.status, 200, 'the SAP service itself stays reachable');
    });
  });

  describe('without a driver secret', () => {
    let sap: TestSap;
    before(async () => {
      sap = await startTestSap();
    });
    after(() => sap.close());

    it('answers loopback clients as before', async () => {
      assert.equal(sap.driverSecret, undefined);
      const listed = await control(sap.url, 'GET', 'partners');
      assert.equal(listed.status, 200);
      assert.equal((await control(sap.url, 'POST', 'reset')).status, 200);
      assert.equal((await control(sap.url, 'GET', 'partners', 'Bearer anything')).status, 200);
    });
  });

  it('refuses an unusable driverSecret at start', async () => {
    for (const driverSecret of ['', 'two words']) {
      await assert.rejects(startSapSimulator({ port: 0, driverSecret }), RangeError);
    }
  });
});
