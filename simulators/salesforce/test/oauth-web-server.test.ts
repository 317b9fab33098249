/**
 * The web-server flow's safeguards as a real connected app has them: the redirect_uri must be
 * one of the app's callback URLs (else an error, no redirect), "Require Secret for Web Server
 * Flow" and "... for Refresh Token Flow" are on (no secret: invalid_client), only configured
 * users may approve (the administrator not by default), PKCE follows RFC 7636 (no method means
 * plain, unknown methods are refused), and revoking a refresh token revokes the access tokens
 * issued from it. Clients: jsforce and fetch, as a browser follows the authorize redirect.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import jsforce from 'jsforce';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';

const CLIENT_ID = '3MVG9web.client.id';
const CLIENT_SECRET = 'web-client-secret';
const SF_CLI_CALLBACK = 'http://localhost:1717/OauthRedirect';
const APP_CALLBACK = 'https://app.example.test/callback';

let emulator: TestEmulator;
let pkceOnly: TestEmulator;
before(async () => {
  emulator = await startTestEmulator({
    config: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
  });
  pkceOnly = await startTestEmulator({
    config: {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      oauthPkceOnly: true,
      oauthCallbackUrls: [APP_CALLBACK],
      oauthLoginUsers: ['integration@emulator.local', 'admin@emulator.local']
    }
  });
});
after(async () => {
  await emulator.close();
  await pkceOnly.close();
});

function authorizeUrl(target: TestEmulator, params: Record<string, string>): string {
  return `${target.instanceUrl}/services/oauth2/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: SF_CLI_CALLBACK,
    ...params
  }).toString()}`;
}

async function authorize(
  target: TestEmulator,
  params: Record<string, string> = {}
): Promise<{ status: number; location: URL | undefined; body: string }> {
  const response = await fetch(authorizeUrl(target, params), { redirect: 'manual' });
  const location = response.headers.get('location');
  return {
    status: response.status,
    location: location === null ? undefined : new URL(location),
    body: await response.text()
  };
}

async function codeOf(target: TestEmulator, params: Record<string, string> = {}): Promise<string> {
  const { status, location } = await authorize(target, params);
  assert.equal(status, 302);
  const code = location?.searchParams.get('code');
  assert.ok(code, `no code in ${String(location)}`);
  return code;
}

async function token(
  target: TestEmulator,
  params: Record<string, string>
): Promise<{ status: number; body: Record<string, string> }> {
  const response = await fetch(`${target.instanceUrl}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString()
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

test('a redirect_uri the connected app does not list is an error, never a redirect', async () => {
  for (const redirect of ['https://evil.example/steal', 'http://localhost:1717/Other']) {
    const answer = await authorize(emulator, { redirect_uri: redirect });
    assert.notEqual(answer.status, 302);
    assert.equal(answer.location, undefined);
    assert.match(answer.body, /redirect_uri_mismatch/);
  }
  // The default callback is the sf CLI's; a configured list replaces it.
  assert.equal((await authorize(emulator)).status, 302);
  assert.equal((await authorize(pkceOnly)).location, undefined);
  const configured = await authorize(pkceOnly, { redirect_uri: APP_CALLBACK });
  assert.equal(configured.status, 302);
  assert.equal(`${configured.location?.origin}${configured.location?.pathname}`, APP_CALLBACK);
});

test('only the configured users approve: the administrator not by default', async () => {
  const admin = await authorize(emulator, { login_hint: 'admin@emulator.local' });
  assert.equal(admin.location?.searchParams.get('error'), 'access_denied');
  assert.equal(admin.location?.searchParams.get('code'), null);
  const stranger = await authorize(emulator, { login_hint: 'nobody@example.com' });
  assert.equal(stranger.location?.searchParams.get('error'), 'access_denied');
  await codeOf(emulator, { login_hint: 'integration@emulator.local' });
  // Listed, the administrator may.
  await codeOf(pkceOnly, { login_hint: 'admin@emulator.local', redirect_uri: APP_CALLBACK });
});

test('code and refresh grants require the client secret by default', async () => {
  const noSecret = await token(emulator, {
    grant_type: 'authorization_code',
    code: await codeOf(emulator),
    client_id: CLIENT_ID,
    redirect_uri: SF_CLI_CALLBACK
  });
  assert.equal(noSecret.status, 400);
  assert.deepEqual(noSecret.body, {
    error: 'invalid_client',
    error_description: 'invalid client credentials'
  });

  const granted = await token(emulator, {
    grant_type: 'authorization_code',
    code: await codeOf(emulator),
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uri: SF_CLI_CALLBACK
  });
  assert.equal(granted.status, 200);
  const refresh = await token(emulator, {
    grant_type: 'refresh_token',
    refresh_token: String(granted.body.refresh_token),
    client_id: CLIENT_ID
  });
  assert.deepEqual(refresh.body, {
    error: 'invalid_client',
    error_description: 'invalid client credentials'
  });
});

test('PKCE-only: a code with a challenge and its refresh token need no secret; without a challenge they do', async () => {
  const verifier = 'v'.repeat(64);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const base = { redirect_uri: APP_CALLBACK };
  const granted = await token(pkceOnly, {
    grant_type: 'authorization_code',
    code: await codeOf(pkceOnly, {
      ...base,
      code_challenge: challenge,
      code_challenge_method: 'S256'
    }),
    client_id: CLIENT_ID,
    redirect_uri: APP_CALLBACK,
    code_verifier: verifier
  });
  assert.equal(granted.status, 200);
  const refreshed = await token(pkceOnly, {
    grant_type: 'refresh_token',
    refresh_token: String(granted.body.refresh_token),
    client_id: CLIENT_ID
  });
  assert.equal(refreshed.status, 200);
  const noChallenge = await token(pkceOnly, {
    grant_type: 'authorization_code',
    code: await codeOf(pkceOnly, base),
    client_id: CLIENT_ID,
    redirect_uri: APP_CALLBACK
  });
  assert.equal(noChallenge.body.error, 'invalid_client');
});

test('PKCE: no code_challenge_method means plain (RFC 7636); unknown methods are refused', async () => {
  const verifier = 'p'.repeat(64);
  const exchange = async (params: Record<string, string>) =>
    token(emulator, {
      grant_type: 'authorization_code',
      code: await codeOf(emulator, params),
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: SF_CLI_CALLBACK,
      code_verifier: verifier
    });
  assert.equal((await exchange({ code_challenge: verifier })).status, 200);
  const s256 = createHash('sha256').update(verifier).digest('base64url');
  const asS256 = await exchange({ code_challenge: s256 });
  assert.deepEqual(asS256.body, {
    error: 'invalid_grant',
    error_description: 'invalid code verifier'
  });
  const unknown = await authorize(emulator, {
    code_challenge: s256,
    code_challenge_method: 'S512'
  });
  assert.equal(unknown.location?.searchParams.get('error'), 'invalid_request');
  assert.equal(unknown.location?.searchParams.get('code'), null);
});

test('revoking a refresh token revokes the access tokens issued from it', async () => {
  const conn = new jsforce.Connection({
    oauth2: {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      loginUrl: emulator.instanceUrl,
      redirectUri: SF_CLI_CALLBACK
    },
    version: '65.0'
  });
  await conn.authorize(await codeOf(emulator));
  const refreshToken = String(conn.refreshToken);
  const first = String(conn.accessToken);
  const second = (await conn.oauth2.refreshToken(refreshToken)).access_token;
  const other = await token(emulator, {
    grant_type: 'authorization_code',
    code: await codeOf(emulator),
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uri: SF_CLI_CALLBACK
  });
  const limits = async (accessToken: string) =>
    (
      await fetch(`${emulator.instanceUrl}/services/data/v65.0/limits`, {
        headers: { authorization: `Bearer ${accessToken}` }
      })
    ).status;
  assert.equal(await limits(first), 200);
  assert.equal(await limits(second), 200);

  await conn.oauth2.revokeToken(refreshToken);
  assert.equal(await limits(first), 401);
  assert.equal(await limits(second), 401);
  // Another grant's token is untouched.
  assert.equal(await limits(String(other.body.access_token)), 200);
});
