/**
 * Who may use the test driver (`/__emulator/*`): loopback clients only, and with the driver
 * secret (`Authorization: Bearer <secret>`) when the emulator was started with one.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { startSalesforceEmulator } from '../src/emulator.ts';
import { REPO_ROOT, startTestEmulator, type TestEmulator } from './helpers/emulator.ts';

const SECRET = 'emulator-driver-s3cret';

/** An IPv4 address of this machine that is not loopback, if it has one. */
function nonLoopbackIpv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

async function driver(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {}
): Promise<Answer> {
  const response = await fetch(`${base}/__emulator/${path}`, { method, headers });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

function apiError(answer: Answer): { message: string; errorCode: string } {
  const [first] = answer.body as Array<{ message: string; errorCode: string }>;
  assert.ok(first, JSON.stringify(answer.body));
  return first;
}

describe('test driver access', () => {
  describe('with a driver secret (bound to 0.0.0.0)', () => {
    let emulator: TestEmulator;
    let port = '';
    let local = '';
    before(async () => {
      // Bound to every interface, clients name it by loopback or this machine's address.
      const ip = nonLoopbackIpv4();
      emulator = await startTestEmulator({
        host: '0.0.0.0',
        publicHosts: ['127.0.0.1', ...(ip ? [ip] : [])],
        driverSecret: SECRET
      });
      port = new URL(emulator.instanceUrl).port;
      local = `http://127.0.0.1:${port}`;
    });
    after(() => emulator.close());

    it('refuses a request without the secret with 401 and says what to send', async () => {
      for (const [method, path] of [
        ['POST', 'sessions'],
        ['POST', 'reset'],
        ['GET', 'state'],
        ['GET', 'no-such-route']
      ] as const) {
        const refused = await driver(local, method, path);
        assert.equal(refused.status, 401, `${method} ${path}`);
        const error = apiError(refused);
        assert.equal(error.errorCode, 'INVALID_AUTH_HEADER');
        assert.match(error.message, /Authorization: Bearer <driver secret>/);
        assert.equal(
          refused.headers.get('www-authenticate'),
          'Bearer realm="salesforce-emulator-driver"'
        );
      }
    });

    it('refuses a wrong secret, a Salesforce token and the old header with 401', async () => {
      const attempts: Array<Record<string, string>> = [
        { authorization: `Bearer ${SECRET}x` },
        { authorization: `Bearer ${emulator.accessToken}` },
        { authorization: SECRET },
        { 'x-emulator-secret': SECRET }
      ];
      for (const headers of attempts) {
        const refused = await driver(local, 'POST', 'sessions', headers);
        assert.equal(refused.status, 401, JSON.stringify(headers));
      }
      const wrong = await driver(local, 'GET', 'state', { authorization: 'Bearer x' });
      assert.match(apiError(wrong).message, /Wrong driver secret/);
    });

    it('answers the right secret; the test helper sends it by itself', async () => {
      const session = await driver(local, 'POST', 'sessions', {
        authorization: `Bearer ${SECRET}`
      });
      assert.equal(session.status, 200);
      const { accessToken } = session.body as { accessToken: string };
      assert.equal(typeof accessToken, 'string');
      const state = await emulator.driver<{ organizationId: string }>('GET', 'state');
      assert.equal(state.organizationId, emulator.organizationId);
      await emulator.driver('POST', 'reset', {});
    });

    it('leaves the Salesforce paths to Salesforce auth', async () => {
      assert.equal((await emulator.rest('GET', 'limits')).status, 200);
      const withSecret = await fetch(`${local}/services/data/v65.0/limits`, {
        headers: { authorization: `Bearer ${SECRET}` }
      });
      assert.equal(withSecret.status, 401, 'the driver secret is no session');
    });

    it('refuses a non-loopback client with 403, even with the secret', async (t) => {
      const ip = nonLoopbackIpv4();
      if (!ip) {
        t.skip('this machine has no non-loopback IPv4 address to connect from');
        return;
      }
      const remote = `http://${ip}:${port}`;
      const refused = await driver(remote, 'POST', 'sessions', {
        authorization: `Bearer ${SECRET}`
      });
      assert.equal(refused.status, 403);
      assert.equal(apiError(refused).errorCode, 'INSUFFICIENT_ACCESS');
      assert.match(apiError(refused).message, /loopback clients only/);
      assert.equal((await driver(remote, 'GET', 'state')).status, 403);
      const versions = await fetch(`${remote}/services/data`);
      assert.equal(versions.status, 200, 'the Salesforce API itself stays reachable');
    });
  });

  describe('without a driver secret', () => {
    let emulator: TestEmulator;
    before(async () => {
      emulator = await startTestEmulator();
    });
    after(() => emulator.close());

    it('answers loopback clients as before', async () => {
      assert.equal(emulator.driverSecret, undefined);
      assert.equal((await driver(emulator.instanceUrl, 'GET', 'state')).status, 200);
      assert.equal((await driver(emulator.instanceUrl, 'POST', 'sessions')).status, 200);
      const unknown = await driver(emulator.instanceUrl, 'GET', 'no-such-route');
      assert.equal(unknown.status, 404);
      assert.equal(apiError(unknown).errorCode, 'NOT_FOUND');
    });
  });

  it('refuses an unusable driverSecret at start', async () => {
    for (const driverSecret of ['', 'two words']) {
      await assert.rejects(
        startSalesforceEmulator({ projectDir: REPO_ROOT, httpPort: 0, grpcPort: 0, driverSecret }),
        RangeError
      );
    }
  });
});
