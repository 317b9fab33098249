// What the export knows of the schema from the project's metadata, before any API call:
// compound fields (standard addresses, custom geolocation, also through a parent) and which
// parents the incremental window can follow (not polymorphic ones).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { prepareExport } from '../../src/finance/prepare.ts';
import { projectSchemaChecks } from '../../src/finance/schema-checks.ts';
import { composeChunkQuery, parseExportQuery } from '../../src/finance/export-query.ts';
import { MAPPING_FILE } from './harness.ts';

describe('compound fields from the project metadata', () => {
  test('addresses on the object and through a parent; plain fields are not compound', async () => {
    const { compoundFields: compound } = await projectSchemaChecks();
    assert.equal(compound('Account', ['BillingAddress']), true);
    assert.equal(compound('Billing_Account__c', ['Account__r', 'ShippingAddress']), true);
    assert.equal(compound('Billing_Account__c', ['Account__r', 'BillingCity']), false);
    assert.equal(compound('Billing_Account__c', ['Name']), false);
    assert.equal(compound('No_Such_Object__c', ['Site__c']), false);
  });

  test('the export query refuses them with the components to select instead', async () => {
    const { compoundFields } = await projectSchemaChecks();
    assert.throws(
      () =>
        parseExportQuery(
          'SELECT Id, SystemModstamp, Account__r.ShippingAddress FROM Billing_Account__c',
          { compoundFields }
        ),
      /ShippingAddress/
    );
  });

  test('the window follows single parents, not polymorphic ones (Owner: User or Group)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'finance-mapping-'));
    const file = path.join(dir, 'mapping.json');
    const shipped = JSON.parse(await readFile(MAPPING_FILE, 'utf8')) as {
      soql: string;
      columns: Record<string, unknown>;
    };
    await writeFile(
      file,
      JSON.stringify({
        ...shipped,
        soql: shipped.soql.replace(' FROM ', ', Owner.Name FROM '),
        columns: { ...shipped.columns, 'Owner.Name': { column: 'owner_name', type: 'text' } }
      })
    );
    const { query } = await prepareExport(file);
    assert.deepEqual(query.windowParents, ['Account__r']);
    const composed = composeChunkQuery(query, { since: new Date(0), until: new Date(1000) });
    assert.match(composed, /Account__r\.SystemModstamp/);
    assert.doesNotMatch(composed, /Owner\.SystemModstamp/);
  });
});
