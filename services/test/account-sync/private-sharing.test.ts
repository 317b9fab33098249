// account-sync under a Private sharing model for Account (hostile review): the accounts are the
// administrator's, as people and flows create them, and the integration user owns none. The
// service must still see and write back every account (View All + Modify All on Account in
// Integration_Service_User), and an account Salesforce does not return must never block its
// SAP customer: only queryAll returning it with IsDeleted = true does.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type pg from 'pg';
import type { SapClient } from '../../src/account-sync/sap-client.ts';
import { syncBatch, type SyncDeps } from '../../src/account-sync/sync-batch.ts';
import { createSyncedAccount, startLab, type Lab } from './harness.ts';

type Json = Record<string, unknown>;

describe('account-sync with Account Private (records owned by the administrator)', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ sharingModels: { Account: 'Private' } });
    await lab.startService();
  });
  after(async () => {
    await lab?.close();
  });
  beforeEach(() => {
    lab.sap.control.clearFailures();
  });

  const blocked = (sapNumber: string) =>
    (lab.sap.control.partner(sapNumber) as Json | undefined)?.BusinessPartnerIsBlocked === true;

  /** The first outcome for the account after `from` that is not a (repeated) success. */
  async function outcomeOf(accountId: string, from: number, kinds = ['skipped', 'blocked']) {
    let found: Json | undefined;
    await lab.until(() => {
      found = lab.batches
        .slice(from)
        .flatMap((b) => b.outcomes)
        .find((o) => o.accountId === accountId && kinds.includes(o.kind)) as Json | undefined;
      return found !== undefined;
    }, `an outcome for ${accountId}`);
    return found as Json;
  }

  const synced = (name: string) => createSyncedAccount(lab, name);

  it('the org is Private for Account: the integration user owns none of the accounts', async () => {
    const [id] = await lab.admin.rest.createMany('Account', [{ Name: 'Owned by admin' }], {
      allOrNone: true
    });
    const [row] = await lab.probe.rest.queryByIds<Json>(
      'Account',
      ['Id', 'OwnerId'],
      [String(id?.id)]
    );
    const integration = lab.org.emulator.ctx.integrationUser.userId;
    assert.notEqual(row?.OwnerId, integration);
  });

  it('a Create syncs to Success with an SAP number', async () => {
    const from = lab.batches.length;
    const a = await synced('Private A');
    const outcome = await outcomeOf(a.id, from, ['success', 'skipped', 'blocked']);
    assert.equal(outcome.kind, 'success');
    assert.equal(blocked(a.sapNumber), false);
  });

  it('a Delete event naming a live account does not block its customer', async () => {
    const b = await synced('Private B');
    const from = lab.batches.length;
    await lab.publish(b.id, 'Delete', b.sapNumber);
    const outcome = await outcomeOf(b.id, from);
    assert.equal(outcome.kind, 'skipped');
    assert.match(String(outcome.reason), /not deleted/);
    assert.equal(blocked(b.sapNumber), false, 'a live account’s customer was blocked');
    const [row] = await lab.accounts([b.id]);
    assert.equal(row?.Sync_Status__c, 'Success');
  });

  it('a real delete blocks the customer', async () => {
    const c = await synced('Private C');
    await lab.admin.rest.deleteMany([c.id]);
    await lab.publish(c.id, 'Delete', c.sapNumber);
    await lab.until(() => blocked(c.sapNumber), 'C blocked');
  });
});

describe('syncBatch: an account Salesforce does not return is skipped and alerted, never blocked', () => {
  const ID = '001000000000001AAA';
  function deps(errors: Json[]): { deps: SyncDeps; sapCalls: string[] } {
    const sapCalls: string[] = [];
    const sap = new Proxy(
      {},
      {
        get: (_target, name) => async () => {
          sapCalls.push(String(name));
          return undefined;
        }
      }
    ) as unknown as SapClient;
    const log = () => undefined;
    return {
      sapCalls,
      deps: {
        // Invisible (Private, no View All) or purged: not even queryAll returns it.
        rest: {
          queryByIds: async () => [],
          updateMany: async () => []
        } as unknown as SyncDeps['rest'],
        sap,
        pool: { query: async () => ({ rows: [], rowCount: 0 }) } as unknown as pg.Pool,
        concurrency: 2,
        logger: {
          error: (fields: Json) => errors.push(fields),
          warn: log,
          info: log,
          debug: log
        } as unknown as SyncDeps['logger']
      }
    };
  }

  it('a Delete naming it: skipped with its reason, an error logged, SAP untouched', async () => {
    const errors: Json[] = [];
    const { deps: d, sapCalls } = deps(errors);
    const result = await syncBatch(
      [{ accountId: ID, action: 'delete', sapNumber: '1000000', events: 1 }],
      d
    );
    assert.equal(result.outcomes.length, 1);
    const [outcome] = result.outcomes;
    assert.equal(outcome?.kind, 'skipped');
    assert.ok(outcome?.kind === 'skipped');
    assert.equal(outcome.notFound, 'delete');
    assert.match(outcome.reason, /not visible to the integration user, or purged/);
    assert.deepEqual(sapCalls, [], 'SAP was called');
    assert.equal(errors.length, 1);
  });

  it('an upsert naming it: skipped as not found (not "deleted"), an error logged', async () => {
    const errors: Json[] = [];
    const { deps: d, sapCalls } = deps(errors);
    const result = await syncBatch([{ accountId: ID, action: 'upsert', events: 1 }], d);
    const [outcome] = result.outcomes;
    assert.ok(outcome?.kind === 'skipped');
    assert.equal(outcome.notFound, 'upsert');
    assert.deepEqual(sapCalls, []);
    assert.equal(errors.length, 1);
  });
});
