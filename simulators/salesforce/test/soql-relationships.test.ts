/**
 * The SOQL engine's record shapes beyond plain fields, over a fake org: parent-to-child
 * sub-queries (nested query results, null without children, per-parent WHERE, ORDER BY and
 * LIMIT, nested sub-queries), TYPEOF on a polymorphic owner, toLabel() and FORMAT() (en_US),
 * date functions in WHERE, and what Bulk API 2.0 accepts or refuses of them.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { SalesforceApiError, SfRecord } from '../src/model.ts';
import { BULK_AGGREGATE_MESSAGE, BULK_TYPEOF_MESSAGE } from '../src/soql/bulk-restrictions.ts';
import { bulkQueryRestriction, createSoqlEngine } from '../src/soql/index.ts';
import { fakeSchema, fakeStore, fixedClock, prepareFailure, TEST_USER } from './soql-fake-org.ts';

type Row = Record<string, unknown>;

function setup() {
  const schema = fakeSchema();
  const store = fakeStore(schema);
  const engine = createSoqlEngine(schema, store, fixedClock('2026-11-29T12:00:00Z'));
  const insert = (object: string, fields: Record<string, unknown>): SfRecord =>
    store.insert(object, fields, TEST_USER);
  const ada = insert('User', { Name: 'Ada Admin' });
  const queue = insert('Group', { Name: 'Support Queue', Type: 'Queue' });
  const acme = insert('Account', {
    Name: 'Acme',
    Tier__c: 'G',
    Region__c: 'EMEA;APAC',
    AnnualRevenue: 1_250_000.5,
    NumberOfEmployees: 1250,
    Rating__c: 4.5,
    Since__c: '2026-02-03',
    CreatedDate: '2026-11-29T15:31:00.000+0000',
    OwnerId: ada.Id
  });
  const globex = insert('Account', {
    Name: 'Globex',
    Tier__c: 'X',
    ParentId: acme.Id,
    CreatedDate: '2026-11-28T23:59:59.000+0000'
  });
  insert('Account', { Name: 'Initech', CreatedDate: '2025-03-05T01:00:00.000+0000' });
  insert('Contact', { LastName: 'Lovelace', AccountId: acme.Id });
  insert('Contact', { LastName: 'Hopper', AccountId: acme.Id });
  // Stored in its 15-character form: still a child of Globex.
  insert('Contact', { LastName: 'Babbage', AccountId: globex.Id.slice(0, 15) });
  const p1 = insert('Parent__c', { Name: 'P-1', OwnerId: ada.Id });
  const p2 = insert('Parent__c', { Name: 'P-2', OwnerId: queue.Id });
  insert('Parent__c', { Name: 'P-3' });
  insert('Child__c', { Name: 'K-1', Amount__c: 10, Parent__c: p1.Id });
  insert('Child__c', { Name: 'K-2', Amount__c: 20, Parent__c: p1.Id });
  insert('Child__c', { Name: 'K-3', Amount__c: 30, Parent__c: p2.Id });
  const rest = (soql: string): Row[] => [...engine.prepare(soql).run()];
  return { schema, engine, rest, records: { ada, queue, acme, globex } };
}

let org: ReturnType<typeof setup>;
beforeEach(() => {
  org = setup();
});

function failure(soql: string): SalesforceApiError {
  return prepareFailure(org.engine, soql);
}

const lastNames = (result: unknown): unknown[] =>
  (result as { records: Row[] }).records.map((record) => record.LastName);

describe('parent-to-child sub-queries', () => {
  it('nest a query result per parent, null when it has no children', () => {
    const rows = org.rest(
      'SELECT Name, (SELECT Id, LastName FROM Contacts) FROM Account ORDER BY Name'
    );
    assert.deepEqual(
      rows.map((row) => row.Name),
      ['Acme', 'Globex', 'Initech']
    );
    const contacts = rows[0]?.Contacts as { totalSize: number; done: boolean; records: Row[] };
    assert.equal(contacts.totalSize, 2);
    assert.equal(contacts.done, true);
    assert.deepEqual(Object.keys(contacts.records[0] ?? {}), ['attributes', 'Id', 'LastName']);
    assert.deepEqual(contacts.records[0]?.attributes, {
      type: 'Contact',
      url: `/services/data/v65.0/sobjects/Contact/${String(contacts.records[0]?.Id)}`
    });
    assert.deepEqual(lastNames(rows[1]?.Contacts), ['Babbage']);
    assert.equal(rows[2]?.Contacts, null);
  });

  it("apply the sub-query's WHERE, ORDER BY and LIMIT to each parent's children", () => {
    const [acme] = org.rest(
      "SELECT Name, (SELECT LastName FROM Contacts WHERE LastName != 'Babbage' ORDER BY LastName LIMIT 1) FROM Account WHERE Name = 'Acme'"
    );
    assert.deepEqual(lastNames(acme?.Contacts), ['Hopper']);
    const children = org.rest(
      'SELECT Name, (SELECT Name, Amount__c FROM Children__r ORDER BY Amount__c DESC) FROM Parent__c ORDER BY Name'
    );
    assert.deepEqual(
      children.map((row) =>
        row.Children__r === null
          ? null
          : (row.Children__r as { records: Row[] }).records.map((record) => record.Name)
      ),
      [['K-2', 'K-1'], ['K-3'], null]
    );
  });

  it('resolve names case-insensitively, nest parent paths and deeper sub-queries', () => {
    const [acme] = org.rest(
      "SELECT name, (SELECT name, (SELECT lastname FROM contacts) FROM childaccounts), (SELECT Account.Name FROM Contacts LIMIT 1) FROM account WHERE Name = 'Acme'"
    );
    const child = (acme?.ChildAccounts as { records: Row[] }).records[0];
    assert.equal(child?.Name, 'Globex');
    assert.deepEqual(lastNames(child?.Contacts), ['Babbage']);
    const contact = (acme?.Contacts as { records: Row[] }).records[0];
    assert.equal((contact?.Account as Row).Name, 'Acme');
  });

  it('name an unknown relationship as Salesforce does', () => {
    const error = failure('SELECT Id, (SELECT Id FROM Contactz) FROM Account');
    assert.equal(error.errorCode, 'INVALID_TYPE');
    assert.match(
      error.message,
      /Column:28\nDidn't understand relationship 'Contactz' in FROM part of query call\. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name\./
    );
    assert.equal(
      failure('SELECT Id, (SELECT Nope FROM Contacts) FROM Account').errorCode,
      'INVALID_FIELD'
    );
  });
});

describe('TYPEOF', () => {
  it("selects the fields of the branch the parent's type matches", () => {
    const rows = org.rest(
      'SELECT Name, TYPEOF Owner WHEN User THEN Name WHEN Group THEN Name, Type END FROM Parent__c ORDER BY Name'
    );
    assert.deepEqual(rows[0]?.Owner, {
      attributes: {
        type: 'User',
        url: `/services/data/v65.0/sobjects/User/${org.records.ada.Id}`
      },
      Name: 'Ada Admin'
    });
    assert.deepEqual((rows[1]?.Owner as Row).Type, 'Queue');
    assert.equal(rows[2]?.Owner, null);
  });

  it('ELSE covers the other types; a type without a branch comes back without fields', () => {
    const rows = org.rest(
      'SELECT TYPEOF Owner WHEN Group THEN Type ELSE Name END FROM Parent__c ORDER BY Name'
    );
    assert.equal((rows[0]?.Owner as Row).Name, 'Ada Admin');
    assert.equal((rows[1]?.Owner as Row).Type, 'Queue');
    const [first] = org.rest('SELECT TYPEOF Owner WHEN Group THEN Type END FROM Parent__c');
    assert.deepEqual(Object.keys(first?.Owner as Row), ['attributes']);
  });

  it('checks the types and fields of its branches', () => {
    assert.equal(
      failure('SELECT TYPEOF Owner WHEN Nope THEN Name END FROM Parent__c').errorCode,
      'INVALID_TYPE'
    );
    assert.match(
      failure('SELECT TYPEOF Owner WHEN User THEN Nope END FROM Parent__c').message,
      /No such column 'Nope' on entity 'User'/
    );
  });
});

describe('toLabel() and FORMAT()', () => {
  it("toLabel() answers a picklist's labels, under the field's name or an alias", () => {
    const rows = org.rest(
      'SELECT Tier__c, toLabel(Tier__c) tierLabel, toLabel(Region__c) FROM Account ORDER BY Name'
    );
    assert.deepEqual(rows[0], {
      attributes: rows[0]?.attributes,
      Tier__c: 'G',
      tierLabel: 'Gold',
      Region__c: 'EMEA;APAC'
    });
    assert.equal(rows[1]?.tierLabel, 'X', 'a value outside the picklist stays as stored');
    assert.equal(rows[2]?.tierLabel, null);
    assert.deepEqual(
      org.rest("SELECT Name FROM Account WHERE toLabel(Tier__c) = 'Gold'").map((r) => r.Name),
      ['Acme']
    );
  });

  it('the same field twice needs an alias', () => {
    assert.match(
      failure('SELECT Tier__c, toLabel(Tier__c) FROM Account').message,
      /duplicate field selected: Tier__c/
    );
    assert.match(
      failure('SELECT Name n FROM Account').message,
      /only aggregate expressions use field aliasing/
    );
  });

  it("FORMAT() writes numbers, currencies, dates and times in the org's en_US locale", () => {
    const [acme] = org.rest(
      "SELECT FORMAT(AnnualRevenue), FORMAT(NumberOfEmployees) staff, FORMAT(Since__c), FORMAT(CreatedDate) created, FORMAT(Name) FROM Account WHERE Name = 'Acme'"
    );
    assert.deepEqual(acme, {
      attributes: acme?.attributes,
      AnnualRevenue: '$1,250,000.50',
      staff: '1,250',
      Since__c: '2/3/2026',
      created: '11/29/2026, 3:31 PM',
      Name: 'Acme'
    });
    const [globex] = org.rest("SELECT FORMAT(AnnualRevenue) FROM Account WHERE Name = 'Globex'");
    assert.equal(globex?.AnnualRevenue, null);
  });

  it('parent fields keep their place under the relationship', () => {
    const [contact] = org.rest(
      "SELECT LastName, toLabel(Account.Tier__c), FORMAT(Account.NumberOfEmployees) staff FROM Contact WHERE LastName = 'Hopper'"
    );
    assert.equal((contact?.Account as Row).Tier__c, 'Gold');
    assert.equal(contact?.staff, '1,250');
  });
});

describe('date functions in WHERE', () => {
  it('compare a part of a date or dateTime, in UTC', () => {
    const names = (soql: string): unknown[] => org.rest(soql).map((row) => row.Name);
    assert.deepEqual(names('SELECT Name FROM Account WHERE CALENDAR_YEAR(CreatedDate) = 2025'), [
      'Initech'
    ]);
    assert.deepEqual(names('SELECT Name FROM Account WHERE DAY_ONLY(CreatedDate) = 2026-11-29'), [
      'Acme'
    ]);
    assert.deepEqual(
      names(
        'SELECT Name FROM Account WHERE HOUR_IN_DAY(convertTimezone(CreatedDate)) = 15 AND CALENDAR_MONTH(Since__c) IN (2, 3)'
      ),
      ['Acme']
    );
    assert.deepEqual(names('SELECT Name FROM Account WHERE DAY_ONLY(CreatedDate) = TODAY'), [
      'Acme'
    ]);
  });

  it('refuse a field that is not a date, and a date function selected without GROUP BY', () => {
    assert.equal(
      failure('SELECT Id FROM Account WHERE DAY_ONLY(Since__c) = TODAY').errorCode,
      'MALFORMED_QUERY'
    );
    assert.equal(
      failure('SELECT CALENDAR_YEAR(CreatedDate) FROM Account').errorCode,
      'MALFORMED_QUERY'
    );
  });
});

describe('Bulk API 2.0', () => {
  it('refuses sub-queries and TYPEOF, accepts toLabel(), FORMAT() and date functions in WHERE', () => {
    assert.equal(
      bulkQueryRestriction('SELECT Id, (SELECT Id FROM Contacts) FROM Account', org.schema)
        ?.message,
      BULK_AGGREGATE_MESSAGE
    );
    assert.equal(
      bulkQueryRestriction('SELECT TYPEOF Owner WHEN User THEN Name END FROM Parent__c', org.schema)
        ?.message,
      BULK_TYPEOF_MESSAGE
    );
    assert.equal(
      bulkQueryRestriction('SELECT FORMAT(MAX(AnnualRevenue)) FROM Account', org.schema)?.message,
      BULK_AGGREGATE_MESSAGE
    );
    const accepted =
      'SELECT toLabel(Tier__c), FORMAT(CreatedDate) created, Account.Name FROM Contact WHERE CALENDAR_YEAR(CreatedDate) = 2026';
    assert.equal(bulkQueryRestriction(accepted, org.schema), undefined);
    const query = org.engine.prepare(
      "SELECT Name, toLabel(Tier__c) tier, FORMAT(AnnualRevenue) FROM Account WHERE Name = 'Acme'"
    );
    assert.deepEqual(query.columns, ['Name', 'tier', 'AnnualRevenue']);
    assert.deepEqual(
      [...query.runFlat()],
      [{ Name: 'Acme', tier: 'Gold', AnnualRevenue: '$1,250,000.50' }]
    );
  });
});
