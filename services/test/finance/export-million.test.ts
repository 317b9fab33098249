// A million billing accounts from the org emulator into Finance, split into Id-range jobs read in
// parallel: every row lands once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFinanceLab, type FinanceLab } from './harness.ts';

const ROWS = 1_000_000;

describe('Finance export at a million rows', () => {
  let lab: FinanceLab;

  before(async () => {
    lab = await startFinanceLab();
  });
  after(async () => {
    await lab?.close();
  });

  test('1,000,000 rows land completely', { timeout: 600_000 }, async () => {
    const accounts = await lab.accounts(10);
    await lab.billingAccounts(ROWS, accounts);

    const summary = await lab.export({
      settings: { chunkSize: 250_000, concurrency: 4, pageSize: 50_000, gzip: false }
    });

    assert.equal(summary.records, ROWS);
    assert.equal(summary.merged, ROWS);
    assert.ok(summary.chunks >= 4, `${summary.chunks} Id-range jobs`);
    const { rows } = await lab.db.pool.query<{
      n: number;
      ids: number;
      numbers: number;
      accounts: number;
    }>(
      `SELECT count(*)::int AS n, count(DISTINCT salesforce_id)::int AS ids,
              count(DISTINCT account_number)::int AS numbers, count(DISTINCT account_id)::int AS accounts
         FROM finance.billing_account`
    );
    assert.deepEqual(rows[0], { n: ROWS, ids: ROWS, numbers: ROWS, accounts: 10 });
    // Pages of 50,000 rows in jobs of at most 250,000: a few dozen calls, not thousands.
    assert.ok(summary.apiCalls < 100, `${summary.apiCalls} API calls`);
  });
});
