// One results page into staging with its checkpoint: the header is checked, the row count must be
// Salesforce's, an empty non-text value loads as NULL quoted or not, and a failed page leaves
// neither rows nor checkpoint behind.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { RunTakenOverError } from '../../src/finance/export-runs.ts';
import { loadPage, PageLoadError } from '../../src/finance/page-loader.ts';
import type { RawResultPage } from '../../src/platform/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { migrate } from '../../src/platform/index.ts';

function page(csv: string, numberOfRecords: number, nextLocator?: string): RawResultPage {
  const bytes = Buffer.from(csv, 'utf8');
  return {
    locator: undefined,
    nextLocator,
    numberOfRecords,
    contentEncoding: undefined,
    // Split mid-row and mid-character: the loader must not care where chunks end.
    body: (async function* () {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    })(),
    release: () => undefined
  };
}

const OPTIONS = {
  stage: 'finance.page_loader_stage',
  columns: ['"salesforce_id"', '"balance"', '"last_invoice_date"', '"finance_notes"'],
  header: ['Id', 'Balance__c', 'Last_Invoice_Date__c', 'Finance_Notes__c'],
  forceNull: ['"balance"', '"last_invoice_date"'],
  runId: 0,
  chunkNo: 0,
  jobId: '750Em0000000001AAA',
  attempt: 1
};
const HEADER = '"Id","Balance__c","Last_Invoice_Date__c","Finance_Notes__c"\n';

describe('page loader', () => {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
    await migrate(db.pool, {});
    await db.pool.query(
      `CREATE TABLE finance.page_loader_stage (salesforce_id text, balance numeric(18,2),
         last_invoice_date date, finance_notes text)`
    );
  });
  after(async () => {
    await db?.drop();
  });
  beforeEach(async () => {
    await db.pool.query('TRUNCATE finance.page_loader_stage');
    await db.pool.query('TRUNCATE finance.export_runs CASCADE');
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO finance.export_runs
         (target, object, mode, operation, trigger, until, soql, mapping_hash)
       VALUES ('finance.billing_account', 'Billing_Account__c', 'full', 'query', 'manual', now(), 'x', 'h')
       RETURNING id`
    );
    OPTIONS.runId = Number(rows[0]?.id);
    await db.pool.query(
      `INSERT INTO finance.export_chunks (run_id, chunk_no, soql, job_id) VALUES ($1, 0, 'x', $2)`,
      [OPTIONS.runId, OPTIONS.jobId]
    );
  });

  const staged = async () =>
    (
      await db.pool.query(
        'SELECT salesforce_id, balance::text, last_invoice_date::text, finance_notes FROM finance.page_loader_stage ORDER BY salesforce_id'
      )
    ).rows;
  const checkpoint = async () =>
    (
      await db.pool.query(
        'SELECT next_locator, done, pages, records::int FROM finance.export_chunks WHERE run_id = $1',
        [OPTIONS.runId]
      )
    ).rows[0];

  test('rows and checkpoint land together; empty quoted or unquoted non-text values are NULL', async () => {
    const csv = `${HEADER}"a1","12.50","2026-11-30","x"\n"a2","","",""\n"a3",,,\n`;
    const loaded = await loadPage(db.pool, page(csv, 3, 'LOC2'), OPTIONS);
    assert.equal(loaded.rows, 3);
    assert.deepEqual(await staged(), [
      {
        salesforce_id: 'a1',
        balance: '12.50',
        last_invoice_date: '2026-11-30',
        finance_notes: 'x'
      },
      { salesforce_id: 'a2', balance: null, last_invoice_date: null, finance_notes: '' },
      { salesforce_id: 'a3', balance: null, last_invoice_date: null, finance_notes: null }
    ]);
    assert.deepEqual(await checkpoint(), {
      next_locator: 'LOC2',
      done: false,
      pages: 1,
      records: 3
    });
  });

  test("a header that is not the query's is refused, not loaded", async () => {
    const csv =
      '"Id","Name","Last_Invoice_Date__c","Finance_Notes__c"\n"a1","n","2026-11-30","x"\n';
    await assert.rejects(loadPage(db.pool, page(csv, 1), OPTIONS), (error: unknown) => {
      assert.ok(error instanceof PageLoadError);
      assert.equal(error.retryable, false);
      assert.match(error.message, /not the query's/);
      return true;
    });
    assert.deepEqual(await staged(), []);
    assert.deepEqual(await checkpoint(), { next_locator: null, done: false, pages: 0, records: 0 });
  });

  test('a page shorter than Sforce-NumberOfRecords rolls back and may be read again', async () => {
    const csv = `${HEADER}"a1","1","2026-11-30","x"\n`;
    await assert.rejects(loadPage(db.pool, page(csv, 2), OPTIONS), (error: unknown) => {
      assert.ok(error instanceof PageLoadError);
      assert.equal(error.retryable, true);
      return true;
    });
    assert.deepEqual(await staged(), []);
    assert.deepEqual(await checkpoint(), { next_locator: null, done: false, pages: 0, records: 0 });
  });

  test('a process whose run was taken over (an older attempt) loads nothing', async () => {
    await db.pool.query('UPDATE finance.export_runs SET attempts = 2 WHERE id = $1', [
      OPTIONS.runId
    ]);
    const csv = `${HEADER}"a1","1","2026-11-30","x"\n`;
    await assert.rejects(loadPage(db.pool, page(csv, 1), OPTIONS), RunTakenOverError);
    assert.deepEqual(await staged(), []);
    assert.deepEqual(await checkpoint(), { next_locator: null, done: false, pages: 0, records: 0 });
    // The owner's load of the same page goes through.
    await loadPage(db.pool, page(csv, 1), { ...OPTIONS, attempt: 2 });
    assert.equal((await staged()).length, 1);
  });

  test("COPY's end marker inside a value is data, not the end of the page", async () => {
    const csv = `${HEADER}"a1","1","2026-11-30","\\."\n"a2","2","2026-11-30","line\n\\.\nafter"\n`;
    await loadPage(db.pool, page(csv, 2), OPTIONS);
    const rows = await staged();
    assert.equal(rows[0]?.finance_notes, '\\.');
    assert.equal(rows[1]?.finance_notes, 'line\n\\.\nafter');
  });
});
