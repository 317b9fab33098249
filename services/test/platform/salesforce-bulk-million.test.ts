// A 1,000,000-row Bulk API 2.0 query streams through the platform's reader, the org emulator
// serving it in the same process: every row arrives, in order, and memory does not grow with the
// rows (holding them would cost well over 400 MB). The 200 MB peak-RSS figure itself is proven
// by `npm run bench -- salesforce-bulk`, in a process of its own without the test runner.
//
// Kept apart from the other reader tests because it runs for several seconds (~10 s here).
// Every row is checked in order (`Name` = `Account <n>`), so nothing is lost, duplicated or
// reordered, without keeping the rows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SalesforceClients } from '../../src/platform/salesforce/index.ts';
import { runAsAdministrator, startTestOrg, type TestOrg } from './salesforce-test-org.ts';

const ROWS = 1_000_000;
/** Growth over the start of the read; streaming stays near 100 MB, buffering passes 400 MB. */
const RSS_GROWTH_LIMIT_BYTES = 250 * 1024 * 1024;

function rssSampler(intervalMs: number) {
  let peak = process.memoryUsage.rss();
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, intervalMs);
  return {
    sample,
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    }
  };
}

describe('Bulk API 2.0 query reader at volume', () => {
  let org: TestOrg;
  let sf: SalesforceClients;

  before(async () => {
    org = await startTestOrg(runAsAdministrator());
    sf = org.clients();
    await org.dataset('Account', ROWS, {
      Name: 'Account {i}',
      AccountNumber: 'AN-{i}',
      BillingCity: 'Springfield',
      Description: 'Generated row {i} of the one-million-row streaming test'
    });
  });

  after(async () => {
    await org?.close();
  });

  test('1,000,000 rows stream in order without memory growing with the rows', async (t) => {
    const baseline = process.memoryUsage.rss();
    const sampler = rssSampler(10);
    const started = performance.now();

    const { job, rows } = await sf.bulkQuery.query(
      'SELECT Id, Name, AccountNumber, BillingCity, Description FROM Account'
    );
    assert.equal(job.numberRecordsProcessed, ROWS);
    let expected = 0;
    for await (const row of rows) {
      if (row.Name !== `Account ${expected}` || row.AccountNumber !== `AN-${expected}`) {
        assert.fail(`row ${expected} is ${JSON.stringify(row)}`);
      }
      expected += 1;
      if ((expected & 0x3fff) === 0) sampler.sample();
    }

    const seconds = (performance.now() - started) / 1000;
    const peak = sampler.stop();
    const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
    t.diagnostic(
      `rows=${expected} seconds=${seconds.toFixed(1)} rowsPerSecond=${Math.round(expected / seconds)} ` +
        `baselineRssMB=${mb(baseline)} peakRssMB=${mb(peak)} pages=${rows.pagesRead} ` +
        `apiCalls=${JSON.stringify(sf.meter.byOperation())}`
    );
    assert.equal(expected, ROWS);
    assert.ok(
      peak - baseline < RSS_GROWTH_LIMIT_BYTES,
      `peak RSS ${mb(peak)} MB over a ${mb(baseline)} MB baseline`
    );
  });
});
