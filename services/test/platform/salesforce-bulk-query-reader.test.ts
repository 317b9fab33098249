// The Bulk API 2.0 query reader against the org emulator: row values and nulls, paging by
// maxRecords, queryAll, failed/aborted jobs, poll timeouts that leave the job alone, gzip, and
// resuming from a locator checkpoint.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  startBulkApp,
  type BulkTestApp
} from '../../../simulators/salesforce/test/helpers/bulk-app.ts';
import {
  BulkJobFailedError,
  createSalesforceClients,
  BulkJobPollTimeoutError,
  SalesforceError,
  type BulkRow,
  type SalesforceClients
} from '../../src/platform/salesforce/index.ts';
import { runAsAdministrator, startTestOrg, type TestOrg } from './salesforce-test-org.ts';

const SOQL = 'SELECT Id, Name, AccountNumber, Description FROM Account';

async function textOf(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

describe('Bulk API 2.0 query reader', () => {
  let org: TestOrg;
  let sf: SalesforceClients;
  /** The emulator's bulk routes with a slow job state machine (jobs take 1.5 s). */
  let slow: { app: BulkTestApp; clients: SalesforceClients };

  before(async () => {
    org = await startTestOrg(runAsAdministrator());
    const app = await startBulkApp({ query: { processingDelayMs: 1_500 } });
    for (let i = 0; i < 3; i++)
      app.ctx.store.insert('Account', { Name: `S${i}` }, app.ctx.integrationUser);
    slow = {
      app,
      clients: createSalesforceClients({
        config: {
          flow: 'access_token',
          instanceUrl: app.instanceUrl,
          accessToken: app.accessToken
        },
        apiVersion: '65.0'
      })
    };
  });

  after(async () => {
    await org?.close();
    await slow?.app.close();
  });

  beforeEach(async () => {
    await org.reset();
    sf = org.clients();
  });

  test('10,000 rows arrive complete, with their values and nulls', async () => {
    await org.dataset('Account', 10_000, { Name: 'Row {i}', AccountNumber: 'AN-{i}' });
    // Values CSV must quote: delimiters, quotes, line breaks, non-ASCII.
    const tricky = 'Comma, "quoted"\nsecond line – ünïcode';
    await org.fixtures('Account', [{ Name: tricky, Description: 'present' }]);

    const { job, rows } = await sf.bulkQuery.query(SOQL);

    assert.equal(job.state, 'JobComplete');
    assert.equal(job.numberRecordsProcessed, 10_001);
    const seen = new Set<number>();
    let special: BulkRow | undefined;
    for await (const row of rows) {
      assert.deepEqual(Object.keys(row), ['Id', 'Name', 'AccountNumber', 'Description']);
      assert.match(row.Id ?? '', /^001\w{15}$/);
      const match = /^Row (\d+)$/.exec(row.Name ?? '');
      if (!match) {
        special = row;
        continue;
      }
      const index = Number(match[1]);
      assert.equal(row.AccountNumber, `AN-${index}`);
      assert.equal(row.Description, null, 'a null field is null, not ""');
      seen.add(index);
    }
    assert.equal(seen.size, 10_000);
    assert.deepEqual(special, {
      Id: special?.Id,
      Name: tricky,
      AccountNumber: null,
      Description: 'present'
    });
    assert.equal(rows.rowsRead, 10_001);
  });

  test('maxRecords pages the results; each page is one counted API call', async () => {
    await org.dataset('Account', 7_000, { Name: 'P{i}' });
    const before = await org.orgApiCalls();
    const job = await sf.bulkQuery.createJob('SELECT Id, Name FROM Account');
    await sf.bulkQuery.waitForJob(job.id);

    const pages: Array<{ locator?: string; next?: string; count: number; rows: number }> = [];
    for await (const page of sf.bulkQuery.readPages(job.id, { maxRecords: 3_000 })) {
      let n = 0;
      for await (const batch of page.batches) n += batch.length;
      pages.push({
        locator: page.locator,
        next: page.nextLocator,
        count: page.numberOfRecords,
        rows: n
      });
    }
    assert.deepEqual(
      pages.map((p) => [p.count, p.rows]),
      [
        [3000, 3000],
        [3000, 3000],
        [1000, 1000]
      ]
    );
    assert.equal(pages[0]?.locator, undefined);
    assert.equal(pages[1]?.locator, pages[0]?.next);
    assert.equal(pages[2]?.next, undefined, 'no locator after the last page');
    const calls = sf.meter.byOperation();
    assert.equal(calls['bulk.query.results'], 3);
    assert.equal(calls['bulk.query.create'], 1);
    assert.equal((await org.orgApiCalls()) - before, sf.meter.total());
  });

  test('results are asked for gzipped and arrive decoded', async () => {
    await org.dataset('Account', 2_000, { Name: 'Z{i}', Description: 'same text compresses well' });
    const job = await sf.bulkQuery.createJob('SELECT Name, Description FROM Account');
    await sf.bulkQuery.waitForJob(job.id);

    for (const gzip of [true, false]) {
      let n = 0;
      for await (const page of sf.bulkQuery.readPages(job.id, { gzip })) {
        assert.equal(page.contentEncoding, gzip ? 'gzip' : undefined);
        for await (const batch of page.batches) {
          for (const row of batch) {
            assert.equal(row.Description, 'same text compresses well');
            n += 1;
          }
        }
      }
      assert.equal(n, 2_000);
    }
  });

  test('queryAll includes deleted records; query does not', async () => {
    const ids = await org.fixtures(
      'Account',
      Array.from({ length: 10 }, (_, i) => ({ Name: `D${i}` }))
    );
    await sf.rest.deleteMany(ids.slice(0, 4));

    const live = await sf.bulkQuery.query('SELECT Id, IsDeleted FROM Account');
    const all = await sf.bulkQuery.query('SELECT Id, IsDeleted FROM Account', {
      operation: 'queryAll'
    });
    const liveRows: BulkRow[] = [];
    for await (const row of live.rows) liveRows.push(row);
    const allRows: BulkRow[] = [];
    for await (const row of all.rows) allRows.push(row);

    assert.equal(all.job.operation, 'queryAll');
    assert.equal(liveRows.length, 6);
    assert.equal(allRows.length, 10);
    assert.equal(allRows.filter((r) => r.IsDeleted === 'true').length, 4);
  });

  test('SOQL that Bulk API 2.0 refuses is reported at job creation', async () => {
    await assert.rejects(
      sf.bulkQuery.createJob('SELECT COUNT() FROM Account'),
      (error: unknown) => {
        assert.ok(error instanceof SalesforceError);
        assert.equal(error.status, 400);
        assert.equal(error.operation, 'bulk.query.create');
        assert.ok(error.errorCode.length > 0);
        return true;
      }
    );
    await assert.rejects(sf.bulkQuery.createJob('SELECT Id, Nope__c FROM Account'), {
      errorCode: 'INVALID_FIELD'
    });
  });

  test('an aborted job is surfaced as BulkJobFailedError', async () => {
    const job = await slow.clients.bulkQuery.createJob('SELECT Id FROM Account');
    const aborted = await slow.clients.bulkQuery.abortJob(job.id);
    assert.equal(aborted.state, 'Aborted');

    await assert.rejects(slow.clients.bulkQuery.waitForJob(job.id), (error: unknown) => {
      assert.ok(error instanceof BulkJobFailedError);
      assert.equal(error.jobId, job.id);
      assert.equal(error.state, 'Aborted');
      assert.equal(error.errorCode, 'BULK_JOB_ABORTED');
      assert.match(error.message, new RegExp(`job ${job.id} ended Aborted`));
      return true;
    });
    await assert.rejects(
      async () => {
        const rows = slow.clients.bulkQuery.readQueryResults(job.id);
        await rows[Symbol.asyncIterator]().next();
      },
      { status: 412, errorCode: 'JOB_NOT_COMPLETE' }
    );
  });

  test('a poll timeout leaves the job running, and it can be waited for again', async () => {
    const job = await slow.clients.bulkQuery.createJob('SELECT Id FROM Account');
    const states: string[] = [];

    await assert.rejects(
      slow.clients.bulkQuery.waitForJob(job.id, {
        poll: { timeoutMs: 150, initialDelayMs: 50 },
        onPoll: (info) => states.push(info.state)
      }),
      (error: unknown) => {
        assert.ok(error instanceof BulkJobPollTimeoutError);
        assert.equal(error.jobId, job.id);
        assert.equal(error.transient, true);
        return true;
      }
    );
    assert.ok(
      states.length >= 2 && states.every((s) => s === 'UploadComplete' || s === 'InProgress')
    );
    // Still there (jsforce would have deleted it): wait again and read it.
    const done = await slow.clients.bulkQuery.waitForJob(job.id, {
      poll: { initialDelayMs: 100, maxDelayMs: 200 }
    });
    assert.equal(done.state, 'JobComplete');
    let n = 0;
    for await (const row of slow.clients.bulkQuery.readQueryResults(job.id)) {
      assert.match(row.Id ?? '', /^001/);
      n += 1;
    }
    assert.equal(n, 3);
    assert.equal(slow.clients.meter.byOperation()['bulk.query.delete'], undefined);
  });

  test('a reader resumes from a checkpointed locator without loss or duplicates', async () => {
    await org.dataset('Account', 10_000, { Name: 'C{i}' });
    const job = await sf.bulkQuery.createJob('SELECT Name FROM Account');
    await sf.bulkQuery.waitForJob(job.id);

    // First run: process two pages, checkpoint after each, then "crash".
    const names: string[] = [];
    let checkpoint: string | undefined;
    let pagesDone = 0;
    for await (const page of sf.bulkQuery.readPages(job.id, { maxRecords: 2_500 })) {
      for await (const row of page.rows) names.push(row.Name as string);
      checkpoint = page.nextLocator;
      if (++pagesDone === 2) break;
    }
    assert.equal(names.length, 5_000);
    assert.ok(checkpoint);

    // Second run, another client (another process after a restart): resume at the checkpoint.
    const resumed = org.clients();
    const rest = resumed.bulkQuery.readQueryResults(job.id, {
      fromLocator: checkpoint,
      maxRecords: 2_500
    });
    for await (const row of rest) names.push(row.Name as string);

    assert.equal(names.length, 10_000);
    assert.equal(new Set(names).size, 10_000);
    assert.equal(rest.pagesRead, 2);
    assert.equal(rest.nextLocator, undefined);
    assert.equal(resumed.meter.byOperation()['bulk.query.results'], 2);
  });

  test('raw pages carry the CSV as sent, header and all, with their locators', async () => {
    await org.dataset('Account', 5, { Name: 'R{i}' });
    await org.fixtures('Account', [{ Name: 'Line one\nline "two"' }]);
    const job = await sf.bulkQuery.createJob('SELECT Name, Description FROM Account');
    await sf.bulkQuery.waitForJob(job.id);

    const first = await sf.bulkQuery.fetchRawPage(job.id, { maxRecords: 4, gzip: true });
    const firstText = await textOf(first.body);
    assert.equal(first.numberOfRecords, 4);
    assert.equal(first.contentEncoding, 'gzip');
    assert.ok(first.nextLocator);
    assert.ok(firstText.startsWith('"Name","Description"\n'), 'the header comes first');
    assert.ok(firstText.includes('\n"R0",\n'), 'null is an empty unquoted field');
    assert.ok(firstText.includes('"Line one\nline ""two"""'), 'quotes and newlines as CSV');

    const last = await sf.bulkQuery.fetchRawPage(job.id, {
      fromLocator: first.nextLocator,
      maxRecords: 4
    });
    const lastText = await textOf(last.body);
    assert.equal(last.locator, first.nextLocator);
    assert.equal(last.nextLocator, undefined);
    assert.ok(lastText.startsWith('"Name","Description"\n'), 'every page has its header');
    assert.equal(lastText, '"Name","Description"\n"R3",\n"R4",\n');
    await assert.rejects(
      sf.bulkQuery.fetchRawPage(job.id, { fromLocator: 'null' }),
      /nothing to fetch/
    );
  });

  test('a page cut off mid-body is read again from its locator, without duplicates', async () => {
    // ~40 MB of CSV: far more than socket buffers hold when the cut comes.
    await org.dataset('Account', 200_000, { Name: 'X{i}', Description: 'd'.repeat(180) });
    const job = await sf.bulkQuery.createJob('SELECT Name, Description FROM Account');
    await sf.bulkQuery.waitForJob(job.id);

    let expected = 0;
    let cut = false;
    // Uncompressed, so that most of the page is still unsent when the connection drops.
    for await (const row of sf.bulkQuery.readQueryResults(job.id, { gzip: false })) {
      assert.equal(row.Name, `X${expected}`);
      expected += 1;
      if (!cut && expected === 1_000) {
        cut = true;
        // The org's side drops every connection, as a proxy or a deploy would.
        org.emulator.app.server.closeAllConnections();
      }
    }
    assert.equal(expected, 200_000);
    assert.equal(sf.meter.byOperation()['bulk.query.results'], 2, 'the page was fetched twice');
  });

  test('a consumer that stops early releases the connection', async () => {
    await org.dataset('Account', 60_000, { Name: 'E{i}' });
    const { rows } = await sf.bulkQuery.query('SELECT Name FROM Account');
    const names: Array<string | null> = [];
    for await (const row of rows) {
      names.push(row.Name ?? null);
      if (names.length === 10) break;
    }
    assert.deepEqual(names.slice(0, 2), ['E0', 'E1']);
    assert.equal(sf.meter.byOperation()['bulk.query.results'], 1);
    // The client still works (no stuck socket).
    assert.equal(await sf.rest.queryCount('SELECT COUNT() FROM Account'), 60_000);
  });
});
