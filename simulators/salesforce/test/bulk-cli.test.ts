/**
 * The real Salesforce CLI's Bulk API 2.0 export against the whole emulator:
 * `sf org login access-token` then `sf data export bulk`, which creates a query job, polls it
 * and downloads every result set by locator, dropping the header row of every set after the
 * first (it relies on Salesforce sending one per set). Runs with a temporary HOME so the
 * user's own sf authorisations are never touched.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { configureBulkJobs } from '../src/bulk/plugin.ts';
import { REPO_ROOT, startTestEmulator, type TestEmulator } from './helpers/emulator.ts';

const run = promisify(execFile);
const SF = join(REPO_ROOT, 'node_modules', '.bin', 'sf');
const ROWS = 25_000;

let emulator: TestEmulator;
let home: string;

before(async () => {
  emulator = await startTestEmulator();
  home = await mkdtemp(join(tmpdir(), 'sf-bulk-home-'));
});

after(async () => {
  await emulator?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

async function sf(args: string[]): Promise<{ status: number; result: unknown; raw: string }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    SF_ACCESS_TOKEN: emulator.accessToken,
    SF_DISABLE_AUTOUPDATE: 'true',
    SF_AUTOUPDATE_DISABLE: 'true',
    SF_DISABLE_TELEMETRY: 'true',
    SF_SKIP_NEW_VERSION_CHECK: 'true',
    SF_USE_GENERIC_UNIX_KEYCHAIN: 'true'
  };
  let stdout: string;
  try {
    ({ stdout } = await run(SF, [...args, '--json'], { env, cwd: home, timeout: 90_000 }));
  } catch (error) {
    stdout = (error as { stdout?: string }).stdout ?? String(error);
  }
  const parsed = JSON.parse(stdout) as { status: number; result: unknown };
  return { status: parsed.status, result: parsed.result, raw: stdout };
}

test('sf data export bulk writes every row, over several result sets', async () => {
  emulator.ctx.store.addGeneratedDataset('Account', ROWS, (index) => ({
    Name: `Exported, "Account" ${index}`
  }));
  // Several sets, so the CLI's handling of each later set's header row is exercised.
  configureBulkJobs(emulator.ctx, { query: { defaultMaxRecords: 10_000 } });

  const login = await sf([
    'org',
    'login',
    'access-token',
    '--instance-url',
    emulator.instanceUrl,
    '--no-prompt',
    '--alias',
    'emu'
  ]);
  assert.equal(login.status, 0, login.raw);

  const output = join(home, 'out.csv');
  const exported = await sf([
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
