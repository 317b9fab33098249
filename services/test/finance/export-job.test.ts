// The Finance export end to end: the org emulator's Bulk API 2.0 (as the integration user), the
// Finance schema in a real PostgreSQL, the shipped mapping.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  ExportBusyError,
  ExportConflictError,
  ExportFailedError,
  ExportSwitchedOffError
} from '../../src/finance/export-job.ts';
import { readRun, readWatermark } from '../../src/finance/export-runs.ts';
import { to18 } from '../../../simulators/salesforce/src/ids.ts';
import { startFinanceLab, type FinanceLab } from './harness.ts';

/** SystemModstamp is compared to the second: let the clock pass one before the next change. */
const nextSecond = () => sleep(1_050);

describe('Finance export', () => {
  let lab: FinanceLab;

  before(async () => {
    lab = await startFinanceLab();
  });
  after(async () => {
    await lab?.close();
  });
  beforeEach(async () => {
    await lab.reset();
  });

  test('a first run exports every billing account into Finance at once, with its summary', async () => {
    const accounts = await lab.accounts(3);
    await lab.billingAccounts(10_000, accounts);
    const before = await lab.org.orgApiCalls();

    const summary = await lab.export();

    assert.equal(summary.mode, 'full', 'no watermark yet: the first run is a full one');
    assert.equal(summary.records, 10_000);
    assert.equal(summary.merged, 10_000);
    assert.equal(summary.chunks, 1);
    assert.equal(summary.pages, 5, '10,000 rows in pages of 2,000');
    const rows = await lab.financeRows();
    assert.equal(rows.length, 10_000);
    const row = rows.find((r) => r.account_number === 'BA-1-7');
    assert.ok(row);
    assert.equal(row.name, 'Billing 1-7');
    assert.equal(row.account_id, accounts[1]);
    assert.equal(row.account_name, 'Customer 2');
    assert.equal(row.balance, '125.50');
    assert.equal(row.last_invoice_date, '2026-11-30');
    assert.equal(row.is_deleted, false);
    assert.equal(row.tax_id, null);

    const run = await readRun(lab.db.pool, summary.runId);
    assert.equal(run?.state, 'succeeded');
    assert.equal(run?.records, 10_000);
    assert.equal(run?.pages, 5);
    // Every call of the run is counted by the org too; the one after it is the log write.
    assert.equal((run?.apiCalls ?? 0) + 1, (await lab.org.orgApiCalls()) - before);
    assert.ok((run?.apiCalls ?? 0) <= 15, `${run?.apiCalls} API calls for 10,000 rows`);
    assert.deepEqual(await readWatermark(lab.db.pool, 'finance.billing_account'), summary.until);
    const staging = await lab.db.pool.query(
      `SELECT 1 FROM pg_tables WHERE schemaname = 'finance' AND tablename LIKE 'export\\_stage\\_%'`
    );
    assert.equal(staging.rowCount, 0, 'the staging table is dropped by the merge');

    // The run is on the Integration Console (Integration_Log__c, source FinanceExport).
    const logs = await lab.admin.rest.queryRecords<{ Severity__c: string; Message__c: string }>(
      "SELECT Severity__c, Message__c FROM Integration_Log__c WHERE Source__c = 'FinanceExport'"
    );
    assert.equal(logs.length, 1);
    assert.equal(logs[0]?.Severity__c, 'INFO');
    assert.match(logs[0]?.Message__c ?? '', /10,000 rows in 5 pages of 1 Bulk API 2.0 job/);
  });

  test('the next run exports only what changed, and deletions reach Finance (queryAll)', async () => {
    const accounts = await lab.accounts(1);
    await lab.billingAccounts(500, accounts);
    const first = await lab.export();
    assert.equal(first.records, 500);
    const rows = await lab.financeRows();
    const [changed, deleted] = [
      rows[10]?.salesforce_id as string,
      rows[20]?.salesforce_id as string
    ];

    await nextSecond();
    await lab.admin.rest.updateMany('Billing_Account__c', [
      { Id: changed, Balance__c: 99.99, Status__c: 'Suspended' }
    ]);
    await lab.admin.rest.deleteMany([deleted]);
    await nextSecond();

    const second = await lab.export();
    assert.equal(second.mode, 'incremental');
    assert.deepEqual(second.since, first.until);
    assert.equal(second.records, 2, 'the changed and the deleted row, nothing else');
    const after = await lab.financeRows();
    assert.equal(after.length, 500, 'a deleted row stays in Finance, flagged');
    const byId = new Map(after.map((r) => [r.salesforce_id, r]));
    assert.equal(byId.get(changed)?.balance, '99.99');
    assert.equal(byId.get(changed)?.status, 'Suspended');
    assert.equal(byId.get(deleted)?.is_deleted, true);

    await nextSecond();
    const third = await lab.export();
    assert.equal(third.records, 0, 'nothing changed: nothing exported');
    assert.equal(third.pages, 1);
  });

  test("renaming an Account re-exports its billing accounts' account name (and no others)", async () => {
    const accounts = await lab.accounts(2);
    await lab.billingAccounts(40, accounts);
    await lab.export();
    await nextSecond();
    await lab.admin.rest.updateMany('Account', [
      { Id: accounts[0] as string, Name: 'Renamed Ltd' }
    ]);
    await nextSecond();

    const next = await lab.export();
    assert.equal(next.records, 20, "only the renamed account's billing accounts");
    const rows = await lab.financeRows();
    assert.equal(rows.filter((r) => r.account_name === 'Renamed Ltd').length, 20);
    assert.equal(rows.filter((r) => r.account_name === 'Customer 2').length, 20);
  });

  test('a full run flags Finance rows Salesforce no longer has, and only those', async () => {
    const [account] = await lab.accounts(1);
    await lab.billingAccounts(30, [account as string]);
    const first = await lab.export();
    assert.equal(first.reconciled, 0);
    // A row Finance holds that Salesforce no longer has at all (deleted and purged before a
    // night saw it): queryAll cannot return it, so only a full run can notice.
    await lab.db.pool.query(
      `INSERT INTO finance.billing_account (salesforce_id, system_modstamp, account_number,
         exported_run_id, exported_at)
       VALUES ($1, now() - interval '1 day', 'BA-purged', 0, now())`,
      [to18('a00Em0000000zzz')]
    );
    await nextSecond();
    // A row changed after the full run's window (the lag keeps it out): alive, not deleted.
    const rows = await lab.financeRows();
    const edited = rows[3]?.salesforce_id as string;
    await lab.admin.rest.updateMany('Billing_Account__c', [{ Id: edited, Balance__c: 7 }]);

    const incremental = await lab.export({ settings: { lagMs: 60_000 } });
    assert.equal(incremental.reconciled, 0, 'an incremental run cannot tell');
    const full = await lab.export({ mode: 'full', settings: { lagMs: 60_000 } });
    assert.equal(full.reconciled, 1, 'only the purged row');
    const after = await lab.financeRows();
    assert.equal(after.find((r) => r.account_number === 'BA-purged')?.is_deleted, true);
    assert.equal(after.find((r) => r.salesforce_id === edited)?.is_deleted, false);
    assert.equal(after.filter((r) => r.is_deleted).length, 1, 'the others stay');
  });

  test('a run is resumed only with the mapping it was planned with', async () => {
    const [account] = await lab.accounts(1);
    await lab.billingAccounts(3_000, [account as string]);
    // Interrupted after its first page: the run stays to be resumed.
    const stop = new AbortController();
    await assert.rejects(
      lab.export({
        signal: stop.signal,
        settings: { pageSize: 500 },
        progress: {
          start: () => undefined,
          expect: () => undefined,
          advance: () => stop.abort(new Error('interrupted')),
          stop: () => undefined
        }
      })
    );
    const swapped = {
      ...lab.mapping,
      columns: lab.mapping.columns.map((c) =>
        c.column === 'tax_id'
          ? { ...c, column: 'cost_center' }
          : c.column === 'cost_center'
            ? { ...c, column: 'tax_id' }
            : c
      ),
      hash: 'another mapping'
    };
    await assert.rejects(lab.export({ mapping: swapped }), ExportConflictError);
    const resumed = await lab.export();
    assert.equal(resumed.resumed, true);
    assert.equal(resumed.records, 3_000);
  });

  test("a Failed job ends the run with Salesforce's message; the watermark does not move", async () => {
    const accounts = await lab.accounts(1);
    await lab.billingAccounts(100, accounts);
    const first = await lab.export();
    await nextSecond();
    const firstId = (await lab.financeRows())[0]?.salesforce_id as string;
    await lab.admin.rest.updateMany('Billing_Account__c', [{ Id: firstId, Balance__c: 1 }]);
    await lab.org.emulator.driver('POST', 'faults/bulk-query', {
      object: 'Billing_Account__c',
      message: 'Retried more than 15 times',
      count: 1
    });
    await nextSecond();

    const failure = await lab.export().then(
      () => assert.fail('the export should fail'),
      (error: unknown) => error
    );
    assert.ok(failure instanceof ExportFailedError, String(failure));
    assert.match(failure.message, /Retried more than 15 times/);
    assert.match(failure.message, /watermark is unchanged/);
    assert.deepEqual(await readWatermark(lab.db.pool, 'finance.billing_account'), first.until);
    const run = await readRun(lab.db.pool, failure.runId);
    assert.equal(run?.state, 'failed');
    assert.match(run?.error ?? '', /Retried more than 15 times/);
    const logs = await lab.admin.rest.queryRecords<{ Severity__c: string; Message__c: string }>(
      "SELECT Severity__c, Message__c FROM Integration_Log__c WHERE Source__c = 'FinanceExport' AND Severity__c = 'ERROR'"
    );
    assert.equal(logs.length, 1);
    assert.match(logs[0]?.Message__c ?? '', /Retried more than 15 times/);

    // The next run starts over from the same watermark and gets the change.
    const retry = await lab.export();
    assert.deepEqual(retry.since, first.until);
    assert.equal(retry.records, 1);
    assert.equal((await lab.financeRows())[0]?.balance, '1.00');
  });

  test('a value the Finance table refuses ends the run, logged on the record it is about', async () => {
    const [account] = await lab.accounts(1);
    // Rows before it carry line breaks: the line PostgreSQL names is not the row's number.
    const [, , longId = ''] = await lab.org.fixtures('Billing_Account__c', [
      {
        Name: 'First',
        Account__c: account,
        Billing_Account_Number__c: 'BA-1',
        Finance_Notes__c: 'a\nb\nc'
      },
      {
        Name: 'Second',
        Account__c: account,
        Billing_Account_Number__c: 'BA-2',
        Finance_Notes__c: 'd\ne'
      },
      {
        Name: 'Long',
        Account__c: account,
        Billing_Account_Number__c: 'BA-long',
        Cost_Center__c: 'CC-123456789'
      }
    ]);
    await lab.db.pool.query(
      'ALTER TABLE finance.billing_account ALTER COLUMN cost_center TYPE varchar(5)'
    );
    try {
      const failure = await lab.export().then(
        () => assert.fail('the export should fail'),
        (error: unknown) => error
      );
      assert.ok(failure instanceof ExportFailedError, String(failure));
      assert.match(failure.message, /value too long.*column cost_center: "CC-123456789"/);
      assert.equal(
        (await readRun(lab.db.pool, failure.runId))?.state,
        'failed',
        'not resumed forever'
      );
      assert.equal(await readWatermark(lab.db.pool, 'finance.billing_account'), undefined);
      // On the billing account's own page: integrationLogList lists logs by Record_Id__c.
      const logs = await lab.admin.rest.queryRecords<{
        Record_Id__c: string | null;
        Message__c: string;
      }>(
        "SELECT Record_Id__c, Message__c FROM Integration_Log__c WHERE Source__c = 'FinanceExport' AND Severity__c = 'ERROR'"
      );
      assert.equal(logs.length, 1);
      assert.equal(logs[0]?.Record_Id__c?.slice(0, 15), longId.slice(0, 15));
      assert.match(logs[0]?.Message__c ?? '', /CC-123456789/);
    } finally {
      await lab.db.pool.query(
        'ALTER TABLE finance.billing_account ALTER COLUMN cost_center TYPE text'
      );
    }
  });

  test("the window is cut on Salesforce's clock, not this machine's", async () => {
    const [account] = await lab.accounts(1);
    await lab.billingAccounts(10, [account as string]);
    await lab.export();
    // The org's clock runs an hour ahead of this machine's: a window ending at the local "now"
    // would leave out the change below, and the next run would start after it.
    await lab.org.emulator.driver('POST', 'clock/advance', { ms: 3_600_000 });
    const [row] = await lab.financeRows();
    await lab.admin.rest.updateMany('Billing_Account__c', [
      { Id: row?.salesforce_id as string, Cost_Center__c: 'CC-CLOCK' }
    ]);
    await lab.org.emulator.driver('POST', 'clock/advance', { ms: 1_000 });

    const next = await lab.export();
    assert.equal(next.records, 1);
    assert.ok(next.until.getTime() > Date.now() + 3_000_000, "until is the org's time");
    const after = await lab.financeRows();
    assert.equal(
      after.find((r) => r.salesforce_id === row?.salesforce_id)?.cost_center,
      'CC-CLOCK'
    );
  });

  test('a parallel Id-range run gives exactly what one job gives', async () => {
    const accounts = await lab.accounts(4);
    await lab.billingAccounts(20_000, accounts);
    await lab.org.fixtures('Billing_Account__c', [
      { Name: 'Stored', Account__c: accounts[0], Billing_Account_Number__c: 'BA-stored' }
    ]);
    const single = await lab.export({ mode: 'full', settings: { chunkSize: 100_000 } });
    assert.equal(single.chunks, 1);
    const one = await lab.financeRows();

    await lab.db.pool.query('TRUNCATE finance.billing_account');
    const chunked = await lab.export({
      mode: 'full',
      settings: { chunkSize: 3_000, concurrency: 4, pageSize: 1_000 }
    });
    assert.ok(chunked.chunks >= 7, `${chunked.chunks} chunks of at most 3,000 rows`);
    assert.equal(chunked.records, 20_001, 'every row once: the Id ranges do not overlap');
    assert.deepEqual(await lab.financeRows(), one);
  });

  test('one export at a time: a second one finds the lease taken', async () => {
    const accounts = await lab.accounts(1);
    await lab.billingAccounts(5_000, accounts);
    const outcomes = await Promise.allSettled([
      lab.export({ settings: { pageSize: 500 } }),
      sleep(50).then(() => lab.export())
    ]);
    // Which one takes the lease first depends on the machine's load; exactly one runs.
    const ran = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(ran.length, 1);
    assert.equal(refused.length, 1);
    assert.ok(refused[0]!.reason instanceof ExportBusyError, String(refused[0]!.reason));
  });

  test('the kill switch off: nothing is called beyond reading it, nothing changes', async () => {
    const accounts = await lab.accounts(1);
    await lab.billingAccounts(10, accounts);
    lab.setSwitch(false);
    await assert.rejects(lab.export(), ExportSwitchedOffError);
    const { rows } = await lab.db.pool.query('SELECT 1 FROM finance.export_runs');
    assert.equal(rows.length, 0);
    lab.setSwitch(true);
    assert.equal((await lab.export()).records, 10);
  });
});
