/**
 * A 1,000,000-row Bulk API 2.0 query served set by set with flat memory: a generated dataset
 * (rows made on demand, never stored) read through the results locators with a streaming CSV
 * parser, while the heap of this process (emulator and reader together) is sampled.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'csv-parse';
import { startBulkApp, type BulkTestApp } from './helpers/bulk-app.ts';

const ROWS = 1_000_000;
const SET_SIZE = 100_000;
const MAX_HEAP_GROWTH = 100 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let app: BulkTestApp;

before(async () => {
  app = await startBulkApp();
  app.ctx.store.addGeneratedDataset('Account', ROWS, (index) => ({
    Name: `Generated Account ${index}`,
    SAP_Customer_Number__c: `GEN-${index}`,
    NumberOfEmployees: index % 5000
  }));
});
after(async () => app?.close());

test('1,000,000 rows stream through results locators with flat memory', async () => {
  // The live heap is what must stay flat: each sample collects garbage first, so the peak is
  // what the emulator and reader hold at that moment (a set in flight), not what V8 has not
  // yet swept. The peak without collection is printed for information.
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  let peakUncollected = baseline;
  const uncollected = setInterval(() => {
    peakUncollected = Math.max(peakUncollected, process.memoryUsage().heapUsed);
  }, 10);
  const sampler = setInterval(() => {
    peakUncollected = Math.max(peakUncollected, process.memoryUsage().heapUsed);
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 250);
  const started = performance.now();
  try {
    const created = await app.request('POST', 'jobs/query', {
      body: {
        operation: 'query',
        query: 'SELECT Id, Name, SAP_Customer_Number__c, NumberOfEmployees FROM Account'
      }
    });
    const { id } = (await created.json()) as { id: string };
    let info: { state: string; numberRecordsProcessed: number };
    do {
      info = (await (await app.request('GET', `jobs/query/${id}`)).json()) as typeof info;
    } while (info.state !== 'JobComplete');
    assert.equal(info.numberRecordsProcessed, ROWS);

    let rows = 0;
    let sets = 0;
    let firstName = '';
    let lastName = '';
    let locator: string | null = null;
    do {
      const query = `maxRecords=${SET_SIZE}${locator ? `&locator=${locator}` : ''}`;
      const response = await app.request('GET', `jobs/query/${id}/results?${query}`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-encoding'), 'gzip');
      assert.equal(response.headers.get('sforce-numberofrecords'), String(SET_SIZE));
      const records = Readable.fromWeb(response.body as never).pipe(parse({ columns: true }));
      for await (const record of records as AsyncIterable<Record<string, string>>) {
        if (rows === 0) firstName = record.Name ?? '';
        lastName = record.Name ?? '';
        rows += 1;
      }
      sets += 1;
      locator = response.headers.get('sforce-locator');
    } while (locator !== 'null');

    assert.equal(rows, ROWS);
    assert.equal(sets, ROWS / SET_SIZE);
    assert.equal(firstName, 'Generated Account 0');
    assert.equal(lastName, `Generated Account ${ROWS - 1}`);
  } finally {
    clearInterval(sampler);
    clearInterval(uncollected);
  }
  const growth = peak - baseline;
  const megabytes = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `1M rows in ${seconds.toFixed(1)} s; live heap growth peak ${megabytes(growth)} MB ` +
      `(uncollected peak ${megabytes(peakUncollected - baseline)} MB)`
  );
  assert.ok(growth < MAX_HEAP_GROWTH, `heap grew by ${(growth / 1024 / 1024).toFixed(1)} MB`);
});
