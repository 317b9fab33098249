/**
 * SOQL beyond plain field lists through real clients, answered as a real org answers them:
 * jsforce's `conn.query` (REST `/query` and `/queryAll`) with parent-to-child sub-queries,
 * GROUP BY / HAVING / aliases / date functions (AggregateResult records), toLabel(), FORMAT()
 * and TYPEOF; the sf CLI's `data query` (which also reads `columns=true`) on a sub-query and a
 * GROUP BY; and jsforce's Bulk API 2.0 client refusing what Bulk API 2.0 refuses, and running
 * what it accepts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useJsforceEmulatorWithCli } from './helpers/sf-cli.ts';

type Row = Record<string, unknown>;
type Nested = { totalSize: number; done: boolean; records: Row[] } | null;

const org = useJsforceEmulatorWithCli('sf-soql-home-');

/** Accounts with contacts and invoices, created at fixed instants (driver fixtures). */
async function seed(): Promise<{ acme: string; globex: string }> {
  const { ids } = await org.emulator.driver<{ ids: string[] }>('POST', 'records/Account', [
    {
      Name: 'Acme',
      Industry: 'Technology',
      AnnualRevenue: 1250000,
      NumberOfEmployees: 1250,
      Sync_Status__c: 'Pending',
      CreatedDate: '2026-11-29T15:31:00.000Z'
    },
    {
      Name: 'Globex',
      Industry: 'Technology',
      AnnualRevenue: 500,
      CreatedDate: '2025-03-01T09:00:00.000Z'
    },
    { Name: 'Initech', Industry: 'Banking', CreatedDate: '2025-07-01T08:00:00.000Z' }
  ]);
  const [acme, globex] = ids;
  assert.ok(acme && globex);
  await org.conn.sobject('Contact').create([
    { LastName: 'Lovelace', AccountId: acme },
    { LastName: 'Hopper', AccountId: acme },
    { LastName: 'Babbage', AccountId: globex }
  ]);
  await org.conn.sobject('Invoice__c').create([
    { Account__c: acme, Amount__c: 100, Status__c: 'Open' },
    { Account__c: acme, Amount__c: 250, Status__c: 'Paid' }
  ]);
  return { acme, globex };
}

describe('parent-to-child sub-queries', () => {
  test("org.conn.query nests each parent's children as a query result, null without any", async () => {
    await seed();
    const result = await org.conn.query<Row>(
      "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName), (SELECT Amount__c, Status__c FROM Invoices__r WHERE Status__c = 'Paid') FROM Account ORDER BY Name"
    );
    assert.equal(result.totalSize, 3);
    const [acme, globex, initech] = result.records;
    const contacts = acme?.Contacts as Nested;
    assert.equal(contacts?.totalSize, 2);
    assert.equal(contacts?.done, true);
    assert.deepEqual(
      contacts?.records.map((record) => record.LastName),
      ['Hopper', 'Lovelace']
    );
    assert.equal((contacts?.records[0]?.attributes as Row).type, 'Contact');
    assert.match(
      String((contacts?.records[0]?.attributes as Row).url),
      /^\/services\/data\/v65\.0\/sobjects\/Contact\/003/
    );
    const invoices = acme?.Invoices__r as Nested;
    assert.deepEqual(
      invoices?.records.map((record) => [record.Amount__c, record.Status__c]),
      [[250, 'Paid']]
    );
    assert.equal((globex?.Contacts as Nested)?.records[0]?.LastName, 'Babbage');
    assert.equal(globex?.Invoices__r, null);
    assert.equal(initech?.Contacts, null);
  });

  test('queryAll includes deleted children; an unknown relationship is INVALID_TYPE', async () => {
    await seed();
    const [lovelace] = (
      await org.conn.query<{ Id: string }>("SELECT Id FROM Contact WHERE LastName = 'Lovelace'")
    ).records;
    await org.conn.sobject('Contact').destroy(String(lovelace?.Id));
    const soql =
      "SELECT (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account WHERE Name = 'Acme'";
    const live = await org.conn.query<Row>(soql);
    assert.equal((live.records[0]?.Contacts as Nested)?.totalSize, 1);
    const all = await org.conn.query<Row>(soql, { scanAll: true });
    assert.equal((all.records[0]?.Contacts as Nested)?.totalSize, 2);
    await assert.rejects(
      async () => org.conn.query('SELECT Id, (SELECT Id FROM Contactz) FROM Account'),
      {
        errorCode: 'INVALID_TYPE',
        message: /Didn't understand relationship 'Contactz' in FROM part of query call/
      }
    );
  });
});

describe('aggregate queries', () => {
  test('GROUP BY, HAVING and aliases answer AggregateResult records', async () => {
    await seed();
    const result = await org.conn.query<Row>(
      'SELECT Industry, COUNT(Id), SUM(AnnualRevenue) revenue FROM Account GROUP BY Industry HAVING COUNT(Id) > 1'
    );
    assert.equal(result.totalSize, 1);
    assert.equal(result.done, true);
    assert.deepEqual(result.records, [
      {
        attributes: { type: 'AggregateResult' },
        Industry: 'Technology',
        expr0: 2,
        revenue: 1250500
      }
    ]);
    const years = await org.conn.query<Row>(
      'SELECT CALENDAR_YEAR(CreatedDate) year, COUNT(Id) FROM Account GROUP BY CALENDAR_YEAR(CreatedDate) ORDER BY CALENDAR_YEAR(CreatedDate) DESC'
    );
    assert.deepEqual(
      years.records.map((record) => [record.year, record.expr0]),
      [
        [2026, 1],
        [2025, 2]
      ]
    );
  });

  test('date functions filter, and an aggregate over more groups than a batch is refused', async () => {
    await seed();
    const march = await org.conn.query<Row>(
      'SELECT Name FROM Account WHERE CALENDAR_MONTH(CreatedDate) = 3 AND DAY_ONLY(CreatedDate) = 2025-03-01'
    );
    assert.deepEqual(
      march.records.map((record) => record.Name),
      ['Globex']
    );
    await org.emulator.driver('POST', 'datasets/Account', {
      count: 2001,
      template: { Name: 'Generated {i}' }
    });
    await assert.rejects(
      async () => org.conn.query('SELECT Name, COUNT(Id) FROM Account GROUP BY Name'),
      {
        errorCode: 'EXCEEDED_ID_LIMIT',
        message:
          'Aggregate query does not support queryMore(), use LIMIT to restrict the results to a single batch'
      }
    );
    const limited = await org.conn.query(
      'SELECT Name, COUNT(Id) FROM Account GROUP BY Name LIMIT 2000'
    );
    assert.equal(limited.totalSize, 2000);
  });
});

describe('toLabel(), FORMAT() and TYPEOF', () => {
  test('labels and en_US formats, under the field name or an alias', async () => {
    await seed();
    const result = await org.conn.query<Row>(
      "SELECT Sync_Status__c, toLabel(Sync_Status__c) status, FORMAT(AnnualRevenue), FORMAT(NumberOfEmployees) staff, FORMAT(CreatedDate) created FROM Account WHERE toLabel(Sync_Status__c) = 'Pending'"
    );
    assert.equal(result.totalSize, 1);
    const [acme] = result.records;
    assert.equal(acme?.Sync_Status__c, 'Pending');
    assert.equal(acme?.status, 'Pending');
    assert.equal(acme?.AnnualRevenue, '$1,250,000');
    assert.equal(acme?.staff, '1,250');
    assert.equal(acme?.created, '11/29/2026, 3:31 PM');
  });

  test("TYPEOF selects the fields of the owner's actual type", async () => {
    await org.conn.sobject('Case').create({ Subject: 'Broken pump' });
    const result = await org.conn.query<Row>(
      'SELECT Subject, TYPEOF Owner WHEN User THEN Username, Email ELSE Name END FROM Case'
    );
    const owner = result.records[0]?.Owner as Row;
    assert.equal((owner.attributes as Row).type, 'User');
    assert.equal(owner.Username, 'admin@emulator.local');
    assert.deepEqual(Object.keys(owner), ['attributes', 'Username', 'Email']);
  });
});

describe('the sf CLI', () => {
  test('sf data query prints sub-queries and aggregates as the org answers them', async () => {
    await seed();
    const nested = await org.sf([
      'data',
      'query',
      '--query',
      "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account WHERE Name = 'Acme'"
    ]);
    assert.equal(nested.status, 0, nested.raw);
    const [acme] = (nested.result as { records: Row[] }).records;
    assert.deepEqual(
      (acme?.Contacts as Nested)?.records.map((record) => record.LastName),
      ['Hopper', 'Lovelace']
    );
    const grouped = await org.sf([
      'data',
      'query',
      '--query',
      'SELECT Industry, COUNT(Id) n FROM Account GROUP BY Industry ORDER BY COUNT(Id) DESC'
    ]);
    assert.equal(grouped.status, 0, grouped.raw);
    assert.deepEqual(
      (grouped.result as { records: Row[] }).records.map((record) => [record.Industry, record.n]),
      [
        ['Technology', 2],
        ['Banking', 1]
      ]
    );
  });
});

describe('Bulk API 2.0', () => {
  test('refuses TYPEOF, GROUP BY and sub-queries; runs toLabel() and date functions in WHERE', async () => {
    await seed();
    const refused: Array<[string, string]> = [
      [
        'SELECT TYPEOF Owner WHEN User THEN Username END FROM Case',
        'TYPEOF clause is not supported in Bulk V2 Query'
      ],
      [
        'SELECT CALENDAR_YEAR(CreatedDate) FROM Account GROUP BY CALENDAR_YEAR(CreatedDate)',
        'Aggregate Relationships not supported in Bulk V2 Query with CSV content type'
      ],
      [
        'SELECT Name, (SELECT LastName FROM Contacts) FROM Account',
        'Aggregate Relationships not supported in Bulk V2 Query with CSV content type'
      ]
    ];
    for (const [soql, message] of refused) {
      await assert.rejects(org.conn.bulk2.query(soql), { errorCode: 'API_ERROR', message }, soql);
    }
    const records = (await (
      await org.conn.bulk2.query(
        'SELECT Name, toLabel(Sync_Status__c) FROM Account WHERE CALENDAR_YEAR(CreatedDate) = 2026'
      )
    ).toArray()) as Row[];
    assert.deepEqual(records, [{ Name: 'Acme', Sync_Status__c: 'Pending' }]);
  });
});
