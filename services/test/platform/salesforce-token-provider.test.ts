// The token provider against the org emulator's OAuth endpoints: JWT bearer with a key and
// certificate made here, client credentials, refusals, caching, single-flight refresh, and the
// refresh path after the org expires every session.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { generate } from 'selfsigned';
import type { SalesforceConfig } from '../../src/platform/config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import {
  createApiCallMeter,
  createSalesforceClients,
  createTokenProvider,
  SalesforceAuthError,
  SalesforceError
} from '../../src/platform/salesforce/index.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  INTEGRATION_USERNAME,
  runAsAdministrator,
  startTestOrg,
  type TestOrg
} from './salesforce-test-org.ts';

interface KeyPair {
  privateKey: string;
  cert: string;
}

async function keyPair(commonName: string): Promise<KeyPair> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256'
  });
  return { privateKey: pems.private, cert: pems.cert };
}

function collectingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    }
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

describe('Salesforce token provider', () => {
  let org: TestOrg;
  let appKey: KeyPair;
  let otherKey: KeyPair;
  let keyDir: string;

  before(async () => {
    [appKey, otherKey] = await Promise.all([keyPair('connected-app'), keyPair('intruder')]);
    org = await startTestOrg(runAsAdministrator({ config: { jwtCertificatePem: appKey.cert } }));
    keyDir = await mkdtemp(path.join(tmpdir(), 'sf-jwt-key-'));
  });

  after(async () => {
    await org?.close();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  test('JWT bearer: a signed assertion gets a token the REST API accepts', async () => {
    const { logger, lines } = collectingLogger();
    const sf = createSalesforceClients({
      config: {
        flow: 'jwt_bearer',
        loginUrl: org.emulator.instanceUrl,
        clientId: DEFAULT_CLIENT_ID,
        username: INTEGRATION_USERNAME,
        privateKeyPem: appKey.privateKey
      },
      apiVersion: '65.0',
      logger
    });
    const token = await sf.tokenProvider.getToken();
    assert.equal(token.instanceUrl, org.emulator.instanceUrl);
    assert.match(token.identityUrl ?? '', /\/id\/00D\w+\/005\w+$/);
    const limits = await sf.rest.limits();
    assert.ok(limits.DailyApiRequests && limits.DailyApiRequests.Max > 0);
    assert.equal(sf.tokenProvider.refreshCount(), 1);
    // Neither the private key nor the access token reaches a log line.
    const logged = lines.join('');
    assert.match(logged, /Salesforce access token obtained/);
    assert.ok(!logged.includes(token.accessToken));
    assert.ok(!logged.includes('PRIVATE KEY'));
  });

  test('JWT bearer from SalesforceConfig reads the key file', async () => {
    const keyFile = path.join(keyDir, 'server.key');
    await writeFile(keyFile, appKey.privateKey, { mode: 0o600 });
    const config: SalesforceConfig = {
      instanceUrl: undefined,
      loginUrl: org.emulator.instanceUrl,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: undefined,
      username: INTEGRATION_USERNAME,
      jwtKeyFile: keyFile,
      accessToken: undefined,
      apiVersion: '65.0',
      pubsubEndpoint: 'unused:1',
      pubsubInsecureTls: false,
      authMode: 'jwt_bearer'
    };
    const provider = createTokenProvider(config);
    const token = await provider.getToken();
    assert.equal(provider.flow, 'jwt_bearer');
    assert.ok(token.accessToken.length > 20);
  });

  test('JWT bearer signed with a key the org does not trust is refused with invalid_grant', async () => {
    const provider = createTokenProvider({
      flow: 'jwt_bearer',
      loginUrl: org.emulator.instanceUrl,
      clientId: DEFAULT_CLIENT_ID,
      username: INTEGRATION_USERNAME,
      privateKeyPem: otherKey.privateKey
    });
    await assert.rejects(provider.getToken(), (error: unknown) => {
      assert.ok(error instanceof SalesforceAuthError);
      assert.equal(error.status, 400);
      assert.equal(error.errorCode, 'invalid_grant');
      assert.match(error.message, /jwt_bearer token request: invalid assertion/);
      assert.equal(error.transient, false);
      return true;
    });
  });

  test('JWT bearer for a user the org does not know is refused', async () => {
    const provider = createTokenProvider({
      flow: 'jwt_bearer',
      loginUrl: org.emulator.instanceUrl,
      clientId: DEFAULT_CLIENT_ID,
      username: 'nobody@emulator.local',
      privateKeyPem: appKey.privateKey
    });
    await assert.rejects(provider.getToken(), {
      name: 'SalesforceAuthError',
      errorCode: 'invalid_grant'
    });
  });

  test('client credentials: token obtained and cached', async () => {
    const meter = createApiCallMeter();
    const provider = createTokenProvider(
      {
        flow: 'client_credentials',
        instanceUrl: org.emulator.instanceUrl,
        clientId: DEFAULT_CLIENT_ID,
        clientSecret: DEFAULT_CLIENT_SECRET
      },
      { meter }
    );
    const first = await provider.getToken();
    const second = await provider.getToken();
    assert.equal(second, first, 'the cached token is reused');
    assert.equal(provider.refreshCount(), 1);
    assert.equal(meter.tokenRequests(), 1);
  });

  test('client credentials with a bad secret: clear error, secret never echoed', async () => {
    const secret = 'not-the-secret-1234';
    const { logger, lines } = collectingLogger();
    const provider = createTokenProvider(
      {
        flow: 'client_credentials',
        instanceUrl: org.emulator.instanceUrl,
        clientId: DEFAULT_CLIENT_ID,
        clientSecret: secret
      },
      { logger }
    );
    await assert.rejects(provider.getToken(), (error: unknown) => {
      assert.ok(error instanceof SalesforceAuthError);
      assert.equal(error.errorCode, 'invalid_client');
      assert.equal(error.status, 400);
      assert.match(error.message, /invalid client credentials/);
      assert.ok(!error.message.includes(secret));
      assert.ok(!JSON.stringify(error).includes(secret));
      return true;
    });
    assert.ok(!lines.join('').includes(secret));
    // An unknown client id is its own error.
    const unknown = createTokenProvider({
      flow: 'client_credentials',
      instanceUrl: org.emulator.instanceUrl,
      clientId: 'who-is-this',
      clientSecret: DEFAULT_CLIENT_SECRET
    });
    await assert.rejects(unknown.getToken(), { errorCode: 'invalid_client_id' });
  });

  test('concurrent callers share one token request (single flight)', async () => {
    const meter = createApiCallMeter();
    const provider = createTokenProvider(
      {
        flow: 'client_credentials',
        instanceUrl: org.emulator.instanceUrl,
        clientId: DEFAULT_CLIENT_ID,
        clientSecret: DEFAULT_CLIENT_SECRET
      },
      { meter }
    );
    const tokens = await Promise.all(Array.from({ length: 20 }, () => provider.getToken()));
    assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
    assert.equal(meter.tokenRequests(), 1);

    // Invalidations naming the same rejected token, then a burst of callers: one refresh.
    for (let i = 0; i < 5; i++) provider.invalidate(tokens[0]?.accessToken);
    const refreshed = await Promise.all(Array.from({ length: 20 }, () => provider.getToken()));
    assert.equal(new Set(refreshed.map((t) => t.accessToken)).size, 1);
    assert.notEqual(refreshed[0]?.accessToken, tokens[0]?.accessToken);
    assert.equal(meter.tokenRequests(), 2);
    // A late invalidate() for the old token does not throw the new one away.
    provider.invalidate(tokens[0]?.accessToken);
    assert.equal((await provider.getToken()).accessToken, refreshed[0]?.accessToken);
    assert.equal(meter.tokenRequests(), 2);
  });

  test('after the org expires every session, the next calls succeed after exactly one refresh', async () => {
    const sf = org.clients();
    await sf.rest.limits();
    assert.equal(sf.tokenProvider.refreshCount(), 1);
    const before = await org.orgApiCalls();

    await org.emulator.driver('POST', 'sessions/expire', {});
    // Parallel requests all meet 401 INVALID_SESSION_ID; they share one refresh.
    const answers = await Promise.all([
      sf.rest.limits(),
      sf.rest.describe('Account'),
      sf.rest.queryCount('SELECT COUNT() FROM Account')
    ]);
    assert.equal(answers.length, 3);
    assert.equal(sf.tokenProvider.refreshCount(), 2, 'exactly one refresh');
    assert.equal(sf.meter.tokenRequests(), 2);
    // The org counted the three successful calls, not the rejected ones.
    assert.equal((await org.orgApiCalls()) - before, 3);
    assert.equal(sf.meter.total(), 4);
    assert.equal(sf.meter.sent(), 7);
  });

  test('a static access token cannot be refreshed: 401 is final', async () => {
    const token = await org.emulator.renewToken();
    const sf = createSalesforceClients({
      config: { flow: 'access_token', instanceUrl: org.emulator.instanceUrl, accessToken: token },
      apiVersion: '65.0'
    });
    await sf.rest.limits();
    await org.emulator.driver('POST', 'sessions/expire', {});
    await assert.rejects(sf.rest.limits(), (error: unknown) => {
      assert.ok(error instanceof SalesforceError);
      assert.equal(error.status, 401);
      assert.equal(error.errorCode, 'INVALID_SESSION_ID');
      return true;
    });
    assert.equal(sf.meter.sent(), 2, 'no retry without a way to refresh');
  });

  test('a token endpoint that cannot be reached is a transient network error', async () => {
    const provider = createTokenProvider({
      flow: 'client_credentials',
      // Port 9 (discard) on loopback: nothing listens there.
      instanceUrl: 'http://127.0.0.1:9',
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET
    });
    await assert.rejects(provider.getToken(), (error: unknown) => {
      assert.ok(error instanceof SalesforceError);
      assert.equal(error.status, 0);
      assert.equal(error.errorCode, 'NETWORK_ERROR');
      assert.equal(error.transient, true);
      return true;
    });
  });
});
