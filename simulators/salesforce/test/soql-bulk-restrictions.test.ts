/**
 * What Bulk API 2.0 refuses when a query job is created: aggregates (COUNT() included),
 * GROUP BY, OFFSET, TYPEOF, parent-to-child sub-queries, compound and binary fields. ORDER BY,
 * LIMIT, parent paths and semi-joins are accepted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSchema } from '../../../toolkit/src/salesforce-schema/index.ts';
import { standardObjects } from '../../../toolkit/src/salesforce-schema/standard-objects.ts';
import {
  BULK_AGGREGATE_MESSAGE,
  BULK_BLOB_MESSAGE,
  BULK_COMPOUND_MESSAGE,
  BULK_OFFSET_MESSAGE,
  BULK_TYPEOF_MESSAGE
} from '../src/soql/bulk-restrictions.ts';
import { bulkQueryRestriction } from '../src/soql/index.ts';
import { fakeSchema } from './soql-fake-org.ts';

const schema = fakeSchema();

function rejected(soql: string, message: string): void {
  const error = bulkQueryRestriction(soql, schema);
  assert.ok(error, `expected Bulk API 2.0 to refuse: ${soql}`);
  assert.equal(error.httpStatus, 400);
  assert.equal(error.errorCode, 'API_ERROR');
  assert.equal(error.message, message);
  assert.deepEqual(error.toBody(), [{ message, errorCode: 'API_ERROR' }]);
}

describe('bulkQueryRestriction', () => {
  it('refuses aggregate functions, COUNT() included, and GROUP BY', () => {
    rejected('SELECT COUNT() FROM Account', BULK_AGGREGATE_MESSAGE);
    rejected('select count(Id) from Account', BULK_AGGREGATE_MESSAGE);
    rejected('SELECT MAX(AnnualRevenue) top FROM Account', BULK_AGGREGATE_MESSAGE);
    rejected('SELECT Industry FROM Account GROUP BY Industry', BULK_AGGREGATE_MESSAGE);
    assert.equal(
      BULK_AGGREGATE_MESSAGE,
      'Aggregate Relationships not supported in Bulk V2 Query with CSV content type'
    );
  });

  it('refuses parent-to-child sub-queries', () => {
    rejected('SELECT Id, (SELECT Id FROM Contacts) FROM Account', BULK_AGGREGATE_MESSAGE);
  });

  it('refuses OFFSET and TYPEOF', () => {
    rejected('SELECT Id FROM Account ORDER BY Id LIMIT 10 OFFSET 5', BULK_OFFSET_MESSAGE);
    rejected('SELECT Id, TYPEOF Owner WHEN User THEN Name END FROM Parent__c', BULK_TYPEOF_MESSAGE);
  });

  it('refuses compound address and geolocation fields, directly, via a parent or FIELDS()', () => {
    rejected('SELECT Id, BillingAddress FROM Account', BULK_COMPOUND_MESSAGE);
    rejected('SELECT Id, HQ__c FROM Account', BULK_COMPOUND_MESSAGE);
    rejected('SELECT Name, Account.BillingAddress FROM Contact', BULK_COMPOUND_MESSAGE);
    rejected('SELECT FIELDS(STANDARD) FROM Account', BULK_COMPOUND_MESSAGE);
    assert.equal(BULK_COMPOUND_MESSAGE, 'Selecting compound data not supported in Bulk Query');
  });

  it('refuses binary (base64) fields', () => {
    rejected('SELECT Id, Logo__c FROM Account', BULK_BLOB_MESSAGE);
  });

  it('accepts ORDER BY, LIMIT, parent paths, semi-joins and WITH', () => {
    for (const soql of [
      'SELECT Id, Name FROM Account',
      'SELECT Id, Name FROM Account ORDER BY Name LIMIT 100',
      'SELECT Name, Account.Name, Account.Owner.Name FROM Contact WHERE CreatedDate = LAST_N_DAYS:30',
      'SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) WITH SECURITY_ENFORCED',
      "SELECT Id FROM Account WHERE Name = 'COUNT() OFFSET GROUP BY'",
      'SELECT BillingCity, BillingStreet, HQ__Latitude__s FROM Account'
    ]) {
      assert.equal(bulkQueryRestriction(soql, schema), undefined, soql);
    }
  });

  it("leaves errors that are not Bulk's own to prepare() (syntax, unknown names)", () => {
    assert.equal(bulkQueryRestriction('SELECT Id FORM Account', schema), undefined);
    assert.equal(
      bulkQueryRestriction("SELECT Id FROM Account WHERE Name = 'open", schema),
      undefined
    );
    assert.equal(bulkQueryRestriction('SELECT Nope FROM Account', schema), undefined);
    assert.equal(bulkQueryRestriction('SELECT Id FROM Nope__c', schema), undefined);
  });

  it('knows an address as compound even when the schema describes only its parts', () => {
    // The standard catalogue describes BillingStreet, BillingCity... but no BillingAddress.
    const catalogue = createSchema(standardObjects());
    const error = bulkQueryRestriction('SELECT Id, BillingAddress FROM Account', catalogue);
    assert.equal(error?.message, BULK_COMPOUND_MESSAGE);
    assert.equal(bulkQueryRestriction('SELECT Id, BillingCity FROM Account', catalogue), undefined);
  });
});
