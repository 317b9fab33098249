import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sapError, startTestSap, type TestSap } from './helpers/sap.ts';

describe('SAP simulator: basic auth', () => {
  let sap: TestSap;
  before(async () => {
    sap = await startTestSap();
  });
  after(() => sap.close());

  it('answers 401 with a Basic challenge without or with wrong credentials', async () => {
    for (const authorization of [
      undefined,
      `Basic ${Buffer.from(`${sap.username}:wrong`).toString('base64')}`,
      'Bearer abc'
    ]) {
      const response = await fetch(`${sap.serviceUrl}/A_BusinessPartner`, {
        headers: { accept: 'application/json', ...(authorization ? { authorization } : {}) }
      });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm="SAP NetWeaver/);
      const body = (await response.json()) as { error: { code: string } };
      assert.match(body.error.code, /^\/IWFND\//);
    }
  });

  it('accepts the user name in any case (ABAP user names are upper case)', async () => {
    const response = await fetch(`${sap.serviceUrl}/A_BusinessPartner`, {
      headers: {
        accept: 'application/json',
        authorization: `Basic ${Buffer.from(`${sap.username.toLowerCase()}:${sap.password}`).toString('base64')}`
      }
    });
    assert.equal(response.status, 200);
  });

  it('applies custom credentials', async () => {
    const other = await startTestSap({ username: 'SYNC_USER', password: 'p@ss:word' });
    try {
      const ok = await other.call('GET', 'A_BusinessPartner');
      assert.equal(ok.status, 200);
      const response = await fetch(`${other.serviceUrl}/A_BusinessPartner`, {
        headers: { authorization: sap.authorization, accept: 'application/json' }
      });
      assert.equal(response.status, 401);
    } finally {
      await other.close();
    }
  });
});

describe('SAP simulator: CSRF token handshake', () => {
  let sap: TestSap;
  before(async () => {
    sap = await startTestSap({ csrfTokenLifetimeMs: 400 });
  });
  after(() => sap.close());
  beforeEach(() => sap.control.reset());

  it('rejects a POST without a token: 403, x-csrf-token Required, nothing created', async () => {
    const response = await sap.call('POST', 'A_BusinessPartner', sap.partnerBody());
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('x-csrf-token'), 'Required');
    assert.equal(response.body, 'CSRF token validation failed');
    assert.equal(sap.control.partners().length, 0);
  });

  it('issues a token and session cookies on a GET with x-csrf-token: Fetch', async () => {
    const response = await fetch(`${sap.serviceUrl}/`, {
      headers: { authorization: sap.authorization, 'x-csrf-token': 'Fetch' }
    });
    assert.equal(response.status, 200);
    const token = response.headers.get('x-csrf-token');
    assert.ok(token && token.length >= 20 && token !== 'Required');
    const cookies = response.headers.getSetCookie();
    assert.ok(cookies.some((c) => c.startsWith('SAP_SESSIONID_SIM_100=')));
    assert.equal(sap.control.requests().csrfFetches, 1);
  });

  it('accepts a POST with the fetched token and cookie, and reuses the token within the session', async () => {
    const token = await sap.fetchToken();
    const created = await sap.call('POST', 'A_BusinessPartner', sap.partnerBody());
    assert.equal(created.status, 201);
    assert.equal(await sap.fetchToken(), token, 'same session, same token');
  });

  it('rejects the token without its session cookie, and a wrong token with it', async () => {
    const token = await sap.fetchToken();
    const noCookie = await sap.call('POST', 'A_BusinessPartner', sap.partnerBody(), { cookie: '' });
    assert.equal(noCookie.status, 403);
    assert.equal(noCookie.headers.get('x-csrf-token'), 'Required');
    const wrong = await sap.call('POST', 'A_BusinessPartner', sap.partnerBody(), {
      'x-csrf-token': `${token}x`
    });
    assert.equal(wrong.status, 403);
  });

  it('does not need a token for GET', async () => {
    const response = await fetch(`${sap.serviceUrl}/A_BusinessPartner`, {
      headers: { authorization: sap.authorization, accept: 'application/json' }
    });
    assert.equal(response.status, 200);
  });

  it('forced expiry: 403 Required, then a refetch works', async () => {
    const old = await sap.fetchToken();
    assert.equal((await sap.call('POST', 'A_BusinessPartner', sap.partnerBody())).status, 201);
    const expired = await sap.sim('POST', 'csrf/expire');
    assert.equal(expired.status, 200);
    const rejected = await sap.call('POST', 'A_BusinessPartner', sap.partnerBody());
    assert.equal(rejected.status, 403);
    assert.equal(rejected.headers.get('x-csrf-token'), 'Required');
    const fresh = await sap.fetchToken();
    assert.notEqual(fresh, old);
    assert.equal((await sap.call('POST', 'A_BusinessPartner', sap.partnerBody())).status, 201);
    assert.equal(sap.control.partners().length, 2);
  });

  it('expires tokens after the configured lifetime', async () => {
    await sap.fetchToken();
    assert.equal((await sap.call('POST', 'A_BusinessPartner', sap.partnerBody())).status, 201);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rejected = await sap.call('POST', 'A_BusinessPartner', sap.partnerBody());
    assert.equal(rejected.status, 403);
    await sap.fetchToken();
    assert.equal((await sap.call('POST', 'A_BusinessPartner', sap.partnerBody())).status, 201);
  });

  it('checks CSRF for PATCH too', async () => {
    await sap.fetchToken();
    const created = await sap.call('POST', 'A_BusinessPartner', sap.partnerBody());
    sap.control.expireCsrfTokens();
    const number = (created.body as { d: { BusinessPartner: string } }).d.BusinessPartner;
    const patched = await sap.call(
      'PATCH',
      `A_BusinessPartner('${number}')`,
      { SearchTerm1: 'X' },
      { 'if-match': created.headers.get('etag') ?? '' }
    );
    assert.equal(patched.status, 403);
    assert.equal(patched.headers.get('x-csrf-token'), 'Required');
    assert.equal(sapErrorOrUndefined(patched), undefined);
  });
});

function sapErrorOrUndefined(response: Parameters<typeof sapError>[0]) {
  return typeof response.body === 'object' ? sapError(response) : undefined;
}
