/**
 * The real Salesforce CLI against the emulator: `sf org login access-token` (userinfo, the User
 * record, the Organization query...) then `sf data query` (query, paging, `&columns=true`).
 * Runs with a temporary HOME so the user's own sf authorisations are never touched.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT, startTestEmulator, type TestEmulator } from './helpers/emulator.ts';

const run = promisify(execFile);
const SF = join(REPO_ROOT, 'node_modules', '.bin', 'sf');

let emulator: TestEmulator;
let home: string;

before(async () => {
  emulator = await startTestEmulator();
  home = await mkdtemp(join(tmpdir(), 'sf-emulator-home-'));
});

after(async () => {
  await emulator.close();
  await rm(home, { recursive: true, force: true });
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
    ({ stdout } = await run(SF, [...args, '--json'], { env, cwd: home, timeout: 60_000 }));
  } catch (error) {
    stdout = (error as { stdout?: string }).stdout ?? String(error);
  }
  const parsed = JSON.parse(stdout) as { status: number; result: unknown };
  return { status: parsed.status, result: parsed.result, raw: stdout };
}

test('sf logs in with an access token and runs sf data query', async () => {
  await emulator.driver('POST', 'records/Account', [{ Name: 'Acme' }, { Name: 'Globex' }]);

  const login = await sf([
    'org',
    'login',
    'access-token',
    '--instance-url',
    emulator.instanceUrl,
    '--no-prompt',
    '--alias',
    'emulator'
  ]);
  assert.equal(login.status, 0, login.raw);
  const auth = login.result as { username: string; orgId: string };
  assert.equal(auth.username, 'integration@emulator.local');
  assert.equal(auth.orgId, emulator.organizationId);

  const before = await emulator.driver<{ total: number }>('GET', 'api-calls');
  const query = await sf([
    'data',
    'query',
    '--query',
    'SELECT Id, Name FROM Account ORDER BY Name',
    '--target-org',
    'emulator'
  ]);
  assert.equal(query.status, 0, query.raw);
  const result = query.result as {
    totalSize: number;
    done: boolean;
    records: Array<{ Id: string; Name: string }>;
  };
  assert.equal(result.totalSize, 2);
  assert.equal(result.done, true);
  assert.deepEqual(
    result.records.map((r) => r.Name),
    ['Acme', 'Globex']
  );
  assert.match(result.records[0]?.Id ?? '', /^001[a-zA-Z0-9]{15}$/);
  const after = await emulator.driver<{ total: number }>('GET', 'api-calls');
  assert.ok(after.total > before.total, 'the CLI calls count as API calls');

  const failing = await sf([
    'data',
    'query',
    '--query',
    'SELECT Nope__c FROM Account',
    '--target-org',
    'emulator'
  ]);
  assert.notEqual(failing.status, 0);
  assert.match(failing.raw, /INVALID_FIELD|No such column/);
});
