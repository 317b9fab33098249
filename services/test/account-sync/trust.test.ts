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
import { toBusinessPartner, type SalesforceAccount } from '../../src/account-sync/mapping.ts';
import { syncBatch } from '../../src/account-sync/sync-batch.ts';
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

  // Synced, and its batch recorded: the service writes the account's status to Salesforce before
  // it records the batch, so a test's `from` taken at once could still see the Create's outcome.
  const synced = async (name: string) => {
    const account = await createSyncedAccount(lab, name);
    await outcomeOf(account.id, 0);
    return account;
  };

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

  it('an undeleted account is unblocked by the Update its undelete trigger publishes, when account sync set the block', async () => {
    const u = await synced('Undeleted U');
    const sap = new SapClient({
      baseUrl: lab.sap.url,
      username: lab.sap.username,
      password: lab.sap.password
    });
    // The service's Delete of U (the emulator has no recycle bin to undelete from, so the batch
    // is run with a Salesforce that says U is deleted): blocked, and the block recorded.
    const result = await syncBatch([{ accountId: u.id, action: 'delete', events: 1 }], {
      rest: {
        queryByIds: async () =>
          [{ Id: u.id, IsDeleted: true, SAP_Customer_Number__c: u.sapNumber }] as never,
        updateMany: async () => [],
        createMany: async () => []
      },
      sap,
      pool: lab.db.pool,
      concurrency: 1
    });
    assert.equal(result.outcomes[0]?.kind, 'blocked');
    assert.equal(blocked(u.sapNumber), true);
    const recorded = () =>
      lab.db.pool.query('SELECT 1 FROM account_sync_block WHERE business_partner = $1', [
        u.sapNumber
      ]);
    assert.equal((await recorded()).rows.length, 1, 'the block is recorded');
    // What AccountUndeleteHandler publishes for an undeleted account that has an SAP number.
    await lab.publish(u.id, 'Update', u.sapNumber);
    await lab.until(() => !blocked(u.sapNumber), 'U unblocked');
    assert.equal((await recorded()).rows.length, 0, 'the record is cleared');
  });

  it('the block record goes before the lift and comes back when the lift fails', async () => {
    const v = await synced('Undeleted V');
    const sap = new SapClient({
      baseUrl: lab.sap.url,
      username: lab.sap.username,
      password: lab.sap.password
    });
    const recorded = async () =>
      (
        await lab.db.pool.query('SELECT 1 FROM account_sync_block WHERE business_partner = $1', [
          v.sapNumber
        ])
      ).rows.length;
    const deleted = await syncBatch([{ accountId: v.id, action: 'delete', events: 1 }], {
      rest: {
        queryByIds: async () =>
          [{ Id: v.id, IsDeleted: true, SAP_Customer_Number__c: v.sapNumber }] as never,
        updateMany: async () => [],
        createMany: async () => []
      },
      sap,
      pool: lab.db.pool,
      concurrency: 1
    });
    assert.equal(deleted.outcomes[0]?.kind, 'blocked');
    assert.equal(await recorded(), 1);
    // The undelete's Update, with SAP failing the PATCH that would lift the block.
    let recordsWhenLifting: number | undefined;
    const failingUpdate = async () => {
      recordsWhenLifting = await recorded();
      throw new Error('SAP is down');
    };
    const failingSap = new Proxy(sap, {
      get(target, property) {
        if (property === 'update') return failingUpdate;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
    });
    const upsert = await syncBatch([{ accountId: v.id, action: 'upsert', events: 1 }], {
      rest: lab.salesforce.rest,
      sap: failingSap,
      pool: lab.db.pool,
      concurrency: 1
    });
    assert.notEqual(upsert.outcomes[0]?.kind, 'success', JSON.stringify(upsert.outcomes));
    assert.equal(recordsWhenLifting, 0, 'the record was gone before SAP was asked to lift');
    assert.equal(await recorded(), 1, 'put back after the failed lift, so the retry lifts it');
    assert.equal(blocked(v.sapNumber), true);
  });

  it('a block SAP set itself (credit, fraud) is not lifted by an update; the account says so', async () => {
    const h = await synced('Credit blocked H');
    const sap = new SapClient({
      baseUrl: lab.sap.url,
      username: lab.sap.username,
      password: lab.sap.password
    });
    assert.equal(await sap.block(h.sapNumber), 'blocked'); // SAP's credit management
    await lab.admin.rest.updateMany('Account', [{ Id: h.id, Phone: '+49 30 1234567' }], {
      allOrNone: true
    });
    const from = lab.batches.length;
    await lab.publish(h.id, 'Update');
    const outcome = await outcomeOf(h.id, from);
    assert.equal(outcome.kind, 'success');
    assert.equal(blocked(h.sapNumber), true, 'SAP’s own block was lifted');
    const [account] = await lab.accounts([h.id]);
    assert.equal(account?.Sync_Status__c, 'Success');
    assert.match(String(account?.Sync_Error__c), /blocked in SAP/);
  });
});

describe('account-sync trusts no SAP number on an account as written', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab();
    await lab.startService();
    // The reconciliation at start must not race the accounts created below (a second batch of
    // the same account could write its number back over the edit the test makes).
    await lab.until(() => lab.reconciles.length > 0, 'reconciliation at start');
  });
  after(async () => {
    await lab?.close();
  });

  const partnerOf = (sapNumber: string) => lab.sap.control.partner(sapNumber) as Json | undefined;

  it('an update whose SAP number names another account’s partner fails and writes nothing to SAP', async () => {
    const attacker = await createSyncedAccount(lab, 'Attacker A');
    // Another customer's partner (another account's id in SearchTerm1): the field is unique in
    // Salesforce, so the number edited in is one no live account holds (a customer kept only in
    // SAP, a deleted account's, a typo).
    const sap = new SapClient({
      baseUrl: lab.sap.url,
      username: lab.sap.username,
      password: lab.sap.password
    });
    const victim = {
      sapNumber: (
        await sap.create(
          toBusinessPartner({
            Id: '001000000000099AAA',
            Name: 'Victim V',
            BillingCountry: 'DE',
            BillingCity: 'Hamburg'
          } as SalesforceAccount)
        )
      ).businessPartner
    };
    const victimBefore = structuredClone(partnerOf(victim.sapNumber));
    // Someone with edit access on the field points A at V's customer and renames A.
    const [saved] = await lab.admin.rest.updateMany(
      'Account',
      [{ Id: attacker.id, Name: 'Overwritten by A', SAP_Customer_Number__c: victim.sapNumber }],
      { allOrNone: true }
    );
    assert.equal(saved?.success, true, JSON.stringify(saved));
    lab.sap.control.resetRequests();
    await lab.publish(attacker.id, 'Update');
    let last: unknown;
    await lab.until(
      async () => {
        const [row] = await lab.accounts([attacker.id]);
        last = row;
        return row?.Sync_Status__c === 'Failed';
      },
      () => `A Failed, last read ${JSON.stringify(last)}`
    );
    const [row] = await lab.accounts([attacker.id]);
    assert.match(String(row?.Sync_Error__c), /belongs to another account/);
    assert.match(String(row?.Sync_Error__c), new RegExp(victim.sapNumber));
    // V's partner is untouched, and no PATCH went to SAP at all.
    assert.deepEqual(partnerOf(victim.sapNumber), victimBefore);
    const routes = Object.keys(lab.sap.control.requests().byRoute);
    assert.ok(
      routes.every((r) => !r.startsWith('PATCH') && !r.startsWith('POST')),
      JSON.stringify(routes)
    );
    // A's own partner is untouched too (the number no longer leads to it).
    assert.equal(partnerOf(attacker.sapNumber)?.OrganizationBPName1, 'Attacker A');
    // An integration log entry on the account says why.
    const logs: Json[] = [];
    for await (const log of lab.probe.rest.query<Json>(
      `SELECT Source__c, Severity__c, Message__c FROM Integration_Log__c WHERE Record_Id__c = '${attacker.id}'`
    ))
      logs.push(log);
    assert.equal(logs.length, 1, JSON.stringify(logs));
    assert.equal(logs[0]?.Source__c, 'AccountSync');
    assert.equal(logs[0]?.Severity__c, 'ERROR');
    assert.match(String(logs[0]?.Message__c), /belongs to another account/);
  });

  it('an update of the account’s own partner still goes through, with one GET and no search', async () => {
    const own = await createSyncedAccount(lab, 'Own O');
    await lab.admin.rest.updateMany('Account', [{ Id: own.id, Name: 'Own O renamed' }], {
      allOrNone: true
    });
    lab.sap.control.resetRequests();
    await lab.publish(own.id, 'Update');
    await lab.until(
      () => partnerOf(own.sapNumber)?.OrganizationBPName1 === 'Own O renamed',
      'O renamed in SAP'
    );
    // The ownership check reads the GET the update needs for its ETag: one GET, no search.
    const routes = lab.sap.control.requests().byRoute;
    assert.equal(routes['GET A_BusinessPartner(...)'], 1, JSON.stringify(routes));
    assert.equal(routes['GET A_BusinessPartner'], undefined, JSON.stringify(routes));
  });
});
