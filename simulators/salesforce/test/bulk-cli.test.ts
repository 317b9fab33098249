/**
 * The real Salesforce CLI's Bulk API 2.0 export against the whole emulator:
 * `sf org login access-token` then `sf data export bulk`, which creates a query job, polls it
 * and downloads every result set by locator, dropping the header row of every set after the
 * first (it relies on Salesforce sending one per set). Runs with a temporary HOME so the
 * user's own sf authorisations are never touched.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { configureBulkJobs } from '../src/bulk/plugin.ts';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';
import { createSfCli, type SfCli } from './helpers/sf-cli.ts';

const ROWS = 25_000;

let emulator: TestEmulator;
let cli: SfCli;

before(async () => {
  emulator = await startTestEmulator();
  cli = await createSfCli(emulator, { homePrefix: 'sf-bulk-home-', timeoutMs: 90_000 });
});

after(async () => {
  await emulator?.close();
  await cli?.removeHome();
});

test('sf data export bulk writes every row, over several result sets', async () => {
  emulator.ctx.store.addGeneratedDataset('Account', ROWS, (index) => ({
    Name: `Exported, "Account" ${index}`
  }));
  // Several sets, so the CLI's handling of each later set's header row is exercised.
  configureBulkJobs(emulator.ctx, { query: { defaultMaxRecords: 10_000 } });

  const login = await cli.login('emu');
  assert.equal(login.status, 0, login.raw);

  const output = join(cli.home, 'out.csv');
  const exported = await cli.sf([
    'data',
    'export',
    'bulk',
    '--query',
    'SELECT Id, Name FROM Account',
    '--output-file',
    output,
    '--wait',
    '2',
    '--target-org',
    'emu'
  ]);
  assert.equal(exported.status, 0, exported.raw);
  assert.deepEqual(exported.result, { totalSize: ROWS, filePath: output });

  const csv = await readFile(output, 'utf8');
  assert.ok(csv.startsWith('"Id","Name"\n'));
  const records = parse(csv, { columns: true }) as Array<{ Id: string; Name: string }>;
  assert.equal(records.length, ROWS);
  assert.equal(records[0]?.Name, 'Exported, "Account" 0');
  assert.equal(records[ROWS - 1]?.Name, `Exported, "Account" ${ROWS - 1}`);
  assert.equal(new Set(records.map((r) => r.Id)).size, ROWS);
  assert.ok(records.every((r) => /^001[A-Za-z0-9]{15}$/.test(r.Id)));
});
