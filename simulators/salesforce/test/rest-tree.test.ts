/**
 * sObject Tree (`POST composite/tree/{sObject}`) through real clients: jsforce's
 * `conn.request` creating nested records (and a failing tree rolled back whole), and the sf
 * CLI's `data import tree` loading this project's seed plan (data/seed/) and `data export tree
 * --plan` writing a plan with child records, which imports again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from './helpers/emulator.ts';
import { useJsforceEmulatorWithCli } from './helpers/sf-cli.ts';

type Row = Record<string, unknown>;
interface TreeAnswer {
  hasErrors: boolean;
  results: Array<{ referenceId: string; id?: string; errors?: Row[] }>;
}

const SEED_PLAN = join(REPO_ROOT, 'data', 'seed', 'seed-plan.json');

const org = useJsforceEmulatorWithCli('sf-tree-home-');

function tree(sobject: string, body: unknown): Promise<TreeAnswer> {
  return org.conn.request<TreeAnswer>({
    method: 'POST',
    url: `/composite/tree/${sobject}`,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' }
  });
}

/** jsforce turns the 400 of a failed tree into an error whose message is the body. */
async function failedTree(sobject: string, body: unknown): Promise<TreeAnswer> {
  try {
    await tree(sobject, body);
  } catch (error) {
    const { errorCode, message } = error as { errorCode?: string; message: string };
    assert.equal(errorCode, 'ERROR_HTTP_400');
    return JSON.parse(message) as TreeAnswer;
  }
  assert.fail('expected the tree to fail');
}

/** A tree record of `type`, with `children` nested under the relationship named. */
function node(type: string, referenceId: string, fields: Row, children: Row = {}): Row {
  const nested = Object.entries(children).map(([name, records]) => [name, { records }]);
  return { attributes: { type, referenceId }, ...fields, ...Object.fromEntries(nested) };
}

function acme(contacts: Row[]): Row {
  return node('Account', 'acme', { Name: 'Acme' }, { Contacts: contacts });
}

async function count(soql: string): Promise<number> {
  return (await org.conn.query(soql)).totalSize;
}

describe('POST composite/tree', () => {
  test('creates nested records level by level and answers their ids by reference', async () => {
    // The guide's example: field names in any case, children under their relationship.
    const answer = await tree('Account', {
      records: [
        node(
          'Account',
          'ref1',
          { name: 'SampleAccount', NumberOfEmployees: 100 },
          {
            Contacts: [
              node('Contact', 'ref2', { LastName: 'Smith' }),
              node('Contact', 'ref3', { LastName: 'Evans' })
            ],
            Invoices__r: [node('Invoice__c', 'ref5', { Amount__c: 10 })]
          }
        ),
        node('Account', 'ref4', { Name: 'SampleAccount2' })
      ]
    });
    assert.equal(answer.hasErrors, false);
    assert.deepEqual(
      answer.results.map((result) => result.referenceId),
      ['ref1', 'ref4', 'ref2', 'ref3', 'ref5']
    );
    const ids = new Map(answer.results.map((result) => [result.referenceId, result.id]));
    assert.match(String(ids.get('ref1')), /^001[A-Za-z0-9]{15}$/);
    assert.match(String(ids.get('ref2')), /^003[A-Za-z0-9]{15}$/);
    const [sample] = (
      await org.conn.query<Row>(
        "SELECT Id, (SELECT LastName FROM Contacts ORDER BY LastName), (SELECT Amount__c FROM Invoices__r) FROM Account WHERE Name = 'SampleAccount'"
      )
    ).records;
    assert.equal(sample?.Id, ids.get('ref1'));
    const contacts = sample?.Contacts as { records: Row[] };
    assert.deepEqual(
      contacts.records.map((record) => record.LastName),
      ['Evans', 'Smith']
    );
    assert.equal((sample?.Invoices__r as { records: Row[] }).records[0]?.Amount__c, 10);
  });

  test('a failing record rolls the whole request back and is named by its reference', async () => {
    const answer = await failedTree('Account', {
      records: [
        acme([
          node('Contact', 'ok', { LastName: 'Lovelace' }),
          node('Contact', 'noName', { FirstName: 'Ada' })
        ])
      ]
    });
    assert.deepEqual(answer, {
      hasErrors: true,
      results: [
        {
          referenceId: 'noName',
          errors: [
            {
              statusCode: 'REQUIRED_FIELD_MISSING',
              message: 'Required fields are missing: [LastName]',
              fields: ['LastName']
            }
          ]
        }
      ]
    });
    assert.equal(await count('SELECT Id FROM Account'), 0);
    assert.equal(await count('SELECT Id FROM Contact'), 0);
  });

  test('duplicate references are each named; more than 200 records is refused', async () => {
    const twin = node('Account', 'twin', { Name: 'Twin' });
    const duplicates = await failedTree('Account', { records: [twin, twin] });
    assert.deepEqual(
      duplicates.results.map((result) => [result.referenceId, result.errors?.[0]?.statusCode]),
      [
        ['twin', 'INVALID_INPUT'],
        ['twin', 'INVALID_INPUT']
      ]
    );
    const many = Array.from({ length: 201 }, (_, i) => node('Account', `a${i}`, { Name: `${i}` }));
    await assert.rejects(tree('Account', { records: many }), { errorCode: 'EXCEEDED_ID_LIMIT' });
    assert.equal(await count('SELECT Id FROM Account'), 0);
  });
});

describe('the sf CLI', () => {
  test("sf data import tree loads the project's seed plan", async () => {
    const imported = await org.sf(['data', 'import', 'tree', '--plan', SEED_PLAN]);
    assert.equal(imported.status, 0, imported.raw);
    const results = imported.result as Array<{ refId: string; type: string; id: string }>;
    assert.equal(results.filter((result) => result.type === 'Account').length, 5);
    assert.equal(results.filter((result) => result.type === 'Contact').length, 7);
    const [northwind] = (
      await org.conn.query<Row>(
        "SELECT BillingCity, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account WHERE Name = 'Northwind Logistics GmbH'"
      )
    ).records;
    assert.equal(northwind?.BillingCity, 'Hamburg');
    assert.deepEqual(
      (northwind?.Contacts as { records: Row[] }).records.map((record) => record.LastName),
      ['Becker', 'Vogel']
    );
  });

  test('sf data export tree --plan writes parents and children, and the plan imports again', async () => {
    await tree('Account', {
      records: [
        acme([
          node('Contact', 'c1', { LastName: 'Lovelace' }),
          node('Contact', 'c2', { LastName: 'Hopper' })
        ]),
        node('Account', 'solo', { Name: 'Solo' })
      ]
    });
    const dir = await mkdtemp(join(tmpdir(), 'sf-tree-export-'));
    try {
      const exported = await org.sf([
        'data',
        'export',
        'tree',
        '--query',
        'SELECT Id, Name, (SELECT LastName FROM Contacts) FROM Account',
        '--plan',
        '--output-dir',
        dir
      ]);
      assert.equal(exported.status, 0, exported.raw);
      assert.deepEqual((await readdir(dir)).sort(), [
        'Account-Contact-plan.json',
        'Account.json',
        'Contact.json'
      ]);
      const plan = JSON.parse(
        await readFile(join(dir, 'Account-Contact-plan.json'), 'utf8')
      ) as Row[];
      assert.deepEqual(
        plan.map((part) => [part.sobject, part.files]),
        [
          ['Account', ['Account.json']],
          ['Contact', ['Contact.json']]
        ]
      );
      const accounts = JSON.parse(await readFile(join(dir, 'Account.json'), 'utf8')) as {
        records: Row[];
      };
      assert.deepEqual(
        accounts.records.map((record) => [record.attributes, record.Name]),
        [
          [{ type: 'Account', referenceId: 'AccountRef1' }, 'Acme'],
          [{ type: 'Account', referenceId: 'AccountRef2' }, 'Solo']
        ]
      );
      const contacts = JSON.parse(await readFile(join(dir, 'Contact.json'), 'utf8')) as {
        records: Row[];
      };
      assert.deepEqual(
        contacts.records.map((record) => [record.LastName, record.AccountId]),
        [
          ['Lovelace', '@AccountRef1'],
          ['Hopper', '@AccountRef1']
        ]
      );

      await org.emulator.driver('POST', 'reset');
      const again = await org.sf([
        'data',
        'import',
        'tree',
        '--plan',
        join(dir, 'Account-Contact-plan.json')
      ]);
      assert.equal(again.status, 0, again.raw);
      assert.equal(await count("SELECT Id FROM Contact WHERE Account.Name = 'Acme'"), 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
