import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  countryCode,
  headerUpdate,
  id18,
  INDUSTRY_KEYS,
  isSearchTermOf,
  MAPPED_FIELDS,
  MappingError,
  searchTermFor,
  splitName,
  toBusinessPartner
} from '../../src/account-sync/mapping.ts';
import { projectRoot } from '../../../toolkit/src/project.ts';

const ID = '001000000000001AAA';

describe('account -> business partner mapping', () => {
  it('maps a complete account', () => {
    const bp = toBusinessPartner({
      Id: ID,
      Name: 'Acme GmbH',
      BillingStreet: 'Hauptstraße 1',
      BillingCity: 'Berlin',
      BillingState: 'BE',
      BillingPostalCode: '10115',
      BillingCountry: 'Germany',
      Phone: '+49 30 123456',
      Website: 'https://acme.example',
      VAT_Number__c: 'DE123456789'
    });
    assert.deepEqual(bp, {
      BusinessPartnerCategory: '2',
      OrganizationBPName1: 'Acme GmbH',
      SearchTerm1: ID,
      to_BusinessPartnerAddress: {
        results: [
          {
            Country: 'DE',
            CityName: 'Berlin',
            StreetName: 'Hauptstraße 1',
            PostalCode: '10115',
            Region: 'BE',
            to_PhoneNumber: { results: [{ PhoneNumber: '+49 30 123456' }] },
            to_URLAddress: { results: [{ WebsiteURL: 'https://acme.example' }] }
          }
        ]
      },
      to_BusinessPartnerRole: { results: [{ BusinessPartnerRole: 'FLCU01' }] },
      to_BusinessPartnerTax: { results: [{ BPTaxType: 'DE0', BPTaxNumber: 'DE123456789' }] }
    });
  });

  it('maps the Industry picklist to SAP industry keys; an unknown value is left out', () => {
    const account = { Id: ID, Name: 'Acme', BillingCountry: 'DE' };
    assert.equal(toBusinessPartner({ ...account, Industry: 'Technology' }).Industry, 'TECH');
    assert.equal(toBusinessPartner({ ...account, Industry: 'Food & Beverage' }).Industry, 'FOOD');
    assert.equal('Industry' in toBusinessPartner({ ...account, Industry: 'Space Mining' }), false);
    assert.equal('Industry' in toBusinessPartner(account), false);
    // An update leaves SAP's industry alone rather than clearing it.
    assert.equal('Industry' in headerUpdate(toBusinessPartner(account)), false);
    assert.equal(
      headerUpdate(toBusinessPartner({ ...account, Industry: 'Retail' })).Industry,
      'RETA'
    );
    // Every key fits SAP's industry field.
    for (const key of Object.values(INDUSTRY_KEYS)) assert.ok(key.length <= 4, key);
  });

  it('splits long names at 40 characters on a word boundary', () => {
    const name = 'International Business Machines Corporation Deutschland Holding';
    const { name1, name2 } = splitName(name);
    assert.equal(name1, 'International Business Machines');
    assert.equal(name2, 'Corporation Deutschland Holding');
    assert.ok(name1.length <= 40);
    const long = splitName('x'.repeat(100));
    assert.equal(long.name1.length, 40);
    assert.equal(long.name2?.length, 40);
    assert.deepEqual(splitName('Short'), { name1: 'Short' });
  });

  it('maps country names and codes to ISO-2', () => {
    assert.equal(countryCode('Germany'), 'DE');
    assert.equal(countryCode('united states'), 'US');
    assert.equal(countryCode('USA'), 'US');
    assert.equal(countryCode('fr'), 'FR');
    assert.equal(countryCode('Atlantis'), undefined);
  });

  it('rejects what SAP would refuse, with a readable message listing every problem', () => {
    assert.throws(
      () =>
        toBusinessPartner({
          Id: ID,
          Name: ' ',
          BillingCountry: 'Atlantis',
          BillingPostalCode: '12345678901'
        }),
      (error: unknown) => {
        assert.ok(error instanceof MappingError);
        assert.match(error.message, /Name is required/);
        assert.match(error.message, /"Atlantis" is not a known country/);
        assert.match(error.message, /Postal Code "12345678901" is longer than 10/);
        return true;
      }
    );
    assert.throws(() => toBusinessPartner({ Id: ID, Name: 'A' }), /Billing Country is required/);
  });

  it('truncates city and street, omits non-code regions', () => {
    const bp = toBusinessPartner({
      Id: ID,
      Name: 'A',
      BillingCountry: 'US',
      BillingCity: 'c'.repeat(50),
      BillingStreet: 's'.repeat(70),
      BillingState: 'California'
    });
    const address = bp.to_BusinessPartnerAddress.results[0];
    assert.equal(address.CityName?.length, 40);
    assert.equal(address.StreetName?.length, 60);
    assert.equal(address.Region, undefined);
    assert.equal(searchTermFor(ID), ID);
  });
});

describe('SearchTerm1: the 18-character id, compared as SAP stores it (upper case)', () => {
  it('a 15-character id becomes its 18-character form (Salesforce checksum of the case)', () => {
    assert.equal(id18('001Em0000000007'), '001Em0000000007IAA');
    assert.equal(id18('001000000000001'), ID);
    assert.equal(searchTermFor('001Em0000000007'), '001Em0000000007IAA');
    assert.equal(searchTermFor('001Em0000000007IAA'), '001Em0000000007IAA');
  });

  it('matches SAP’s upper-cased search term; ids that differ only in case do not match', () => {
    assert.equal(isSearchTermOf('001EM0000000007IAA', '001Em0000000007IAA'), true);
    assert.equal(isSearchTermOf('001EM0000000007IAA', '001Em0000000007'), true);
    // Same letters, other case: another record, whose 18-character form differs.
    assert.equal(isSearchTermOf('001EM0000000007IAA', '001em0000000007'), false);
    assert.equal(isSearchTermOf(undefined, '001Em0000000007IAA'), false);
  });
});

describe('the flows and the mapping agree', () => {
  // A field SAP receives must make the flows publish when it changes, and only those fields:
  // otherwise a change never reaches SAP, or events are spent on changes SAP does not keep.
  for (const flow of ['Account_Sync_Set_Pending', 'Account_Sync_Publish_Update']) {
    it(`${flow} reacts to ISCHANGED on exactly the mapped fields`, () => {
      const xml = readFileSync(
        path.join(projectRoot(), `force-app/main/account-sync/flows/${flow}.flow-meta.xml`),
        'utf8'
      );
      const formula = /<filterFormula>([\s\S]*?)<\/filterFormula>/.exec(xml)?.[1] ?? '';
      const fields = [...formula.matchAll(/ISCHANGED\(\{!\$Record\.(\w+)\}\)/g)].map((m) => m[1]);
      assert.deepEqual([...fields].sort(), [...MAPPED_FIELDS].sort());
      // The write-back changes only these: none may trigger a new event (no loop).
      for (const written of [
        'SAP_Customer_Number__c',
        'Sync_Status__c',
        'Sync_Error__c',
        'Last_Synced_At__c'
      ])
        assert.ok(!fields.includes(written), `${written} must not publish`);
    });
  }
});
