// Compound fields known from the project's metadata, before any API call: the standard
// addresses of the catalogue and any custom geolocation field, also through a parent.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { projectCompoundFields } from '../../src/finance/compound-fields.ts';
import { parseExportQuery } from '../../src/finance/export-query.ts';

describe('compound fields from the project metadata', () => {
  test('addresses on the object and through a parent; plain fields are not compound', async () => {
    const compound = await projectCompoundFields();
    assert.equal(compound('Account', ['BillingAddress']), true);
    assert.equal(compound('Billing_Account__c', ['Account__r', 'ShippingAddress']), true);
    assert.equal(compound('Billing_Account__c', ['Account__r', 'BillingCity']), false);
    assert.equal(compound('Billing_Account__c', ['Name']), false);
    assert.equal(compound('No_Such_Object__c', ['Site__c']), false);
  });

  test('the export query refuses them with the components to select instead', async () => {
    const compoundFields = await projectCompoundFields();
    assert.throws(
      () =>
        parseExportQuery(
          'SELECT Id, SystemModstamp, Account__r.ShippingAddress FROM Billing_Account__c',
          { compoundFields }
        ),
      /ShippingAddress/
    );
  });
});
