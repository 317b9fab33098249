/**
 * Who may use the control API (`/__sim/*`): loopback clients only, and with the driver secret
 * (`Authorization: Bearer <secret>`) when the simulator was started with one.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { describe, it } from 'node:test';
import { startSecurePaySimulator } from '../src/server.ts';
import { errorCode, read, useSecurePay, type HttpResult } from './helpers/securepay.ts';

const SECRET = 'securepay-driver-s3cret';

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
): Promise<HttpResult> {
  return read(
    await fetch(`${base}/__sim/${path}`, {
      method,
      headers: authorization === undefined ? {} : { authorization }
    })
  );
}

describe('SecurePay simulator: control API access', () => {
  describe('with a driver secret (bound to 0.0.0.0)', () => {
    const sp = useSecurePay({ host: '0.0.0.0', driverSecret: SECRET });
    const port = () => new URL(sp.url).port;
    const local = () => `http://127.0.0.1:${port()}`;

    it('refuses a request without the secret with 401 and says what to send', async () => {
      sp.control.injectFailures({ status: 503, count: 1 });
      for (const [method, path] of [
        ['POST', 'reset'],
        ['GET', 'charges'],
        ['DELETE', 'failures'],
        ['GET', 'no-such-route']
      ] as const) {
        const refused = await control(local(), method, path);
        assert.equal(refused.status, 401, `${method} ${path}`);
        assert.equal(errorCode(refused), 'unauthorized');
        assert.match(refused.body.errors[0].detail, /Authorization: Bearer <driver secret>/);
        assert.equal(
          refused.headers.get('www-authenticate'),
          'Bearer realm="securepay-simulator-control"'
        );
      }
      assert.equal(sp.control.failures().length, 1, 'nothing was changed');
      sp.control.clearFailures();
    });

    it('refuses a wrong secret, and gateway credentials, with 401', async () => {
      const basic = `Basic ${Buffer.from(`${sp.clientId}:${sp.clientSecret}`).toString('base64')}`;
      const bearer = `Bearer ${await sp.accessToken()}`;
      for (const authorization of [`Bearer ${SECRET}x`, basic, bearer, SECRET]) {
        const refused = await control(local(), 'GET', 'charges', authorization);
        assert.equal(refused.status, 401, authorization);
      }
      const wrong = await control(local(), 'GET', 'charges', 'Bearer x');
      assert.match(wrong.body.errors[0].detail, /Wrong driver secret/);
    });

    it('answers the right secret; the test helper sends it by itself', async () => {
      const listed = await control(local(), 'GET', 'charges', `Bearer ${SECRET}`);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body, { count: 0, charges: [] });
      const rule = await sp.request('POST', '/__sim/failures', { body: { status: 503, count: 1 } });
      assert.equal(rule.status, 201);
      assert.equal((await sp.tokenize({ cardNumber: '4111111111111111' })).status, 503);
      assert.deepEqual((await sp.request('POST', '/__sim/reset')).body, { reset: true });
    });

    it('leaves the gateway paths to their own auth', async () => {
      const payment = await sp.request('GET', '/v2/payments/INV-1', {
        headers: { authorization: `Bearer ${SECRET}` }
      });
      assert.equal(payment.status, 401, 'the driver secret is no access token');
    });

    it('refuses a non-loopback client with 403, even with the secret', async (t) => {
      const ip = nonLoopbackIpv4();
      if (!ip) {
        t.skip('this machine has no non-loopback IPv4 address to connect from');
        return;
      }
      const remote = `http://${ip}:${port()}`;
      const refused = await control(remote, 'POST', 'reset', `Bearer ${SECRET}`);
      assert.equal(refused.status, 403);
      assert.equal(errorCode(refused), 'forbidden');
      assert.match(refused.body.errors[0].detail, /loopback clients only/);
      assert.equal((await control(remote, 'GET', 'charges')).status, 403);
      const tokenized = await read(
        await fetch(`${remote}/v2/tokens`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-merchant-code': sp.merchantCode },
          body: JSON.stringify({
            cardNumber: '4111111111111111',
            expiryMonth: 12,
            expiryYear: new Date().getUTCFullYear() + 1,
            cvv: '847'
          })
        })
      );
      assert.equal(tokenized.status, 201, 'the gateway itself stays reachable');
    });
  });

  describe('without a driver secret', () => {
    const sp = useSecurePay();

    it('answers loopback clients as before', async () => {
      assert.equal(sp.driverSecret, undefined);
      assert.equal((await control(sp.url, 'GET', 'charges')).status, 200);
      assert.equal((await control(sp.url, 'POST', 'reset')).status, 200);
      assert.equal((await control(sp.url, 'GET', 'requests', 'Bearer anything')).status, 200);
    });
  });

  it('refuses an unusable driverSecret at start', async () => {
    for (const driverSecret of ['', 'two words']) {
      await assert.rejects(startSecurePaySimulator({ port: 0, driverSecret }), RangeError);
    }
  });
});
