/**
 * The SOQL engine end to end over a fake org: every WHERE operator, SOQL's null semantics,
 * LIKE, IN, date literals against a fixed clock, ORDER BY with NULLS, LIMIT/OFFSET, parent
 * relationship fields (REST nesting and flat Bulk rows), COUNT() and simple aggregates,
 * semi-joins and queryAll.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { SfRecord } from '../src/model.ts';
import { stringifyJavaJson } from '../src/java-json.ts';
import { createSoqlEngine, type SoqlPreparedQuery } from '../src/soql/index.ts';
import { fakeSchema, fakeStore, fixedClock, TEST_USER } from './soql-fake-org.ts';

/** Sunday 2026-11-29, noon UTC: THIS_WEEK is Nov 29 - Dec 5, LAST_WEEK Nov 22 - 28. */
const NOW = '2026-11-29T12:00:00Z';

function setup() {
  const schema = fakeSchema();
  const store = fakeStore(schema);
  const clock = fixedClock(NOW);
  const engine = createSoqlEngine(schema, store, clock);
  const insert = (object: string, fields: Record<string, unknown>): SfRecord =>
    store.insert(object, fields, TEST_USER);

  const ada = insert('User', { Name: 'Ada Admin', Username: 'ada@x.test', IsActive: true });
  const bob = insert('User', { Name: 'Bob Builder', Username: 'bob@x.test', IsActive: false });
  const queue = insert('Group', { Name: 'Support Queue', Type: 'Queue' });
  const acme = insert('Account', {
    Name: 'Acme',
    Industry: 'Technology',
    AnnualRevenue: 1_000_000,
    NumberOfEmployees: 50,
    Rating__c: 4.5,
    Active__c: true,
    Since__c: '2026-11-29',
    Region__c: 'EMEA;APAC',
    OwnerId: ada.Id,
    BillingCity: 'Paris',
    BillingCountry: 'France',
    HQ__Latitude__s: 48.85,
    HQ__Longitude__s: 2.35,
    SAP_Customer_Number__c: 'SAP-1',
    CreatedDate: '2026-11-29T03:00:00.000+0000'
  });
  const obrien = insert('Account', {
    Name: "O'Brien Ltd",
    Industry: 'Banking',
    AnnualRevenue: 5000,
    NumberOfEmployees: 5,
    Active__c: false,
    Since__c: '2026-11-28',
    Region__c: 'AMER',
    OwnerId: bob.Id,
    ParentId: acme.Id,
    CreatedDate: '2026-11-28T23:59:59.000+0000'
  });
  const globex = insert('Account', {
    Name: 'globex',
    Since__c: '2026-10-15',
    OwnerId: ada.Id,
    Region__c: 'APAC',
    CreatedDate: '2026-08-01T00:00:00.000+0000'
  });
  const initech = insert('Account', {
    Name: 'Initech_%',
    Industry: 'Technology',
    NumberOfEmployees: 500,
    CreatedDate: '2026-11-30T00:00:00.000+0000'
  });
  const lovelace = insert('Contact', {
    FirstName: 'Ada',
    LastName: 'Lovelace',
    Name: 'Ada Lovelace',
    AccountId: acme.Id,
    OwnerId: ada.Id
  });
  const hopper = insert('Contact', {
    FirstName: 'Grace',
    LastName: 'Hopper',
    Name: 'Grace Hopper',
    AccountId: obrien.Id
  });
  const orphan = insert('Contact', { LastName: 'Orphan', Name: 'Orphan' });
  // A reference to an account that does not exist (deleted parent): reads as a missing parent.
  const dangling = insert('Contact', {
    LastName: 'Dangling',
    Name: 'Dangling',
    AccountId: '001Em0000000zzzzzzAAA'.slice(0, 15)
  });
  const p1 = insert('Parent__c', { Name: 'P-1', Code__c: 'c1', OwnerId: ada.Id });
  const p2 = insert('Parent__c', { Name: 'P-2', Code__c: 'c2', OwnerId: queue.Id });
  insert('Child__c', { Name: 'K-1', Amount__c: 10, Due__c: '2026-08-31', Parent__c: p1.Id });
  insert('Child__c', { Name: 'K-2', Amount__c: 20, Due__c: '2026-08-30', Parent__c: p2.Id });
  insert('Child__c', { Name: 'K-3', Due__c: '2026-12-05' });

  // The rows as a client reads them: JSON, doubles written as the API writes them.
  const rest = (soql: string): Array<Record<string, unknown>> =>
    JSON.parse(stringifyJavaJson([...engine.prepare(soql).run()])) as Array<
      Record<string, unknown>
    >;
  const flat = (soql: string): Array<Record<string, unknown>> => [
    ...engine.prepare(soql).runFlat()
  ];
  const names = (soql: string): unknown[] => rest(soql).map((row) => row.Name);
  return {
    schema,
    store,
    clock,
    engine,
    rest,
    flat,
    names,
    records: { ada, bob, queue, acme, obrien, globex, initech, lovelace, hopper, orphan, dangling }
  };
}

let org: ReturnType<typeof setup>;
beforeEach(() => {
  org = setup();
});

function sorted(values: unknown[]): unknown[] {
  return [...values].sort();
}

describe('WHERE operators', () => {
  it('= and != / <> on strings are case-insensitive', () => {
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Name = 'ACME'"), ['Acme']);
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE name = 'o\\'brien ltd'"), [
      "O'Brien Ltd"
    ]);
    assert.deepEqual(
      sorted(org.names("SELECT Name FROM Account WHERE Name != 'acme'")),
      sorted(["O'Brien Ltd", 'globex', 'Initech_%'])
    );
    assert.deepEqual(
      sorted(org.names("SELECT Name FROM Account WHERE Name <> 'acme'")),
      sorted(["O'Brien Ltd", 'globex', 'Initech_%'])
    );
  });

  it('<, >, <=, >= on numbers, and never match a null', () => {
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE AnnualRevenue > 5000'), ['Acme']);
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE AnnualRevenue >= 5000'), [
      'Acme',
      "O'Brien Ltd"
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE AnnualRevenue < 1000000'), [
      "O'Brien Ltd"
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE AnnualRevenue <= 1000000.0'), [
      'Acme',
      "O'Brien Ltd"
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE Rating__c > -1.5'), ['Acme']);
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE NumberOfEmployees < 50'), [
      "O'Brien Ltd"
    ]);
  });

  it('< and > on strings compare case-insensitively', () => {
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Name < 'B'"), ['Acme']);
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Name >= 'h' AND Name < 'J'"), [
      'Initech_%'
    ]);
  });

  it('IN and NOT IN (NOT IN leaves out nulls)', () => {
    assert.deepEqual(
      org.names("SELECT Name FROM Account WHERE Industry IN ('banking', 'Energy')"),
      ["O'Brien Ltd"]
    );
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Industry NOT IN ('Technology')"), [
      "O'Brien Ltd"
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE NumberOfEmployees IN (5, 500)'), [
      "O'Brien Ltd",
      'Initech_%'
    ]);
    assert.deepEqual(org.names(`SELECT Name FROM Account WHERE Id IN ('${org.records.acme.Id}')`), [
      'Acme'
    ]);
  });

  it('ids match in their 15- and 18-character forms', () => {
    const id18 = org.records.acme.Id;
    assert.deepEqual(org.names(`SELECT Name FROM Account WHERE Id = '${id18.slice(0, 15)}'`), [
      'Acme'
    ]);
    assert.deepEqual(org.names(`SELECT Name FROM Contact WHERE AccountId = '${id18}'`), [
      'Ada Lovelace'
    ]);
  });

  it('LIKE with % and _ wildcards, case-insensitive, whole value, escapes', () => {
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Name LIKE 'ac%'"), ['Acme']);
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Name LIKE '%EX'"), ['globex']);
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Name LIKE 'Acm_'"), ['Acme']);
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Name LIKE 'Ac'"), []);
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Name LIKE '%\\_\\%'"), [
      'Initech_%'
    ]);
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Name LIKE '%o\\'b%'"), [
      "O'Brien Ltd"
    ]);
    assert.deepEqual(
      sorted(org.names("SELECT Name FROM Account WHERE NOT Name LIKE 'a%'")),
      sorted(["O'Brien Ltd", 'globex', 'Initech_%'])
    );
  });

  it('INCLUDES and EXCLUDES on a multi-select picklist', () => {
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Region__c INCLUDES ('apac')"), [
      'Acme',
      'globex'
    ]);
    assert.deepEqual(
      org.names("SELECT Name FROM Account WHERE Region__c INCLUDES ('EMEA;APAC', 'AMER')"),
      ['Acme', "O'Brien Ltd"]
    );
    assert.deepEqual(
      org.names("SELECT Name FROM Account WHERE Region__c EXCLUDES ('APAC') AND Name != 'x'"),
      ["O'Brien Ltd", 'Initech_%']
    );
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Region__c = 'APAC;EMEA'"), ['Acme']);
  });

  it('semi-join: Id IN (SELECT AccountId FROM Contact)', () => {
    assert.deepEqual(
      org.names('SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact)'),
      ['Acme', "O'Brien Ltd"]
    );
    assert.deepEqual(
      org.names(
        "SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact WHERE LastName = 'Hopper')"
      ),
      ['Acme', 'globex', 'Initech_%']
    );
  });
});

describe('null semantics', () => {
  it('= null and != null', () => {
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE Industry = null'), ['globex']);
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE Industry != NULL'), [
      'Acme',
      "O'Brien Ltd",
      'Initech_%'
    ]);
  });

  it('!= matches records whose value is null, as SOQL does', () => {
    assert.deepEqual(org.names("SELECT Name FROM Account WHERE Industry != 'Banking'"), [
      'Acme',
      'globex',
      'Initech_%'
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE AnnualRevenue != 5000'), [
      'Acme',
      'globex',
      'Initech_%'
    ]);
  });

  it('a boolean is never null: = null means false', () => {
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE Active__c = null'), [
      "O'Brien Ltd",
      'globex',
      'Initech_%'
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE Active__c != null'), ['Acme']);
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE Active__c = TRUE'), ['Acme']);
    assert.deepEqual(org.names('SELECT Name FROM Account WHERE Active__c = false'), [
      "O'Brien Ltd",
      'globex',
      'Initech_%'
    ]);
  });

  it('a field through a missing parent reads as null', () => {
    assert.deepEqual(org.names('SELECT Name FROM Contact WHERE Account.Name = null'), [
      'Orphan',
      'Dangling'
    ]);
    assert.deepEqual(org.names("SELECT Name FROM Contact WHERE Account.Name LIKE 'A%'"), [
      'Ada Lovelace'
    ]);
    assert.deepEqual(org.names("SELECT Name FROM Contact WHERE AccountId = ''"), ['Orphan']);
  });
});

describe('AND / OR / NOT precedence', () => {
  it('parentheses group, NOT binds to the condition after it', () => {
    assert.deepEqual(
      org.names(
        "SELECT Name FROM Account WHERE (Industry = 'Technology' OR Industry = 'Banking') AND NumberOfEmployees < 100"
      ),
      ['Acme', "O'Brien Ltd"]
    );
    assert.deepEqual(
      org.names(
        "SELECT Name FROM Account WHERE Industry = 'Technology' OR (Industry = 'Banking' AND NumberOfEmployees > 100)"
      ),
      ['Acme', 'Initech_%']
    );
    assert.deepEqual(
      org.names("SELECT Name FROM Account WHERE NOT Industry = 'Technology' AND Name != 'globex'"),
      ["O'Brien Ltd"]
    );
    assert.deepEqual(
      org.names(
        "SELECT Name FROM Account WHERE NOT (Industry = 'Technology' OR Industry = 'Banking')"
      ),
      ['globex']
    );
    assert.deepEqual(
      org.names(
        "SELECT Name FROM Account WHERE Name = 'Acme' OR Name = 'globex' OR Name = 'nobody'"
      ),
      ['Acme', 'globex']
    );
  });

  it('mixing AND and OR without parentheses is rejected at the second operator', () => {
    assert.throws(
      () =>
        org.engine.prepare("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'"),
      (error: Error & { errorCode?: string }) => {
        assert.equal(error.errorCode, 'MALFORMED_QUERY');
        assert.match(error.message, /ERROR at Row:1:Column:56\nunexpected token: 'OR'$/);
        return true;
      }
    );
  });
});

describe('dates, datetimes and date literals (clock: Sunday 2026-11-29 12:00 UTC)', () => {
  it('date literals against a date field', () => {
    const q = (where: string): unknown[] => org.names(`SELECT Name FROM Account WHERE ${where}`);
    assert.deepEqual(q('Since__c = TODAY'), ['Acme']);
    assert.deepEqual(q('Since__c = YESTERDAY'), ["O'Brien Ltd"]);
    assert.deepEqual(q('Since__c < TODAY'), ["O'Brien Ltd", 'globex']);
    assert.deepEqual(q('Since__c >= YESTERDAY'), ['Acme', "O'Brien Ltd"]);
    assert.deepEqual(q('Since__c = LAST_N_DAYS:1'), ['Acme', "O'Brien Ltd"]);
    assert.deepEqual(q('Since__c = THIS_MONTH'), ['Acme', "O'Brien Ltd"]);
    assert.deepEqual(q('Since__c = LAST_MONTH'), ['globex']);
    assert.deepEqual(q('Since__c = THIS_WEEK'), ['Acme']);
    assert.deepEqual(q('Since__c = LAST_WEEK'), ["O'Brien Ltd"]);
    assert.deepEqual(q('Since__c = THIS_YEAR'), ['Acme', "O'Brien Ltd", 'globex']);
    assert.deepEqual(q('Since__c = N_DAYS_AGO:45'), ['globex']);
    assert.deepEqual(q('Since__c != TODAY'), ["O'Brien Ltd", 'globex', 'Initech_%']);
    assert.deepEqual(q('Since__c = 2026-11-29'), ['Acme']);
    assert.deepEqual(q('Since__c IN (TODAY, YESTERDAY)'), ['Acme', "O'Brien Ltd"]);
  });

  it('a date literal against a datetime field covers whole UTC days', () => {
    const q = (where: string): unknown[] => org.names(`SELECT Name FROM Account WHERE ${where}`);
    assert.deepEqual(q('CreatedDate = TODAY'), ['Acme']);
    assert.deepEqual(q('CreatedDate = YESTERDAY'), ["O'Brien Ltd"]);
    assert.deepEqual(q('CreatedDate > TODAY'), ['Initech_%']);
    assert.deepEqual(q('CreatedDate = TOMORROW'), ['Initech_%']);
    assert.deepEqual(q('CreatedDate = NEXT_N_DAYS:1'), ['Initech_%']);
    assert.deepEqual(q('CreatedDate < YESTERDAY'), ['globex']);
    assert.deepEqual(q('CreatedDate <= YESTERDAY'), ["O'Brien Ltd", 'globex']);
    assert.deepEqual(q('CreatedDate = LAST_90_DAYS'), ['Acme', "O'Brien Ltd"]);
  });

  it('LAST_90_DAYS includes today and the 90 days before it', () => {
    assert.deepEqual(org.names('SELECT Name FROM Child__c WHERE Due__c = LAST_90_DAYS'), ['K-1']);
    assert.deepEqual(org.names('SELECT Name FROM Child__c WHERE Due__c = NEXT_N_DAYS:6'), ['K-3']);
    assert.deepEqual(org.names('SELECT Name FROM Child__c WHERE Due__c = NEXT_N_DAYS:5'), []);
  });

  it('datetime literals with Z and with an offset', () => {
    const q = (where: string): unknown[] => org.names(`SELECT Name FROM Account WHERE ${where}`);
    assert.deepEqual(q('CreatedDate > 2026-11-29T00:00:00Z'), ['Acme', 'Initech_%']);
    assert.deepEqual(q('CreatedDate >= 2026-11-29T04:00:00+01:00'), ['Acme', 'Initech_%']);
    assert.deepEqual(q('CreatedDate > 2026-11-29T04:00:00+01:00'), ['Initech_%']);
    assert.deepEqual(q('CreatedDate = 2026-11-28T23:59:59.000Z'), ["O'Brien Ltd"]);
    // 15:59:59 in UTC-8 is O'Brien's 23:59:59 UTC: not strictly before it.
    assert.deepEqual(q('CreatedDate < 2026-11-28T15:59:59-08:00'), ['globex']);
    assert.deepEqual(q('CreatedDate <= 2026-11-28T15:59:59-0800'), ["O'Brien Ltd", 'globex']);
  });

  it('a prepared query reads the clock when it runs', () => {
    const query = org.engine.prepare('SELECT Name FROM Account WHERE Since__c = YESTERDAY');
    assert.deepEqual(
      [...query.run()].map((row) => row.Name),
      ["O'Brien Ltd"]
    );
    org.clock.advance(24 * 3600 * 1000);
    assert.deepEqual(
      [...query.run()].map((row) => row.Name),
      ['Acme']
    );
  });
});

describe('ORDER BY, LIMIT, OFFSET', () => {
  it('sorts strings case-insensitively, ASC by default, DESC on request', () => {
    assert.deepEqual(org.names('SELECT Name FROM Account ORDER BY Name'), [
      'Acme',
      'globex',
      'Initech_%',
      "O'Brien Ltd"
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account ORDER BY Name DESC'), [
      "O'Brien Ltd",
      'Initech_%',
      'globex',
      'Acme'
    ]);
  });

  it('nulls first by default, NULLS LAST on request, in both directions', () => {
    assert.deepEqual(org.names('SELECT Name FROM Account ORDER BY AnnualRevenue'), [
      'globex',
      'Initech_%',
      "O'Brien Ltd",
      'Acme'
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account ORDER BY AnnualRevenue DESC'), [
      'globex',
      'Initech_%',
      'Acme',
      "O'Brien Ltd"
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account ORDER BY AnnualRevenue ASC NULLS LAST'), [
      "O'Brien Ltd",
      'Acme',
      'globex',
      'Initech_%'
    ]);
    assert.deepEqual(
      org.names('SELECT Name FROM Account ORDER BY AnnualRevenue DESC NULLS FIRST, Name DESC'),
      ['Initech_%', 'globex', 'Acme', "O'Brien Ltd"]
    );
  });

  it('several fields, dates, and parent fields', () => {
    assert.deepEqual(
      org.names('SELECT Name FROM Account ORDER BY Industry DESC NULLS LAST, Name'),
      ['Acme', 'Initech_%', "O'Brien Ltd", 'globex']
    );
    assert.deepEqual(org.names('SELECT Name FROM Account ORDER BY CreatedDate DESC'), [
      'Initech_%',
      'Acme',
      "O'Brien Ltd",
      'globex'
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Contact ORDER BY Account.Name DESC NULLS LAST'), [
      'Grace Hopper',
      'Ada Lovelace',
      'Orphan',
      'Dangling'
    ]);
  });

  it('LIMIT and OFFSET, with and without ORDER BY', () => {
    assert.deepEqual(org.names('SELECT Name FROM Account LIMIT 2'), ['Acme', "O'Brien Ltd"]);
    assert.deepEqual(org.names('SELECT Name FROM Account LIMIT 2 OFFSET 1'), [
      "O'Brien Ltd",
      'globex'
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1'), [
      'globex',
      'Initech_%'
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account ORDER BY Name OFFSET 3'), ["O'Brien Ltd"]);
    assert.deepEqual(org.names('SELECT Name FROM Account LIMIT 0'), []);
    const query = org.engine.prepare('SELECT Name FROM Account ORDER BY Name LIMIT 3 OFFSET 2');
    assert.equal(query.hasOrderBy, true);
    assert.equal(query.hasLimit, true);
    assert.equal(query.limit, 3);
    assert.equal(query.offset, 2);
    assert.equal(query.count(), 2);
  });

  it('OFFSET above 2,000 is NUMBER_OUTSIDE_VALID_RANGE', () => {
    assert.doesNotThrow(() => org.engine.prepare('SELECT Id FROM Account OFFSET 2000'));
    assert.throws(
      () => org.engine.prepare('SELECT Id FROM Account OFFSET 2001'),
      (error: Error & { errorCode?: string; httpStatus?: number }) => {
        assert.equal(error.httpStatus, 400);
        assert.equal(error.errorCode, 'NUMBER_OUTSIDE_VALID_RANGE');
        assert.equal(error.message, 'Maximum SOQL offset allowed is 2000');
        return true;
      }
    );
  });
});

describe('result shapes', () => {
  it('REST rows: attributes with the version url, canonical names, nested parents', () => {
    const { acme, ada, lovelace } = org.records;
    const query = org.engine.prepare(
      "select name, account.NAME, Account.owner.name, ACCOUNTID from contact where lastname = 'Lovelace'"
    );
    assert.deepEqual(query.columns, ['Name', 'Account.Name', 'Account.Owner.Name', 'AccountId']);
    assert.equal(query.objectName, 'Contact');
    const [row] = [...(query as SoqlPreparedQuery).run({ apiVersion: '62.0' })];
    assert.deepEqual(row, {
      attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${lovelace.Id}` },
      Name: 'Ada Lovelace',
      Account: {
        attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${acme.Id}` },
        Name: 'Acme',
        Owner: {
          attributes: { type: 'User', url: `/services/data/v62.0/sobjects/User/${ada.Id}` },
          Name: 'Ada Admin'
        }
      },
      AccountId: acme.Id
    });
    assert.equal(
      JSON.stringify(Object.keys(row ?? {})),
      '["attributes","Name","Account","AccountId"]'
    );
  });

  it('REST rows default to v65.0 urls; a missing or dangling parent is null', () => {
    const rows = org.rest(
      "SELECT Name, Account.Name FROM Contact WHERE LastName IN ('Orphan', 'Dangling')"
    );
    assert.deepEqual(
      rows.map((row) => [row.Name, row.Account]),
      [
        ['Orphan', null],
        ['Dangling', null]
      ]
    );
    assert.match(
      String((rows[0]?.attributes as Record<string, unknown>).url),
      /^\/services\/data\/v65\.0\/sobjects\/Contact\/003/
    );
  });

  it('several fields of one parent nest once, where the relationship first appears', () => {
    const [row] = org.rest(
      "SELECT Account.Name, Id, Account.Industry FROM Contact WHERE LastName = 'Hopper'"
    );
    assert.deepEqual(Object.keys(row ?? {}), ['attributes', 'Account', 'Id']);
    const account = row?.Account as Record<string, unknown>;
    assert.deepEqual(Object.keys(account), ['attributes', 'Name', 'Industry']);
    assert.equal(account.Industry, 'Banking');
  });

  it('custom relationships (__r) and a polymorphic owner typed by the actual parent', () => {
    const rows = org.rest(
      'SELECT Name, Parent__r.Name, Parent__r.Owner.Name FROM Child__c ORDER BY Name'
    );
    const parent = (i: number) => rows[i]?.Parent__r as Record<string, unknown> | null;
    assert.equal(parent(0)?.Name, 'P-1');
    const owner1 = parent(0)?.Owner as Record<string, unknown>;
    assert.equal((owner1.attributes as Record<string, unknown>).type, 'User');
    assert.equal(owner1.Name, 'Ada Admin');
    const owner2 = parent(1)?.Owner as Record<string, unknown>;
    assert.equal((owner2.attributes as Record<string, unknown>).type, 'Group');
    assert.equal(owner2.Name, 'Support Queue');
    assert.equal(rows[2]?.Parent__r, null);
  });

  it('flat rows for Bulk: dotted keys, null when a parent is missing', () => {
    assert.deepEqual(
      org.flat('SELECT Name, Account.Name, Account.Owner.Name FROM Contact ORDER BY Name'),
      [
        { Name: 'Ada Lovelace', 'Account.Name': 'Acme', 'Account.Owner.Name': 'Ada Admin' },
        { Name: 'Dangling', 'Account.Name': null, 'Account.Owner.Name': null },
        {
          Name: 'Grace Hopper',
          'Account.Name': "O'Brien Ltd",
          'Account.Owner.Name': 'Bob Builder'
        },
        { Name: 'Orphan', 'Account.Name': null, 'Account.Owner.Name': null }
      ]
    );
  });

  it('the queried object (or its alias) may prefix a path', () => {
    assert.deepEqual(
      org.flat("SELECT c.Name, Contact.LastName FROM Contact c WHERE c.LastName = 'Hopper'"),
      [{ Name: 'Grace Hopper', LastName: 'Hopper' }]
    );
  });

  it('compound address and geolocation fields are objects (null when empty)', () => {
    const rows = org.rest(
      "SELECT BillingAddress, HQ__c FROM Account WHERE Name IN ('Acme', 'globex')"
    );
    assert.deepEqual(rows[0]?.BillingAddress, {
      city: 'Paris',
      country: 'France',
      geocodeAccuracy: null,
      latitude: null,
      longitude: null,
      postalCode: null,
      state: null,
      street: null
    });
    assert.deepEqual(rows[0]?.HQ__c, { latitude: 48.85, longitude: 2.35 });
    assert.equal(rows[1]?.BillingAddress, null);
    assert.equal(rows[1]?.HQ__c, null);
  });

  it('FIELDS(STANDARD) selects the standard fields; FIELDS(ALL) needs LIMIT 200', () => {
    const query = org.engine.prepare(
      "SELECT FIELDS(STANDARD) FROM Contact WHERE LastName = 'Hopper'"
    );
    assert.ok(query.columns.includes('LastName'));
    assert.ok(query.columns.includes('AccountId'));
    assert.ok([...query.run()][0]?.LastName === 'Hopper');
    assert.ok(
      org.engine.prepare('SELECT FIELDS(ALL) FROM Account LIMIT 200').columns.includes('Rating__c')
    );
    assert.throws(() => org.engine.prepare('SELECT FIELDS(ALL) FROM Account'), {
      errorCode: 'MALFORMED_QUERY',
      message:
        '\nSELECT FIELDS(ALL) FROM Account\n       ^\nERROR at Row:1:Column:8\nThe SOQL FIELDS function must have a LIMIT of at most 200'
    });
  });

  it('WITH SECURITY_ENFORCED / USER_MODE and FOR VIEW are accepted', () => {
    assert.deepEqual(
      org.names("SELECT Name FROM Account WHERE Name = 'Acme' WITH SECURITY_ENFORCED"),
      ['Acme']
    );
    assert.deepEqual(org.names('SELECT Name FROM Account WITH USER_MODE ORDER BY Name LIMIT 1'), [
      'Acme'
    ]);
    assert.deepEqual(org.names('SELECT Name FROM Account LIMIT 1 FOR VIEW'), ['Acme']);
  });

  it('queryAll includes deleted records, query does not', () => {
    org.store.deleteForTest('Account', org.records.globex.Id);
    const query = org.engine.prepare("SELECT Name, IsDeleted FROM Account WHERE Name LIKE 'g%'");
    assert.deepEqual([...query.run()], []);
    assert.deepEqual(
      [...query.runFlat({ includeDeleted: true })],
      [{ Name: 'globex', IsDeleted: true }]
    );
    assert.equal(query.count({ includeDeleted: true }), 1);
  });
});

describe('COUNT() and aggregates', () => {
  it('COUNT() counts without rows; LIMIT caps the count', () => {
    const query = org.engine.prepare("SELECT COUNT() FROM Account WHERE Industry = 'Technology'");
    assert.equal(query.isAggregate, true);
    assert.deepEqual(query.columns, []);
    assert.equal(query.count(), 2);
    assert.deepEqual([...query.run()], []);
    assert.equal(org.engine.prepare('SELECT COUNT() FROM Account').count(), 4);
    assert.equal(org.engine.prepare('select count() from Account limit 3').count(), 3);
  });

  it('count() of an ordinary query is the number of rows it returns', () => {
    assert.equal(org.engine.prepare("SELECT Id FROM Account WHERE Name != 'Acme'").count(), 3);
    assert.equal(org.engine.prepare('SELECT Id FROM Account LIMIT 10 OFFSET 1').count(), 3);
  });

  it('COUNT(field), SUM, AVG, MIN, MAX give one AggregateResult row', () => {
    const query = org.engine.prepare(
      'SELECT COUNT(Id), COUNT(Industry) n, SUM(AnnualRevenue), AVG(NumberOfEmployees), MIN(Since__c), MAX(Name) FROM Account'
    );
    assert.equal(query.isAggregate, true);
    assert.deepEqual(query.columns, ['expr0', 'n', 'expr1', 'expr2', 'expr3', 'expr4']);
    assert.deepEqual(
      // As a client reads them: the sum and the average are written as doubles.
      JSON.parse(stringifyJavaJson([...query.run()])),
      [
        {
          attributes: { type: 'AggregateResult' },
          expr0: 4,
          n: 3,
          expr1: 1_005_000,
          expr2: 185,
          expr3: '2026-10-15',
          expr4: "O'Brien Ltd"
        }
      ]
    );
    assert.equal(query.count(), 1);
  });

  it('an aggregate beside a plain field needs GROUP BY', () => {
    assert.throws(() => org.engine.prepare('SELECT Name, COUNT(Id) FROM Account'), {
      errorCode: 'MALFORMED_QUERY',
      message:
        '\nSELECT Name, COUNT(Id) FROM Account\n       ^\nERROR at Row:1:Column:8\nField must be grouped or aggregated: Name'
    });
  });
});
