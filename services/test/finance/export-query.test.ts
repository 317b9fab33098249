/**
 * The Finance export query: every SOQL form the export refuses, with what the message tells to
 * change, and the chunk query it composes, checked by re-parsing it, by the org emulator's
 * Bulk API 2.0 restrictions and by running it against emulator records at window edges.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseSoql } from '../../../toolkit/src/soql/parser.ts';
import { createSchema } from '../../../toolkit/src/salesforce-schema/index.ts';
import { standardObjects } from '../../../toolkit/src/salesforce-schema/standard-objects.ts';
import { bulkQueryRestriction } from '../../../simulators/salesforce/src/soql/index.ts';
import {
  startTestEmulator,
  type TestEmulator
} from '../../../simulators/salesforce/test/helpers/emulator.ts';
import {
  composeChunkQuery,
  ExportQueryError,
  parseExportQuery,
  soqlDateTime,
  type ExportQueryErrorCode
} from '../../src/finance/export-query.ts';

const FIELDS = 'Id, Name, Status__c, Balance__c, Account__r.Name, SystemModstamp';
const BASE = `SELECT ${FIELDS} FROM Billing_Account__c`;
/** Without parent fields: the window is the row's own SystemModstamp. */
const OWN = 'SELECT Id, Name, Status__c, Balance__c, SystemModstamp FROM Billing_Account__c';

function refusal(soql: string, options = {}): ExportQueryError {
  try {
    parseExportQuery(soql, options);
  } catch (error) {
    assert.ok(error instanceof ExportQueryError, String(error));
    return error;
  }
  assert.fail(`accepted: ${soql}`);
}

function expectRefused(soql: string, code: ExportQueryErrorCode, ...parts: RegExp[]): void {
  const error = refusal(soql);
  assert.equal(error.name, 'ExportQueryError');
  assert.equal(error.code, code, error.message);
  for (const part of parts) assert.match(error.message, part);
}

describe('parseExportQuery accepts', () => {
  it('a plain field list with parent paths: object, columns in SELECT order', () => {
    const query = parseExportQuery(`${BASE} WHERE Status__c != 'Closed'`);
    assert.equal(query.object, 'Billing_Account__c');
    assert.deepEqual(query.columns, [
      'Id',
      'Name',
      'Status__c',
      'Balance__c',
      'Account__r.Name',
      'SystemModstamp'
    ]);
    assert.equal(query.selectsIsDeleted, false);
    assert.equal(query.ast.from.name, 'Billing_Account__c');
  });

  it('IsDeleted, toLabel() and geolocation components', () => {
    const query = parseExportQuery(
      'SELECT Id, SystemModstamp, IsDeleted, toLabel(Status__c), ' +
        'Site__Latitude__s, Site__Longitude__s, BillingCity FROM Billing_Account__c',
      { compoundFields: (_object, path) => path.join('.') === 'Site__c' }
    );
    assert.deepEqual(query.columns, [
      'Id',
      'SystemModstamp',
      'IsDeleted',
      'Status__c',
      'Site__Latitude__s',
      'Site__Longitude__s',
      'BillingCity'
    ]);
    assert.equal(query.selectsIsDeleted, true);
  });

  it('semi-joins, date functions and date literals in WHERE', () => {
    parseExportQuery(
      `${BASE} WHERE Account__c IN (SELECT AccountId FROM Contact) ` +
        'AND CALENDAR_YEAR(Last_Invoice_Date__c) = 2026 AND CreatedDate = LAST_N_DAYS:30'
    );
  });
});

describe('parseExportQuery refuses, saying what to change', () => {
  it('ORDER BY: disables PK chunking, the export orders by Id itself', () => {
    const soql = `${BASE} ORDER BY Name DESC NULLS LAST`;
    expectRefused(
      soql,
      'ORDER_BY',
      /^ORDER BY is not allowed in the export query: Bulk API 2\.0 accepts it but it disables PK chunking \(slower\) and the export splits and orders by Id itself\. Remove `ORDER BY Name DESC NULLS LAST` \(col 97\)\.$/
    );
    assert.equal(soql.indexOf('ORDER') + 1, 97);
  });

  it('LIMIT: would silently truncate the night', () => {
    expectRefused(
      `${BASE} LIMIT 1000`,
      'LIMIT',
      /LIMIT is not allowed in the export query: it would silently truncate the nightly export\. Remove `LIMIT 1000` \(col 97\)/
    );
  });

  it('OFFSET', () => {
    expectRefused(`${BASE} OFFSET 10`, 'OFFSET', /Remove `OFFSET 10` \(col 97\)/);
  });

  it('COUNT() and the other aggregates: export the rows, Finance aggregates', () => {
    expectRefused(
      'SELECT COUNT() FROM Billing_Account__c',
      'AGGREGATE',
      /Aggregate functions are not allowed in the export query: Bulk API 2\.0 refuses it\. Replace `COUNT\(\)` \(col 8\) with the fields it reads: export the rows, Finance aggregates \(the run summary reports how many rows were exported\)\.$/
    );
    for (const fn of ['SUM(Balance__c)', 'MAX(Balance__c)', 'COUNT_DISTINCT(Status__c)']) {
      expectRefused(`SELECT Id, SystemModstamp, ${fn} FROM X`, 'AGGREGATE', /Finance aggregates/);
    }
    expectRefused(
      'SELECT SUM(Balance__c) total FROM X',
      'AGGREGATE',
      /Replace `SUM\(Balance__c\)`/
    );
  });

  it('GROUP BY, and date functions in GROUP BY with their own message', () => {
    expectRefused(
      'SELECT Status__c, COUNT(Id) FROM X GROUP BY Status__c HAVING COUNT(Id) > 1',
      'GROUP_BY',
      /GROUP BY is not allowed.*Remove `GROUP BY Status__c` \(col 36\)/,
      /Aggregate functions/,
      /HAVING is not allowed/
    );
    const error = refusal(
      'SELECT CALENDAR_MONTH(Last_Invoice_Date__c) m, SUM(Balance__c) FROM X GROUP BY ROLLUP(CALENDAR_MONTH(Last_Invoice_Date__c))'
    );
    assert.equal(error.code, 'GROUP_BY_DATE_FUNCTION');
    assert.match(
      error.message.split('\n')[0] ?? '',
      /^Date functions in GROUP BY are not allowed in the export query: Bulk API 2\.0 refuses it\. Remove `GROUP BY ROLLUP\(CALENDAR_MONTH\(Last_Invoice_Date__c\)\)` \(col 71\) and export the date field itself \(`Last_Invoice_Date__c`\): Finance groups by calendar month\.$/
    );
    // Neither the missing Id nor the date function in SELECT add noise.
    assert.deepEqual(
      error.problems.map((problem) => problem.code),
      ['GROUP_BY_DATE_FUNCTION', 'AGGREGATE']
    );
  });

  it('compound address fields: select the components', () => {
    expectRefused(
      'SELECT Id, SystemModstamp, BillingAddress FROM Account',
      'COMPOUND_FIELD',
      /Selecting compound data not supported in Bulk Query/,
      /Replace `BillingAddress` \(col 28\) with its components: BillingStreet, BillingCity, BillingState, BillingPostalCode, BillingCountry\.$/
    );
    expectRefused(
      'SELECT Id, SystemModstamp, Account__r.ShippingAddress FROM Billing_Account__c',
      'COMPOUND_FIELD',
      /Account__r\.ShippingStreet, Account__r\.ShippingCity, Account__r\.ShippingState/
    );
    for (const [name, street] of [
      ['MailingAddress', 'MailingStreet'],
      ['OtherAddress', 'OtherStreet'],
      ['Address', 'Street']
    ]) {
      expectRefused(
        `SELECT Id, SystemModstamp, ${name} FROM Contact`,
        'COMPOUND_FIELD',
        new RegExp(`components: ${street},`)
      );
    }
  });

  it('geolocation fields the schema says are compound: the __Latitude__s/__Longitude__s parts', () => {
    const error = refusal('SELECT Id, SystemModstamp, Site__c FROM Billing_Account__c', {
      compoundFields: (object: string, path: string[]) =>
        object === 'Billing_Account__c' && path.join('.') === 'Site__c'
    });
    assert.equal(error.code, 'COMPOUND_FIELD');
    assert.match(error.message, /components: Site__Latitude__s, Site__Longitude__s\.$/);
    // Without the schema's word, Site__c is a plain field.
    parseExportQuery('SELECT Id, SystemModstamp, Site__c FROM Billing_Account__c');
  });

  it('parent-to-child subqueries: query the child object in its own export', () => {
    expectRefused(
      'SELECT Id, SystemModstamp, (SELECT Id FROM Invoices__r WHERE Paid__c = false) FROM Billing_Account__c',
      'SUBQUERY',
      /Remove `\(SELECT Id FROM Invoices__r WHERE Paid__c = false\)` \(col 28\) and query the child object in its own export/
    );
  });

  it('TYPEOF and FIELDS()', () => {
    expectRefused(
      'SELECT Id, SystemModstamp, TYPEOF Owner WHEN User THEN Email END FROM X',
      'TYPEOF',
      /TYPEOF is not allowed.*`Owner\.Name`/
    );
    expectRefused(
      'SELECT FIELDS(ALL) FROM X',
      'FIELDS',
      /List the fields instead of `FIELDS\(ALL\)`/
    );
  });

  it('a function other than toLabel(), FORMAT(), convertCurrency() in SELECT', () => {
    expectRefused(
      'SELECT Id, SystemModstamp, DAY_ONLY(CreatedDate) FROM X',
      'FUNCTION',
      /Select the field itself \(`CreatedDate`\)/
    );
  });

  it('WITH SECURITY_ENFORCED and FOR clauses', () => {
    expectRefused(
      `${BASE} WITH SECURITY_ENFORCED`,
      'WITH',
      /permissions.*Remove `WITH SECURITY_ENFORCED` \(col 97\)/
    );
    expectRefused(`${BASE} FOR UPDATE`, 'FOR', /Remove `FOR UPDATE`/);
  });

  it('an object alias, USING SCOPE, FORMAT() and convertCurrency()', () => {
    expectRefused(
      'SELECT b.Id, b.SystemModstamp FROM Billing_Account__c b',
      'ALIAS',
      /alias `b` is not allowed.*Remove `b` after FROM Billing_Account__c/
    );
    expectRefused(
      'SELECT Id, SystemModstamp FROM Billing_Account__c USING SCOPE mine',
      'SCOPE',
      /USING SCOPE mine is not allowed.*filter with WHERE/
    );
    for (const fn of ['FORMAT(Balance__c)', 'convertCurrency(Balance__c)']) {
      expectRefused(
        `SELECT Id, SystemModstamp, ${fn} FROM Billing_Account__c`,
        'FUNCTION',
        /only toLabel\(\) may wrap a field there/
      );
    }
  });

  it('Id and SystemModstamp must be selected, as plain fields', () => {
    expectRefused(
      'SELECT Name, SystemModstamp FROM X',
      'MISSING_ID',
      /Add `Id` to the SELECT list/
    );
    expectRefused(
      'SELECT Id, Name, toLabel(SystemModstamp) FROM X',
      'MISSING_SYSTEMMODSTAMP',
      /incremental by it.*Add `SystemModstamp` to the SELECT list\.$/
    );
    expectRefused(
      'SELECT Id, id, SystemModstamp FROM X',
      'DUPLICATE_FIELD',
      /`id` is selected twice/
    );
  });

  it('every problem at once, most fundamental first, pointing at lines of a long query', () => {
    const error = refusal('SELECT Name, BillingAddress\nFROM Account\nORDER BY Name\nLIMIT 5');
    assert.deepEqual(
      error.problems.map((problem) => problem.code),
      ['COMPOUND_FIELD', 'ORDER_BY', 'LIMIT', 'MISSING_ID', 'MISSING_SYSTEMMODSTAMP']
    );
    assert.match(error.message, /`ORDER BY Name` \(line 3, col 1\)/);
    assert.match(error.message, /`LIMIT 5` \(line 4, col 1\)/);
  });

  it("a syntax error: Salesforce's MALFORMED_QUERY message", () => {
    const error = refusal(`SELECT Id, SystemModstamp FORM Billing_Account__c`);
    assert.equal(error.code, 'SYNTAX');
    assert.equal(
      error.message,
      'The export query does not parse (MALFORMED_QUERY):\n' +
        'SELECT Id, SystemModstamp FORM Billing_Account__c\n' +
        '                          ^\n' +
        'ERROR at Row:1:Column:27\n' +
        "unexpected token: 'FORM'"
    );
    assert.equal(refusal("SELECT Id FROM X WHERE a = 'x' OR b = 'y' AND c = 'z'").code, 'SYNTAX');
  });
});

describe('composeChunkQuery', () => {
  const since = new Date('2026-12-06T02:00:00.750Z');
  const until = new Date('2026-12-07T02:00:00.250Z');
  const idFrom = 'a0B000000000001AAA';
  const idTo = 'a0B0000000000ZzAAA';

  it('writes whole-second datetime literals (floored)', () => {
    assert.equal(soqlDateTime(since), '2026-12-06T02:00:00Z');
    assert.throws(() => soqlDateTime(new Date(Number.NaN)), RangeError);
  });

  it('adds a WHERE clause where there is none, before the clauses that follow it', () => {
    const query = parseExportQuery(OWN);
    assert.equal(
      composeChunkQuery(query, { since, until, idFrom, idTo }),
      `${OWN} WHERE SystemModstamp > 2026-12-06T02:00:00Z AND ` +
        `SystemModstamp <= 2026-12-07T02:00:00Z AND Id >= '${idFrom}' AND Id < '${idTo}'`
    );
    assert.equal(
      composeChunkQuery(parseExportQuery(OWN), { until }),
      `${OWN} WHERE SystemModstamp <= 2026-12-07T02:00:00Z`
    );
  });

  it('keeps the original WHERE in parentheses, so its OR stays inside', () => {
    const query = parseExportQuery(`${OWN}\nWHERE Status__c = 'Open' OR Balance__c > 0\n`);
    const composed = composeChunkQuery(query, { since, until, idFrom });
    assert.equal(
      composed,
      `${OWN}\nWHERE SystemModstamp > 2026-12-06T02:00:00Z AND SystemModstamp <= ` +
        `2026-12-07T02:00:00Z AND Id >= '${idFrom}' AND (Status__c = 'Open' OR Balance__c > 0)\n`
    );
    const where = parseSoql(composed).where;
    assert.equal(where?.kind, 'and');
    if (where?.kind !== 'and') return;
    assert.equal(where.operands.length, 4);
    assert.equal(where.operands[3]?.kind, 'or');
  });

  it('widens an incremental window to the parents whose fields it exports', () => {
    const query = parseExportQuery(`${BASE} WHERE Status__c = 'Open'`);
    assert.equal(
      composeChunkQuery(query, { since, until }),
      `${BASE} WHERE ((SystemModstamp > 2026-12-06T02:00:00Z AND SystemModstamp <= ` +
        `2026-12-07T02:00:00Z) OR (Account__r.SystemModstamp > 2026-12-06T02:00:00Z AND ` +
        `Account__r.SystemModstamp <= 2026-12-07T02:00:00Z)) AND (Status__c = 'Open')`
    );
    // A full run takes every row up to its end, whatever its parents did.
    assert.equal(
      composeChunkQuery(query, { until }),
      `${BASE} WHERE SystemModstamp <= 2026-12-07T02:00:00Z AND (Status__c = 'Open')`
    );
  });

  it('re-parses to the same export, and Bulk API 2.0 (the emulator) accepts it', () => {
    const schema = createSchema(standardObjects());
    for (const soql of [
      'SELECT Id, Name, BillingCity, Owner.Name, SystemModstamp FROM Account',
      "SELECT Id, SystemModstamp FROM Account WHERE Name LIKE 'A%' OR (Industry = null AND NOT Name = 'x')",
      'SELECT Id, SystemModstamp, toLabel(Industry) FROM Account WHERE Id IN (SELECT AccountId FROM Contact)'
    ]) {
      const query = parseExportQuery(soql);
      const composed = composeChunkQuery(query, { since, until, idFrom, idTo });
      const again = parseExportQuery(composed);
      assert.deepEqual(again.columns, query.columns);
      assert.equal(bulkQueryRestriction(composed, schema), undefined, composed);
    }
  });

  it('refuses a window that ends before it starts and ids that are not ids', () => {
    const query = parseExportQuery(BASE);
    assert.throws(() => composeChunkQuery(query, { since: until, until: since }), RangeError);
    assert.throws(
      () => composeChunkQuery(query, { until, idFrom: "x' OR Name != '" }),
      /Not a Salesforce id/
    );
  });
});

describe('chunk queries against the org emulator', () => {
  let emulator: TestEmulator;
  const stamps = [
    '2026-12-05T23:59:59.000+0000',
    '2026-12-06T02:00:00.000+0000',
    '2026-12-06T02:00:01.000+0000',
    '2026-12-07T01:59:59.000+0000',
    '2026-12-07T02:00:00.000+0000',
    '2026-12-07T02:00:01.000+0000'
  ];
  let ids: string[] = [];

  before(async () => {
    emulator = await startTestEmulator();
    const loaded = await emulator.driver<{ ids: string[] }>(
      'POST',
      'records/Account',
      stamps.map((stamp, i) => ({
        Name: `Billing ${i}`,
        Industry: i % 2 === 0 ? 'Banking' : null,
        // A back-dated LastModifiedDate moves SystemModstamp with it.
        LastModifiedDate: stamp,
        CreatedDate: stamp
      }))
    );
    ids = loaded.ids;
  });

  after(async () => {
    await emulator.close();
  });

  async function names(soql: string): Promise<string[]> {
    const { status, body } = await emulator.rest('GET', `query?q=${encodeURIComponent(soql)}`);
    assert.equal(status, 200, JSON.stringify(body));
    return (body as { records: Array<{ Name: string }> }).records.map((r) => r.Name).sort();
  }

  it('consecutive nights take every row once: since exclusive, until inclusive', async () => {
    const query = parseExportQuery('SELECT Id, Name, SystemModstamp FROM Account');
    const first = await names(
      composeChunkQuery(query, { until: new Date('2026-12-06T02:00:00.900Z') })
    );
    const second = await names(
      composeChunkQuery(query, {
        since: new Date('2026-12-06T02:00:00.900Z'),
        until: new Date('2026-12-07T02:00:00.400Z')
      })
    );
    assert.deepEqual(first, ['Billing 0', 'Billing 1']);
    assert.deepEqual(second, ['Billing 2', 'Billing 3', 'Billing 4']);
  });

  it('Id ranges split a night without overlap, and the original OR filters each', async () => {
    const query = parseExportQuery(
      "SELECT Id, Name, SystemModstamp FROM Account WHERE Industry = 'Banking' OR Name = 'Billing 3'"
    );
    const sorted = [...ids].sort();
    const middle = sorted[3] ?? '';
    const until = new Date('2026-12-08T00:00:00Z');
    const low = await names(composeChunkQuery(query, { until, idTo: middle }));
    const high = await names(composeChunkQuery(query, { until, idFrom: middle }));
    assert.deepEqual([...low, ...high].sort(), [
      'Billing 0',
      'Billing 2',
      'Billing 3',
      'Billing 4'
    ]);
    assert.equal(new Set([...low, ...high]).size, low.length + high.length);
  });

  it('a Bulk API 2.0 query job accepts the composed query', async () => {
    const query = parseExportQuery('SELECT Id, Name, BillingCity, SystemModstamp FROM Account');
    const { status, body } = await emulator.rest('POST', 'jobs/query', {
      operation: 'query',
      query: composeChunkQuery(query, { since: new Date(0), until: new Date(), idFrom: ids[0] })
    });
    assert.equal(status, 200, JSON.stringify(body));
  });
});
