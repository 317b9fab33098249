/**
 * The OAuth 2.0 token endpoint with jsforce: client credentials and JWT bearer (an RSA key and
 * self-signed certificate made here, assertions signed with jose), every rejection with the
 * error and description a real org sends; userinfo, identity and revoke.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHash, generateKeyPairSync } from 'node:crypto';
import jsforce from 'jsforce';
import { importPKCS8, SignJWT, UnsecuredJWT } from 'jose';
import { generate } from 'selfsigned';
import {
  FINANCE_CLIENT_ID,
  FINANCE_CLIENT_SECRET,
  MEDIA_CLIENT_ID,
  MEDIA_CLIENT_SECRET
} from '../src/emulator.ts';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';

const CLIENT_ID = '3MVG9test.client.id';
const CLIENT_SECRET = 'test-client-secret';
const USERNAME = 'integration@emulator.local';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

let emulator: TestEmulator;
let privateKeyPem: string;

before(async () => {
  const pems = await generate([{ name: 'commonName', value: 'jwt.emulator.test' }], {
    keySize: 2048,
    algorithm: 'sha256'
  });
  privateKeyPem = pems.private;
  emulator = await startTestEmulator({
    config: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, jwtCertificatePem: pems.cert }
  });
});

after(async () => {
  await emulator.close();
});

function connection(clientSecret = CLIENT_SECRET, clientId = CLIENT_ID): jsforce.Connection {
  return new jsforce.Connection({
    oauth2: { clientId, clientSecret, loginUrl: emulator.instanceUrl },
    version: '65.0'
  });
}

async function oauthError(
  promise: PromiseLike<unknown>
): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { name: string; message: string };
  }
  assert.fail('expected an OAuth error');
}

async function assertion(
  claims: Record<string, unknown> = {},
  key?: string,
  expiresIn = 180
): Promise<string> {
  const signingKey = await importPKCS8(key ?? privateKeyPem, 'RS256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: CLIENT_ID,
    sub: USERNAME,
    aud: 'https://login.salesforce.com',
    exp: now + expiresIn,
    ...claims
  })
    .setProtectedHeader({ alg: 'RS256' })
    .sign(signingKey);
}

async function token(
  params: Record<string, string>
): Promise<{ status: number; body: Record<string, string> }> {
  const response = await fetch(`${emulator.instanceUrl}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params)
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

describe('client credentials', () => {
  test('issues a token for the integration user that works for the REST API', async () => {
    const conn = connection();
    const userInfo = await conn.authorize({ grant_type: 'client_credentials' });
    assert.equal(userInfo.organizationId, emulator.organizationId);
    assert.equal(conn.instanceUrl, emulator.instanceUrl);
    const result = await conn.query('SELECT Id FROM Account');
    assert.equal(result.done, true);

    const raw = await token({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET
    });
    assert.equal(raw.status, 200);
    assert.equal(raw.body.token_type, 'Bearer');
    assert.equal(raw.body.instance_url, emulator.instanceUrl);
    assert.match(String(raw.body.issued_at), /^\d{13}$/);
    assert.match(
      String(raw.body.id),
      new RegExp(`/id/${emulator.organizationId}/005[a-zA-Z0-9]{15}$`)
    );
    assert.ok(raw.body.signature && raw.body.scope);
  });

  test('accepts HTTP Basic client authentication', async () => {
    const response = await fetch(`${emulator.instanceUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`
      },
      body: 'grant_type=client_credentials'
    });
    assert.equal(response.status, 200);
  });

  test('rejects a wrong secret, an unknown client and an unknown grant type', async () => {
    const wrongSecret = await oauthError(
      connection('nope').authorize({ grant_type: 'client_credentials' })
    );
    assert.equal(wrongSecret.name, 'invalid_client');
    assert.equal(wrongSecret.message, 'invalid client credentials');
    const unknownClient = await oauthError(
      connection(CLIENT_SECRET, 'unknown').authorize({ grant_type: 'client_credentials' })
    );
    assert.equal(unknownClient.name, 'invalid_client_id');
    assert.equal(unknownClient.message, 'client identifier invalid');
    const grant = await token({ grant_type: 'magic' });
    assert.equal(grant.status, 400);
    assert.deepEqual(grant.body, {
      error: 'unsupported_grant_type',
      error_description: 'grant type not supported'
    });
  });
});

describe('client credentials of the Finance connected app', () => {
  async function identity(accessToken: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${emulator.instanceUrl}/services/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` }
    });
    assert.equal(response.status, 200);
    return (await response.json()) as Record<string, unknown>;
  }

  test("runs as finance@emulator.local, not as the main app's integration user", async () => {
    const finance = await token({
      grant_type: 'client_credentials',
      client_id: FINANCE_CLIENT_ID,
      client_secret: FINANCE_CLIENT_SECRET
    });
    assert.equal(finance.status, 200, JSON.stringify(finance.body));
    assert.equal(
      (await identity(finance.body.access_token!)).preferred_username,
      'finance@emulator.local'
    );
    const main = await token({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET
    });
    assert.equal(
      (await identity(main.body.access_token!)).preferred_username,
      'integration@emulator.local'
    );
  });

  test("the property image migration's app runs as media@emulator.local", async () => {
    const media = await token({
      grant_type: 'client_credentials',
      client_id: MEDIA_CLIENT_ID,
      client_secret: MEDIA_CLIENT_SECRET
    });
    assert.equal(media.status, 200, JSON.stringify(media.body));
    assert.equal(
      (await identity(media.body.access_token!)).preferred_username,
      'media@emulator.local'
    );
    const crossed = await token({
      grant_type: 'client_credentials',
      client_id: MEDIA_CLIENT_ID,
      client_secret: FINANCE_CLIENT_SECRET
    });
    assert.equal(crossed.body.error, 'invalid_client');
  });

  test('each app takes only its own secret', async () => {
    const crossed = await token({
      grant_type: 'client_credentials',
      client_id: FINANCE_CLIENT_ID,
      client_secret: CLIENT_SECRET
    });
    assert.equal(crossed.status, 400);
    assert.equal(crossed.body.error, 'invalid_client');
    const other = await token({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: FINANCE_CLIENT_SECRET
    });
    assert.equal(other.body.error, 'invalid_client');
  });
});

describe('JWT bearer', () => {
  test('exchanges a signed assertion for a token', async () => {
    const conn = new jsforce.Connection({
      oauth2: { loginUrl: emulator.instanceUrl },
      version: '65.0'
    });
    await conn.authorize({ grant_type: JWT_BEARER, assertion: await assertion() });
    const limits = (await conn.limits()) as Record<string, unknown>;
    assert.ok(limits.DailyApiRequests);
    // The emulator's own URL and test.salesforce.com are valid audiences too.
    assert.equal(
      (
        await token({
          grant_type: JWT_BEARER,
          assertion: await assertion({ aud: emulator.instanceUrl })
        })
      ).status,
      200
    );
    assert.equal(
      (
        await token({
          grant_type: JWT_BEARER,
          assertion: await assertion({ aud: 'https://test.salesforce.com' })
        })
      ).status,
      200
    );
  });

  test('rejects what a real org rejects, with its descriptions', async () => {
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem'
    }) as string;
    const unsigned = new UnsecuredJWT({
      iss: CLIENT_ID,
      sub: USERNAME,
      aud: 'https://login.salesforce.com',
      exp: Math.floor(Date.now() / 1000) + 120
    }).encode();
    const cases: Array<[string, string, string, string]> = [
      ['unsigned (alg none)', unsigned, 'invalid_grant', 'invalid assertion'],
      [
        'signed by another key',
        await assertion({}, otherKey),
        'invalid_grant',
        'invalid assertion'
      ],
      [
        'expired',
        await assertion({}, undefined, -600),
        'invalid_grant',
        'expired authorization code'
      ],
      [
        'wrong audience',
        await assertion({ aud: 'https://evil.example.com' }),
        'invalid_grant',
        'audience is invalid'
      ],
      [
        'unknown user',
        await assertion({ sub: 'nobody@example.com' }),
        'invalid_grant',
        "user hasn't approved this consumer"
      ],
      [
        'unknown issuer',
        await assertion({ iss: 'someone-else' }),
        'invalid_client_id',
        'client identifier invalid'
      ],
      ['garbage', 'not.a.jwt', 'invalid_grant', 'invalid assertion']
    ];
    for (const [label, jwt, error, description] of cases) {
      const response = await token({ grant_type: JWT_BEARER, assertion: jwt });
      assert.equal(response.status, 400, label);
      assert.deepEqual(response.body, { error, error_description: description }, label);
    }
  });
});

describe('userinfo, identity, revoke', () => {
  test('userinfo names the user and org (what sf CLI reads at login)', async () => {
    const response = await fetch(`${emulator.instanceUrl}/services/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${emulator.integrationAccessToken}` }
    });
    assert.equal(response.status, 200);
    const info = (await response.json()) as Record<string, unknown>;
    assert.equal(info.preferred_username, USERNAME);
    assert.equal(info.organization_id, emulator.organizationId);
    assert.match(String(info.user_id), /^005/);
    const bad = await fetch(`${emulator.instanceUrl}/services/oauth2/userinfo`, {
      headers: { authorization: 'Bearer nope' }
    });
    assert.equal(bad.status, 403);
  });

  test('a revoked token is refused afterwards', async () => {
    const conn = connection();
    await conn.authorize({ grant_type: 'client_credentials' });
    const identity = await conn.identity();
    assert.equal(identity.username, USERNAME);
    await conn.oauth2.revokeToken(String(conn.accessToken));
    // A plain connection (no OAuth client, so no refresh attempt) sees the refusal itself.
    const revoked = new jsforce.Connection({
      instanceUrl: emulator.instanceUrl,
      accessToken: String(conn.accessToken),
      version: '65.0'
    });
    await assert.rejects(async () => revoked.query('SELECT Id FROM Account'), {
      errorCode: 'INVALID_SESSION_ID'
    });
  });
});

describe('web-server flow and refresh tokens', () => {
  const REDIRECT_URI = 'http://localhost:1717/OauthRedirect';

  function webConnection(): jsforce.Connection {
    return new jsforce.Connection({
      oauth2: {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        loginUrl: emulator.instanceUrl,
        redirectUri: REDIRECT_URI
      },
      version: '65.0'
    });
  }

  /** Follows the authorize URL as a browser would, up to the redirect back to the app. */
  async function approve(url: string): Promise<URL> {
    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 302);
    return new URL(String(response.headers.get('location')));
  }

  test('a code becomes an access and a refresh token; jsforce refreshes an expired session', async () => {
    const conn = webConnection();
    const back = await approve(conn.oauth2.getAuthorizationUrl({ state: 'xyz' }));
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI);
    assert.equal(back.searchParams.get('state'), 'xyz');
    const code = String(back.searchParams.get('code'));
    await conn.authorize(code);
    assert.match(String(conn.refreshToken), /^5Aep861/);
    assert.equal(conn.instanceUrl, emulator.instanceUrl);

    let refreshed = 0;
    conn.on('refresh', () => (refreshed += 1));
    await emulator.driver('POST', 'sessions/expire');
    const result = await conn.query('SELECT Id FROM Account');
    assert.equal(result.done, true);
    assert.equal(refreshed, 1, 'the expired session was refreshed with the refresh token');

    // A code is single-use.
    const reused = await token({
      grant_type: 'authorization_code',
      code,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: REDIRECT_URI
    });
    assert.deepEqual(reused.body, {
      error: 'invalid_grant',
      error_description: 'expired authorization code'
    });
  });

  test('a revoked or unknown refresh token answers invalid_grant as an org does', async () => {
    const conn = webConnection();
    const code = String(
      (await approve(conn.oauth2.getAuthorizationUrl())).searchParams.get('code')
    );
    await conn.authorize(code);
    const refreshToken = String(conn.refreshToken);
    const again = await conn.oauth2.refreshToken(refreshToken);
    assert.notEqual(again.access_token, conn.accessToken);
    assert.equal(again.refresh_token, undefined, 'Salesforce does not rotate refresh tokens');

    await conn.oauth2.revokeToken(refreshToken);
    const failure = await oauthError(conn.oauth2.refreshToken(refreshToken));
    assert.equal(failure.name, 'invalid_grant');
    assert.equal(failure.message, 'expired access/refresh token');
    const raw = await token({
      grant_type: 'refresh_token',
      refresh_token: 'made-up',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET
    });
    assert.equal(raw.status, 400);
    assert.deepEqual(raw.body, {
      error: 'invalid_grant',
      error_description: 'expired access/refresh token'
    });
  });

  test('PKCE: the code_verifier must answer the S256 challenge', async () => {
    const verifier = 'a'.repeat(64);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = (extra: Record<string, string>) =>
      approve(
        `${emulator.instanceUrl}/services/oauth2/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: CLIENT_ID,
          redirect_uri: REDIRECT_URI,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          ...extra
        }).toString()}`
      );
    const exchange = async (verifierSent: string) =>
      token({
        grant_type: 'authorization_code',
        code: String((await authorize({})).searchParams.get('code')),
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifierSent
      });
    const wrong = await exchange('b'.repeat(64));
    assert.deepEqual(wrong.body, {
      error: 'invalid_grant',
      error_description: 'invalid code verifier'
    });
    const right = await exchange(verifier);
    assert.equal(right.status, 200);
    assert.ok(right.body.refresh_token);

    const unsupported = await authorize({ response_type: 'id_token' });
    assert.equal(unsupported.searchParams.get('error'), 'unsupported_response_type');
  });
});
