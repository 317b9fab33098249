/**
 * Aggregate queries over a fake org: GROUP BY (plain, ROLLUP, CUBE with GROUPING()), HAVING,
 * ORDER BY over groups, aliases and the implied `exprN` names, grouped parent fields, date
 * functions as groups, FORMAT() and toLabel() of group values, and the errors Salesforce
 * answers for what is neither grouped nor aggregated.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { SalesforceApiError, SfRecord } from '../src/model.ts';
import { stringifyJavaJson } from '../src/java-json.ts';
import { BULK_AGGREGATE_MESSAGE } from '../src/soql/bulk-restrictions.ts';
import { bulkQueryRestriction, createSoqlEngine } from '../src/soql/index.ts';
import { fakeSchema, fakeStore, fixedClock, prepareFailure, TEST_USER } from './soql-fake-org.ts';

type Row = Record<string, unknown>;

const schema = fakeSchema();
const store = fakeStore(schema);
const engine = createSoqlEngine(schema, store, fixedClock('2026-11-29T12:00:00Z'));

function insert(object: string, fields: Record<string, unknown>): SfRecord {
  return store.insert(object, fields, TEST_USER);
}

/** The rows as a client reads them (JSON), without their `attributes` (all AggregateResult). */
function rows(soql: string): Row[] {
  const sent = JSON.parse(stringifyJavaJson([...engine.prepare(soql).run()])) as Row[];
  return sent.map((row) => {
    assert.deepEqual(row.attributes, { type: 'AggregateResult' });
    const values = { ...row };
    delete values.attributes;
    return values;
  });
}

function failure(soql: string): SalesforceApiError {
  return prepareFailure(engine, soql);
}

before(() => {
  const ada = insert('User', { Name: 'Ada Admin' });
  const bob = insert('User', { Name: 'Bob Builder' });
  const accounts: Array<[string, string | null, string | null, number, string, string]> = [
    ['Acme', 'Technology', 'G', 100, '2026-11-29T15:00:00.000+0000', ada.Id],
    ['Globex', 'Technology', 'S', 50, '2026-03-01T09:00:00.000+0000', ada.Id],
    ['Initech', 'Technology', 'G', 25, '2025-01-05T10:00:00.000+0000', bob.Id],
    ['Umbrella', 'Banking', 'G', 10, '2025-07-01T08:00:00.000+0000', bob.Id],
    ['Hooli', null, null, 5, '2025-07-02T08:00:00.000+0000', bob.Id]
  ];
  for (const [Name, Industry, Tier__c, AnnualRevenue, CreatedDate, OwnerId] of accounts) {
    insert('Account', { Name, Industry, Tier__c, AnnualRevenue, CreatedDate, OwnerId });
  }
});

describe('GROUP BY', () => {
  it('one AggregateResult per group; unaliased aggregates are expr0, expr1...', () => {
    assert.deepEqual(
      rows(
        'SELECT Industry, COUNT(Id), SUM(AnnualRevenue) total, MAX(Name) FROM Account GROUP BY Industry'
      ),
      [
        { Industry: 'Technology', expr0: 3, total: 175, expr1: 'Initech' },
        { Industry: 'Banking', expr0: 1, total: 10, expr1: 'Umbrella' },
        { Industry: null, expr0: 1, total: 5, expr1: 'Hooli' }
      ]
    );
  });

  it('aliases grouped fields; a grouped parent field is keyed by its own name', () => {
    assert.deepEqual(
      rows('SELECT Owner.Name, COUNT_DISTINCT(Industry) n FROM Account GROUP BY Owner.Name'),
      [
        { Name: 'Ada Admin', n: 1 },
        { Name: 'Bob Builder', n: 2 }
      ]
    );
    assert.deepEqual(rows('SELECT Industry ind FROM Account GROUP BY Industry LIMIT 1'), [
      { ind: 'Technology' }
    ]);
  });

  it('HAVING filters groups, ORDER BY sorts them, OFFSET and LIMIT page them', () => {
    assert.deepEqual(
      rows(
        'SELECT Industry, COUNT(Id) c FROM Account GROUP BY Industry HAVING COUNT(Id) >= 1 AND Industry != null ORDER BY COUNT(Id) ASC'
      ),
      [
        { Industry: 'Banking', c: 1 },
        { Industry: 'Technology', c: 3 }
      ]
    );
    assert.deepEqual(
      rows(
        'SELECT Tier__c, AVG(AnnualRevenue) FROM Account GROUP BY Tier__c HAVING MIN(AnnualRevenue) > 6 ORDER BY Tier__c DESC NULLS LAST LIMIT 1 OFFSET 1'
      ),
      [{ Tier__c: 'G', expr0: 45 }]
    );
  });

  it('date functions group and name their groups exprN; FORMAT() and toLabel() show them', () => {
    assert.deepEqual(
      rows(
        'SELECT CALENDAR_YEAR(CreatedDate), COUNT(Id) FROM Account GROUP BY CALENDAR_YEAR(CreatedDate) ORDER BY CALENDAR_YEAR(CreatedDate)'
      ),
      [
        { expr0: 2025, expr1: 3 },
        { expr0: 2026, expr1: 2 }
      ]
    );
    assert.deepEqual(
      rows(
        'SELECT CALENDAR_QUARTER(CreatedDate) q, DAY_IN_WEEK(CreatedDate) d, COUNT(Id) FROM Account WHERE CALENDAR_YEAR(CreatedDate) = 2025 GROUP BY CALENDAR_QUARTER(CreatedDate), DAY_IN_WEEK(CreatedDate) ORDER BY DAY_IN_WEEK(CreatedDate)'
      ),
      [
        { q: 1, d: 1, expr0: 1 },
        { q: 3, d: 3, expr0: 1 },
        { q: 3, d: 4, expr0: 1 }
      ]
    );
    assert.deepEqual(
      rows(
        'SELECT toLabel(Tier__c), FORMAT(SUM(AnnualRevenue)) total, FORMAT(MIN(CreatedDate)) FROM Account WHERE Tier__c != null GROUP BY Tier__c'
      ),
      [
        { Tier__c: 'Gold', total: '$135.00', expr0: '1/5/2025, 10:00 AM' },
        { Tier__c: 'Silver', total: '$50.00', expr0: '3/1/2026, 9:00 AM' }
      ]
    );
  });

  it('without GROUP BY there is one row, also when nothing matches', () => {
    assert.deepEqual(rows("SELECT COUNT(Id), SUM(AnnualRevenue) FROM Account WHERE Name = 'x'"), [
      { expr0: 0, expr1: null }
    ]);
  });
});

describe('ROLLUP and CUBE', () => {
  it('ROLLUP adds a subtotal after each group it sums and the grand total last', () => {
    assert.deepEqual(
      rows(
        'SELECT Industry, Tier__c, COUNT(Id) FROM Account WHERE Industry != null GROUP BY ROLLUP(Industry, Tier__c)'
      ),
      [
        { Industry: 'Technology', Tier__c: 'G', expr0: 2 },
        { Industry: 'Technology', Tier__c: 'S', expr0: 1 },
        { Industry: 'Technology', Tier__c: null, expr0: 3 },
        { Industry: 'Banking', Tier__c: 'G', expr0: 1 },
        { Industry: 'Banking', Tier__c: null, expr0: 1 },
        { Industry: null, Tier__c: null, expr0: 4 }
      ]
    );
  });

  it('CUBE adds every combination; GROUPING() tells a subtotal from a null group', () => {
    const cube = rows(
      'SELECT Industry, Tier__c, GROUPING(Industry) gi, GROUPING(Tier__c) gt, COUNT(Id) c FROM Account WHERE Industry != null GROUP BY CUBE(Industry, Tier__c) ORDER BY GROUPING(Industry), GROUPING(Tier__c)'
    );
    assert.equal(cube.length, 3 + 2 + 2 + 1);
    assert.deepEqual(cube.at(-1), { Industry: null, Tier__c: null, gi: 1, gt: 1, c: 4 });
    assert.deepEqual(
      cube.filter((row) => row.gi === 1 && row.gt === 0),
      [
        { Industry: null, Tier__c: 'G', gi: 1, gt: 0, c: 3 },
        { Industry: null, Tier__c: 'S', gi: 1, gt: 0, c: 1 }
      ]
    );
  });
});

describe("Salesforce's errors", () => {
  it('a field neither grouped nor aggregated, in SELECT or ORDER BY', () => {
    assert.equal(
      failure('SELECT Name, COUNT(Id) FROM Account GROUP BY Industry').message,
      '\nSELECT Name, COUNT(Id) FROM Account GROUP\n       ^\nERROR at Row:1:Column:8\nField must be grouped or aggregated: Name'
    );
    assert.match(
      failure('SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry ORDER BY Name').message,
      /Column:68\nOrdered field must be grouped or aggregated: Name$/
    );
  });

  it('a field that cannot be grouped, and a grouped field aggregated', () => {
    const error = failure('SELECT AnnualRevenue FROM Account GROUP BY AnnualRevenue');
    assert.equal(error.errorCode, 'INVALID_FIELD');
    assert.match(error.message, /field 'AnnualRevenue' can not be grouped in a query call$/);
    assert.match(
      failure('SELECT Industry, COUNT(Industry) FROM Account GROUP BY Industry').message,
      /Column:24\nGrouped field should not be aggregated: Industry$/
    );
  });

  it('aggregates of the wrong type, a missing argument, duplicate aliases', () => {
    assert.match(
      failure('SELECT SUM(Name) FROM Account').message,
      /does not support aggregate operator SUM$/
    );
    assert.match(failure('SELECT MAX() FROM Account').message, /unexpected token: '\)'$/);
    assert.match(
      failure('SELECT COUNT() FROM Account GROUP BY Industry').message,
      /COUNT\(\) can't be used with GROUP BY/
    );
    assert.match(
      failure('SELECT Industry a, COUNT(Id) a FROM Account GROUP BY Industry').message,
      /duplicate alias: a$/
    );
  });
});

describe('Bulk API 2.0', () => {
  it('refuses GROUP BY, date functions in GROUP BY and aggregate functions', () => {
    for (const soql of [
      'SELECT Industry FROM Account GROUP BY Industry',
      'SELECT CALENDAR_YEAR(CreatedDate) FROM Account GROUP BY CALENDAR_YEAR(CreatedDate)',
      'SELECT COUNT(Id) cnt FROM Account',
      'SELECT Industry FROM Account GROUP BY ROLLUP(Industry)'
    ]) {
      assert.equal(bulkQueryRestriction(soql, schema)?.message, BULK_AGGREGATE_MESSAGE, soql);
    }
  });
});
