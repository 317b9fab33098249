/**
 * The real Salesforce CLI against the emulator: `sf org login access-token` (userinfo, the User
 * record, the Organization query...) then `sf data query` (query, paging, `&columns=true`),
 * `sf sobject describe` and `sf sobject list`. Runs with a temporary HOME so the user's own sf
 * authorisations are never touched.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';
import { createSfCli, type SfCli } from './helpers/sf-cli.ts';

let emulator: TestEmulator;
let cli: SfCli;

before(async () => {
  emulator = await startTestEmulator();
  cli = await createSfCli(emulator, { homePrefix: 'sf-emulator-home-', timeoutMs: 60_000 });
});

after(async () => {
  await emulator.close();
  await cli.removeHome();
});

test('sf logs in with an access token and runs sf data query', async () => {
  await emulator.driver('POST', 'records/Account', [{ Name: 'Acme' }, { Name: 'Globex' }]);

  const login = await cli.login('emulator');
  assert.equal(login.status, 0, login.raw);
  const auth = login.result as { username: string; orgId: string };
  assert.equal(auth.username, 'admin@emulator.local');
  assert.equal(auth.orgId, emulator.organizationId);

  const before = await emulator.driver<{ total: number }>('GET', 'api-calls');
  const query = await cli.sf([
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

  const failing = await cli.sf([
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

test('sf sobject describe and list show the relationships, addresses and objects', async () => {
  const login = await cli.login('emulator');
  assert.equal(login.status, 0, login.raw);

  const described = await cli.sf([
    'sobject',
    'describe',
    '--sobject',
    'Account',
    '--target-org',
    'emulator'
  ]);
  assert.equal(described.status, 0, described.raw);
  const account = described.result as {
    childRelationships: Array<{ childSObject: string; relationshipName: string | null }>;
    fields: Array<{ name: string; type: string }>;
  };
  const invoices = account.childRelationships.find((r) => r.childSObject === 'Invoice__c');
  assert.equal(invoices?.relationshipName, 'Invoices__r');
  assert.equal(account.fields.find((f) => f.name === 'BillingAddress')?.type, 'address');

  const listed = await cli.sf(['sobject', 'list', '--sobject', 'all', '--target-org', 'emulator']);
  assert.equal(listed.status, 0, listed.raw);
  for (const name of ['RecordType', 'Task', 'Event', 'Group']) {
    assert.ok((listed.result as string[]).includes(name), `${name} is listed`);
  }
});
