/**
 * The SAP OData client against the SAP simulator (no HTTP mocking): CSRF handshake and recovery
 * from an expired token, ETag conflicts, error classification with SAP's messages, timeouts, the
 * SearchTerm1 lookup and blocking.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSapSimulator, type RunningSapSimulator } from '../../../simulators/sap/src/server.ts';
import { toBusinessPartner } from '../../src/account-sync/mapping.ts';
import { isTransientSapError, SapClient, SapError } from '../../src/account-sync/sap-client.ts';

type Json = Record<string, unknown>;

describe('SapClient against the SAP simulator', () => {
  let sap: RunningSapSimulator;
  let client: SapClient;
  let counter = 0;

  const payload = (name = `Customer ${++counter}`) =>
    toBusinessPartner({
      Id: `001000000000${String(counter).padStart(3, '0')}AAA`,
      Name: name,
      BillingCountry: 'DE',
      BillingCity: 'Walldorf'
    });

  before(async () => {
    sap = await startSapSimulator({ port: 0, timeoutHoldMs: 2000 });
  });
  beforeEach(() => {
    sap.control.clearFailures();
    client = new SapClient({
      baseUrl: sap.url,
      username: sap.username,
      password: sap.password,
      timeoutMs: 500
    });
  });
  after(async () => {
    await sap?.close();
  });

  it('creates a business partner and returns the number SAP assigned', async () => {
    const ref = await client.create(payload('Walldorf Customer'));
    assert.match(ref.businessPartner, /^\d{7,10}$/);
    const stored = sap.control.partner(ref.businessPartner) as Json;
    assert.equal(stored.OrganizationBPName1, 'Walldorf Customer');
    const fetched = await client.get(ref.businessPartner);
    assert.equal(fetched?.businessPartner, ref.businessPartner);
    assert.ok(fetched?.etag, 'an ETag for later updates');
    assert.ok(fetched?.addressId, 'the address id');
  });

  it('fetches the CSRF token once, and again after SAP expired it', async () => {
    await client.create(payload());
    await client.create(payload());
    const fetchesBefore = client.requests;
    assert.equal(sap.control.expireCsrfTokens() >= 1, true);
    const ref = await client.create(payload());
    assert.ok(ref.businessPartner);
    // Refused POST, token refetch, repeated POST.
    assert.equal(client.requests - fetchesBefore, 3);
  });

  it('updates with If-Match and recovers from a concurrent change (412) with a fresh ETag', async () => {
    const created = await client.create(payload('Before'));
    const stale = await client.get(created.businessPartner);
    assert.ok(stale);
    // Someone else changes the partner in SAP: the ETag we hold is now stale.
    const other = new SapClient({
      baseUrl: sap.url,
      username: sap.username,
      password: sap.password
    });
    const fresh = await other.get(created.businessPartner);
    await other.update(fresh!, { OrganizationBPName2: 'changed in SAP' }, undefined);
    await client.update(stale, { OrganizationBPName1: 'After' }, { CityName: 'Berlin' });
    const stored = sap.control.partner(created.businessPartner) as Json;
    assert.equal(stored.OrganizationBPName1, 'After');
    const address = (stored.to_BusinessPartnerAddress as { results: Json[] }).results[0];
    assert.equal(address?.CityName, 'Berlin');
  });

  it("a validation error is permanent and carries SAP's message", async () => {
    const invalid = { ...payload(), to_BusinessPartnerAddress: { results: [{ Country: 'QQ' }] } };
    const error = await client.create(invalid as never).then(
      () => assert.fail('SAP accepted an unknown country'),
      (e: unknown) => e
    );
    assert.ok(error instanceof SapError);
    assert.equal(error.status, 400);
    assert.equal(isTransientSapError(error), false);
    assert.match(error.message, /^SAP POST \/A_BusinessPartner 400: .*QQ/);
  });

  it('5xx, 429 and timeouts are transient', async () => {
    for (const status of [503, 500, 429] as const) {
      sap.control.injectFailures({ status, count: 1, methods: ['POST'] });
      const error = await client.create(payload()).catch((e: unknown) => e);
      assert.ok(error instanceof SapError, String(error));
      assert.equal(error.status, status);
      assert.equal(isTransientSapError(error), true, `${status} is transient`);
    }
    sap.control.injectFailures({ status: 'timeout', count: 1, methods: ['POST'] });
    const timeout = await client.create(payload()).catch((e: unknown) => e);
    assert.ok(timeout instanceof SapError);
    assert.equal(timeout.code, 'TIMEOUT');
    assert.equal(isTransientSapError(timeout), true);
  });

  it('wrong credentials are transient (an operator fixes them, the accounts are fine)', async () => {
    const wrong = new SapClient({ baseUrl: sap.url, username: sap.username, password: 'nope' });
    const error = await wrong.ping().catch((e: unknown) => e);
    assert.ok(error instanceof SapError);
    assert.equal(error.status, 401);
    assert.equal(isTransientSapError(error), true);
  });

  it('finds a partner by SearchTerm1 and blocks it (idempotent); unknown numbers are not found', async () => {
    const body = payload('To Block');
    const created = await client.create(body);
    const found = await client.findBySearchTerm(body.SearchTerm1);
    assert.equal(found?.businessPartner, created.businessPartner);
    // SAP stores search terms upper-cased (BU_SORT1) and $filter eq is exact: the client asks
    // in upper case, so a mixed-case id still finds its partner.
    assert.equal(
      (sap.control.partner(created.businessPartner) as Json).SearchTerm1,
      body.SearchTerm1.toUpperCase()
    );
    assert.equal(
      (await client.findBySearchTerm(body.SearchTerm1.toLowerCase()))?.businessPartner,
      created.businessPartner
    );
    assert.equal(await client.findBySearchTerm('001NOSUCHACCOUNT'), undefined);
    assert.equal(await client.block(created.businessPartner), 'blocked');
    assert.equal(await client.block(created.businessPartner), 'blocked');
    assert.equal(
      (sap.control.partner(created.businessPartner) as Json).BusinessPartnerIsBlocked,
      true
    );
    assert.equal(await client.block('9999999999'), 'not-found');
  });
});
