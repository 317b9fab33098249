/**
 * A burst of 10,000 new accounts (10,000 Create events plus 2,000 duplicates) reaching a running
 * service: every account ends Success with its own SAP customer, exactly one each, and the
 * service spends at most 0.05 Salesforce API calls per account (the org emulator's own count,
 * minus the calls this test makes to check the outcome).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLab, type Lab, EVENT } from './harness.ts';

const COUNT = 10_000;
type Json = Record<string, unknown>;

describe('account-sync burst', () => {
  let lab: Lab;

  before(async () => {
    lab = await startLab();
  });
  after(async () => {
    await lab?.close();
  });

  it(
    `${COUNT} accounts: all Success, one SAP customer each, <= 0.05 API calls per account`,
    { timeout: 330_000 },
    async () => {
      await lab.startService();
      const ids = await lab.org.fixtures(
        'Account',
        Array.from({ length: COUNT }, (_, i) => ({
          Name: `Burst Customer ${i}`,
          BillingCountry: i % 2 ? 'Germany' : 'US',
          BillingCity: 'City',
          Sync_Status__c: 'Pending'
        }))
      );
      const callsBefore = await lab.org.orgApiCalls();
      for (const [i, id] of ids.entries()) {
        const event = { Account_Id__c: id, Operation__c: 'Create' };
        lab.org.emulator.ctx.bus.publish(EVENT, event);
        if (i % 5 === 0) lab.org.emulator.ctx.bus.publish(EVENT, event);
      }
      // Accounts the service saw through to Success: written back by a batch, or found already
      // Success when a retry came up (a write-back that succeeded although its answer was lost
      // under load is then dropped as settled, and the account is not synced twice).
      const synced = () => {
        const done = new Set<string>();
        for (const batch of lab.batches)
          for (const outcome of batch.outcomes)
            if (
              outcome.kind === 'success' ||
              (outcome.kind === 'skipped' && /already synced/.test(outcome.reason))
            )
              done.add(outcome.accountId);
        return done.size;
      };
      await lab.until(
        async () => synced() >= COUNT && (await lab.inboxSize()) === 0,
        () => {
          // On a timeout, what became of the others: the last outcome of each account.
          const last = new Map<string, string>();
          for (const batch of lab.batches)
            for (const o of batch.outcomes)
              last.set(o.accountId, o.kind === 'skipped' ? `skipped: ${o.reason}` : o.kind);
          const kinds: Record<string, number> = {};
          for (const kind of last.values()) kinds[kind] = (kinds[kind] ?? 0) + 1;
          return `every account synced (${synced()} of ${COUNT}; last outcomes ${JSON.stringify(kinds)})`;
        },
        // About 15 s on a quiet 2-core machine; the margin is for one shared with other suites.
        300_000
      );
      const serviceCalls = (await lab.org.orgApiCalls()) - callsBefore;

      const probeCalls = lab.probe.meter.total();
      const success = await lab.probe.rest.queryCount(
        "SELECT COUNT() FROM Account WHERE Sync_Status__c = 'Success' AND SAP_Customer_Number__c != null"
      );
      assert.equal(success, COUNT, 'every Salesforce account Success with its SAP number');
      assert.equal(lab.probe.meter.total() - probeCalls, 1);

      const partners = lab.sap.control.partners() as Json[];
      assert.equal(partners.length, COUNT, 'exactly one SAP customer per account');
      assert.deepEqual(
        new Set(partners.map((p) => p.SearchTerm1)),
        new Set(ids.map((id) => id.toUpperCase())),
        'each account has its own customer'
      );
      const perAccount = serviceCalls / COUNT;
      assert.ok(perAccount <= 0.05, `API calls per account ${perAccount} > 0.05`);
    }
  );
});
