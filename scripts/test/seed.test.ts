import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../toolkit/src/project.ts';
import {
  buildExistingAccountsQuery,
  buildSeedImportArgs,
  planSeed,
  readSeedPlan,
  seedOrg,
  soqlString
} from '../lib/seed.ts';
import { Sf } from '../lib/sf.ts';
import { FakeRunner, ok } from './fixtures/fake-runner.ts';

const root = projectRoot();

function tempPlan(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'seed-'));
  for (const [name, content] of Object.entries(files))
    writeFileSync(
      path.join(dir, name),
      typeof content === 'string' ? content : JSON.stringify(content)
    );
  return path.join(dir, 'plan.json');
}

const account = (n: number, name: string) => ({
  attributes: { type: 'Account', referenceId: `AccountRef${n}` },
  Name: name
});

describe('the project seed plan', () => {
  it('is valid: Accounts first, Contacts and Billing Accounts referring to them', () => {
    const info = readSeedPlan('data/seed/seed-plan.json', root);
    assert.deepEqual(
      info.counts.map((c) => c.sobject),
      ['Account', 'Contact', 'Billing_Account__c']
    );
    assert.ok(info.counts[2]!.records >= 3, 'a few Billing Accounts for the Finance export');
    assert.ok(info.counts[0]!.records >= 3, 'a few Accounts');
    assert.ok(info.counts[1]!.records >= info.counts[0]!.records, 'each Account has Contacts');
    assert.equal(info.accountNames.length, info.counts[0]!.records);
    assert.equal(
      new Set(info.accountNames).size,
      info.accountNames.length,
      'Account names are unique (the re-run check relies on it)'
    );
  });
});

describe('readSeedPlan rejects broken plans', () => {
  it('missing plan, bad JSON, bad entries, dangling refs, wrong types', () => {
    assert.throws(() => readSeedPlan('nope.json', root), /Seed plan not found: nope\.json/);
    assert.throws(() => readSeedPlan(tempPlan({ 'plan.json': '{oops' }), root), /invalid JSON/);
    assert.throws(() => readSeedPlan(tempPlan({ 'plan.json': [] }), root), /non-empty JSON array/);
    assert.throws(
      () => readSeedPlan(tempPlan({ 'plan.json': [{ sobject: 'Account' }] }), root),
      /entry 0 needs "sobject"/
    );
    assert.throws(
      () =>
        readSeedPlan(tempPlan({ 'plan.json': [{ sobject: 'Account', files: ['a.json'] }] }), root),
      /data file a\.json does not exist/
    );
    assert.throws(
      () =>
        readSeedPlan(
          tempPlan({
            'plan.json': [{ sobject: 'Account', files: ['a.json'] }],
            'a.json': { records: [{ attributes: { type: 'Contact', referenceId: 'ContactRef1' } }] }
          }),
          root
        ),
      /has attributes\.type Contact, expected Account/
    );
    assert.throws(
      () =>
        readSeedPlan(
          tempPlan({
            'plan.json': [
              { sobject: 'Account', files: ['a.json'] },
              { sobject: 'Contact', files: ['c.json'] }
            ],
            'a.json': { records: [account(1, 'A')] },
            'c.json': {
              records: [
                {
                  attributes: { type: 'Contact', referenceId: 'ContactRef1' },
                  AccountId: '@AccountRef2',
                  LastName: 'X'
                }
              ]
            }
          }),
          root
        ),
      /ContactRef1 in c\.json refers to @AccountRef2, which no record in the plan defines/
    );
    assert.throws(
      () =>
        readSeedPlan(
          tempPlan({
            'plan.json': [{ sobject: 'Account', files: ['a.json'] }],
            'a.json': { records: [account(1, 'A'), account(1, 'B')] }
          }),
          root
        ),
      /referenceId AccountRef1 is used twice/
    );
  });
});

describe('seeding decisions and commands', () => {
  const info = {
    planFile: 'p.json',
    counts: [{ sobject: 'Account', records: 2 }],
    accountNames: ['Acme', "O'Brien & Co"]
  };

  it('imports into a fresh org, skips when seed Accounts exist, --force overrides', () => {
    assert.deepEqual(planSeed(info, [], false), { action: 'import' });
    const skip = planSeed(info, ['Acme'], false);
    assert.equal(skip.action, 'skip');
    if (skip.action === 'skip')
      assert.match(
        skip.reason,
        /1 of 2 seed Accounts already exist in the org \(e\.g\. 'Acme'\); nothing imported\. Use --force/
      );
    assert.deepEqual(planSeed(info, ['Acme'], true), { action: 'import' });
  });

  it('escapes names in SOQL', () => {
    assert.equal(soqlString("O'Brien \\ Co"), "'O\\'Brien \\\\ Co'");
    assert.equal(
      buildExistingAccountsQuery(['Acme', "O'Brien & Co"]),
      "SELECT Name FROM Account WHERE Name IN ('Acme', 'O\\'Brien & Co')"
    );
  });

  it('import command', () => {
    assert.deepEqual(buildSeedImportArgs('data/seed/seed-plan.json', 'sis-scratch'), [
      'data',
      'import',
      'tree',
      '--plan',
      'data/seed/seed-plan.json',
      '--target-org',
      'sis-scratch'
    ]);
    assert.deepEqual(buildSeedImportArgs('p.json'), ['data', 'import', 'tree', '--plan', 'p.json']);
  });

  it('seedOrg queries first, then imports and counts per type', async () => {
    const runner = new FakeRunner([
      ['data query', ok({ records: [], totalSize: 0, done: true })],
      [
        'data import tree',
        ok([
          { refId: 'AccountRef1', type: 'Account', id: '001A' },
          { refId: 'ContactRef1', type: 'Contact', id: '003A' },
          { refId: 'ContactRef2', type: 'Contact', id: '003B' }
        ])
      ]
    ]);
    const result = await seedOrg(new Sf(runner), {
      planFile: 'data/seed/seed-plan.json',
      root,
      targetOrg: 'sis-scratch',
      force: false
    });
    assert.deepEqual(result, { imported: true, message: 'Imported Account: 1, Contact: 2.' });
    assert.equal(runner.calls.length, 2);
    assert.match(
      runner.commandLines[0]!,
      /^sf data query --query SELECT Name FROM Account WHERE Name IN \('Northwind Logistics GmbH', .*\) --target-org sis-scratch$/
    );
  });

  it('seedOrg does not import twice', async () => {
    const runner = new FakeRunner([
      [
        'data query',
        ok({
          records: [{ attributes: { type: 'Account' }, Name: 'Northwind Logistics GmbH' }],
          totalSize: 1,
          done: true
        })
      ]
    ]);
    const result = await seedOrg(new Sf(runner), {
      planFile: 'data/seed/seed-plan.json',
      root,
      force: false
    });
    assert.equal(result.imported, false);
    assert.deepEqual(
      runner.commandLines.map((l) => l.split(' ').slice(0, 3).join(' ')),
      ['sf data query']
    );
  });
});
