import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorCode, useSecurePay } from './helpers/securepay.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('SecurePay simulator: OAuth client credentials', () => {
  const sp = useSecurePay();

  const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  it('issues a Bearer token for good credentials by HTTP Basic', async () => {
    const response = await sp.request('POST', '/oauth/token', {
      body: 'grant_type=client_credentials',
      headers: { ...FORM, authorization: basic(sp.clientId, sp.clientSecret) }
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.token_type, 'Bearer');
    assert.equal(response.body.expires_in, 3600);
    assert.equal(typeof response.body.scope, 'string');
    assert.ok(String(response.body.access_token).length >= 32);
    const payment = await sp.request('GET', '/v2/payments/NONE', {
      headers: { authorization: `Bearer ${response.body.access_token}` }
    });
    assert.equal(payment.status, 404, 'the token is accepted');
  });

  it('accepts the credentials as form fields and keeps a requested scope', async () => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sp.clientId,
      client_secret: sp.clientSecret,
      scope: 'payments'
    });
    const response = await sp.request('POST', '/oauth/token', {
      body: form.toString(),
      headers: FORM
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.scope, 'payments');
  });

  it('refuses a wrong secret, an unknown client and missing credentials with 401', async () => {
    for (const headers of [
      { ...FORM, authorization: basic(sp.clientId, 'wrong') },
      { ...FORM, authorization: basic('someone-else', sp.clientSecret) },
      FORM
    ]) {
      const response = await sp.request('POST', '/oauth/token', {
        body: 'grant_type=client_credentials',
        headers
      });
      assert.equal(response.status, 401);
      assert.equal(errorCode(response), 'invalid_client');
      assert.equal(typeof response.body.errors[0].detail, 'string');
    }
  });

  it('refuses another grant type with 400 unsupported_grant_type', async () => {
    const response = await sp.request('POST', '/oauth/token', {
      body: 'grant_type=password&username=a&password=b',
      headers: { ...FORM, authorization: basic(sp.clientId, sp.clientSecret) }
    });
    assert.equal(response.status, 400);
    assert.equal(errorCode(response), 'unsupported_grant_type');
  });
});
