// What account-sync trusts (issue 11, found by an attack run). A Delete event is a claim: the
// service blocks a customer in SAP only when Salesforce says the account is deleted (queryAll,
// IsDeleted) and the SAP partner's SearchTerm1 is that account. SAP keys never shape a URL: a
// key that is not a business partner number is refused before any request, and every key is
// percent-encoded inside the OData key syntax.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSapSimulator, type RunningSapSimulator } from '../../../simulators/sap/src/server.ts';
import {
  isSapBusinessPartnerNumber,
  SapClient,
  SapError
} from '../../src/account-sync/sap-client.ts';
import { createSyncedAccount, startLab, type Lab } from './harness.ts';

type Json = Record<string, unknown>;

const HOSTILE_KEYS = [
  '/../../..',
  '1?a=b#',
  "1000000') or ('1",
  '1000000%2F',
  '',
  '12345678901',
  'abc'
];

describe('SapClient refuses keys that are not business partner numbers', () => {
  let sap: RunningSapSimulator;
  before(async () => {
    sap = await startSapSimulator({ port: 0 });
  });
  after(async () => {
    await sap?.close();
  });

  it('before any request, for get, update and block', async () => {
    const urls: string[] = [];
    const client = new SapClient({
      baseUrl: sap.url,
      username: sap.username,
      password: sap.password,
      fetch: async (input, init) => {
        urls.push(String(input));
        return fetch(input, init);
      }
    });
    for (const key of HOSTILE_KEYS) {
      assert.equal(isSapBusinessPartnerNumber(key), false, key);
      for (const call of [
        () => client.get(key),
        () => client.block(key),
        () =>
          client.update({ businessPartner: key, data: {} }, { OrganizationBPName1: 'x' }, undefined)
      ]) {
        await assert.rejects(call(), (error: unknown) => {
          assert.ok(error instanceof SapError, String(error));
          assert.equal(error.transient, false);
          return true;
        });
      }
    }
    assert.deepEqual(urls, [], 'no request left the client');
    // A real number goes out inside ('...'), nothing else in the path.
    assert.equal(await client.get('1000000'), undefined);
    assert.match(urls[0] ?? '', /\/A_BusinessPartner\('1000000'\)\?\$expand=/);
  });
});

describe('account-sync trusts no Delete event as sent', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab();
    await lab.startService();
  });
  after(async () => {
    await lab?.close();
  });
  beforeEach(() => {
    lab.sap.control.clearFailures();
  });

  const synced = (name: string) => createSyncedAccount(lab, name);

  const blocked = (sapNumber: string) =>
    (lab.sap.control.partner(sapNumber) as Json | undefined)?.BusinessPartnerIsBlocked === true;

  /** The outcome the service recorded for this account in a batch after `from`. */
  async function outcomeOf(accountId: string, from: number) {
    let found: Json | undefined;
    await lab.until(() => {
      found = lab.batches
        .slice(from)
        .flatMap((b) => b.outcomes)
        .find((o) => o.accountId === accountId) as Json | undefined;
      return found !== undefined;
    }, `an outcome for ${accountId}`);
    return found as Json;
  }

  it('a Delete naming a live account with another account’s SAP number blocks nothing', async () => {
    const c = await synced('Live C');
    const d = await synced('Victim D');
    const from = lab.batches.length;
    await lab.publish(c.id, 'Delete', d.sapNumber);
    const outcome = await outcomeOf(c.id, from);
    assert.equal(outcome.kind, 'skipped');
    assert.match(String(outcome.reason), /not deleted/);
    assert.equal(blocked(d.sapNumber), false, 'D was blocked');
    assert.equal(blocked(c.sapNumber), false, 'C was blocked');
    const rows = await lab.accounts([c.id, d.id]);
    assert.ok(rows.every((r) => r.Sync_Status__c === 'Success'));
  });

  it('a Delete of a deleted account carrying another account’s SAP number blocks nothing', async () => {
    const e = await synced('Deleted E');
    const d = await synced('Victim D2');
    await lab.admin.rest.deleteMany([e.id]);
    const from = lab.batches.length;
    await lab.publish(e.id, 'Delete', d.sapNumber);
    const outcome = await outcomeOf(e.id, from);
    assert.equal(outcome.kind, 'skipped');
    assert.match(String(outcome.reason), /SearchTerm1/);
    assert.equal(blocked(d.sapNumber), false, 'D was blocked');
  });

  it('a Delete with a key that is not an SAP number sends nothing to SAP', async () => {
    const e = await synced('Deleted F');
    await lab.admin.rest.deleteMany([e.id]);
    lab.sap.control.resetRequests();
    const from = lab.batches.length;
    await lab.publish(e.id, 'Delete', '1?a=b#');
    const outcome = await outcomeOf(e.id, from);
    assert.equal(outcome.kind, 'skipped');
    assert.match(String(outcome.reason), /not an SAP business partner number/);
    const routes = Object.keys(lab.sap.control.requests().byRoute);
    assert.ok(
      routes.every((r) => !r.includes('?a=b') && !r.includes('..')),
      JSON.stringify(routes)
    );
    assert.equal(blocked(e.sapNumber), false);
  });

  it('a genuine Delete still blocks the account’s own customer', async () => {
    const g = await synced('Deleted G');
    await lab.admin.rest.deleteMany([g.id]);
    await lab.publish(g.id, 'Delete', g.sapNumber);
    await lab.until(() => blocked(g.sapNumber), 'G blocked');
  });

  it('an undeleted account is unblocked by the Update its undelete trigger publishes', async () => {
    const u = await synced('Undeleted U');
    // The block a Delete left (the emulator has no recycle bin to undelete from): set in SAP.
    const sap = new SapClient({
      baseUrl: lab.sap.url,
      username: lab.sap.username,
      password: lab.sap.password
    });
    assert.equal(await sap.block(u.sapNumber), 'blocked');
    assert.equal(blocked(u.sapNumber), true);
    // What AccountUndeleteHandler publishes for an undeleted account that has an SAP number.
    await lab.publish(u.id, 'Update', u.sapNumber);
    await lab.until(() => !blocked(u.sapNumber), 'U unblocked');
  });
});
