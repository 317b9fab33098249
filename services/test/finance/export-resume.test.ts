// Reliability of the Finance export: a process SIGKILLed between (or during) pages, restarted,
// ends with exactly the right rows, without reading again the pages it had loaded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { until } from '../../../toolkit/testing/wait.ts';
import { readChunks, readRun } from '../../src/finance/export-runs.ts';
import { startFinanceLab, type FinanceLab } from './harness.ts';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'export-worker.ts');

describe('Finance export after a crash', () => {
  let lab: FinanceLab;

  before(async () => {
    lab = await startFinanceLab();
  });
  after(async () => {
    await lab?.close();
  });

  test('SIGKILL after some pages: the restart resumes at the checkpoints and lands every row once', async () => {
    const ROWS = 120_000;
    const accounts = await lab.accounts(3);
    await lab.billingAccounts(ROWS, accounts);

    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: {
        ...process.env,
        FINANCE_TEST_ORG_URL: lab.org.emulator.instanceUrl,
        FINANCE_TEST_DATABASE_URL: lab.db.url,
        FINANCE_TEST_PAGE_SIZE: '2000',
        FINANCE_TEST_CHUNK_SIZE: '30000'
      },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code))
    );
    const pagesLoaded = async () =>
      Number(
        (
          await lab.db.pool.query<{ pages: number }>(
            'SELECT COALESCE(sum(pages), 0)::int AS pages FROM finance.export_runs'
          )
        ).rows[0]?.pages ?? 0
      );
    await until(
      async () => (await pagesLoaded()) >= 8,
      'eight pages loaded before the kill',
      60_000
    );
    child.kill('SIGKILL');
    assert.equal(await exited, null, `the worker was killed, not finished: ${stderr}`);

    const { rows: runs } = await lab.db.pool.query<{ id: string; state: string }>(
      'SELECT id, state FROM finance.export_runs'
    );
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.state, 'running', 'a killed run stays resumable');
    const runId = Number(runs[0]?.id);
    const before = await readChunks(lab.db.pool, runId);
    const loadedBefore = before.reduce((sum, c) => sum + c.records, 0);
    const pagesBefore = before.reduce((sum, c) => sum + c.pages, 0);
    assert.ok(
      loadedBefore > 0 && loadedBefore < ROWS,
      `${loadedBefore} rows loaded before the kill`
    );
    assert.ok(before.length >= 4, `${before.length} chunks`);
    const { rows: finance } = await lab.db.pool.query(
      'SELECT count(*)::int AS n FROM finance.billing_account'
    );
    assert.equal(finance[0]?.n, 0, 'nothing is visible in Finance before the merge');

    const resultsCallsBefore = lab.salesforce.meter.byOperation()['bulk.query.results'] ?? 0;
    const summary = await lab.export();
    assert.equal(summary.runId, runId, 'the same run, resumed');
    assert.equal(summary.resumed, true);
    assert.equal(summary.attempts, 2);
    assert.equal(summary.records, ROWS, 'every row staged exactly once over both attempts');
    assert.equal(summary.merged, ROWS);
    const pagesTotal = before.reduce(
      (sum, c) => sum + Math.max(1, Math.ceil(c.expected / 2_000)),
      0
    );
    const resultsCalls =
      (lab.salesforce.meter.byOperation()['bulk.query.results'] ?? 0) - resultsCallsBefore;
    assert.equal(resultsCalls, pagesTotal - pagesBefore, 'no loaded page was downloaded again');
    const { rows: counted } = await lab.db.pool.query<{ n: number; ids: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT salesforce_id)::int AS ids FROM finance.billing_account'
    );
    assert.deepEqual(counted[0], { n: ROWS, ids: ROWS });
    assert.equal((await readRun(lab.db.pool, runId))?.state, 'succeeded');
  });
});
