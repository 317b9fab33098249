import assert from 'node:assert/strict';
import { XMLValidator } from 'fast-xml-parser';
import { after, before, beforeEach, describe, it } from 'node:test';
import { d, sapError, startTestSap, type SapResponse, type TestSap } from './helpers/sap.ts';

type Results = { results: Array<Record<string, unknown>> };

describe('SAP simulator: A_BusinessPartner', () => {
  let sap: TestSap;
  before(async () => {
    sap = await startTestSap();
  });
  after(() => sap.close());
  beforeEach(async () => {
    sap.control.reset();
    await sap.fetchToken();
  });

  async function create(overrides: Record<string, unknown> = {}): Promise<SapResponse> {
    return sap.call('POST', 'A_BusinessPartner', sap.partnerBody(overrides));
  }

  it('creates with a deep insert: 201, the number, ETag, Location and the deep entities', async () => {
    const response = await create();
    assert.equal(response.status, 201);
    const entity = d(response);
    assert.match(String(entity.BusinessPartner), /^\d{7,10}$/);
    assert.ok(Number(entity.BusinessPartner) >= 1_000_000);
    const etag = response.headers.get('etag') ?? '';
    assert.match(etag, /^W\/"datetimeoffset'\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A\d\d\.\d{7}Z'"$/);
    const metadata = entity.__metadata as Record<string, string>;
    assert.equal(metadata.etag, etag);
    assert.equal(metadata.type, 'API_BUSINESS_PARTNER.A_BusinessPartnerType');
    assert.equal(
      response.headers.get('location'),
      `${sap.serviceUrl}/A_BusinessPartner('${String(entity.BusinessPartner)}')`
    );
    assert.equal(entity.BusinessPartnerFullName, 'Acme Industrial GmbH');
    assert.equal(entity.BusinessPartnerIsBlocked, false);
    assert.match(String(entity.CreationDate), /^\/Date\(\d+\)\/$/);

    const addresses = (entity.to_BusinessPartnerAddress as Results).results;
    assert.equal(addresses.length, 1);
    const address = addresses[0] ?? {};
    assert.equal(address.BusinessPartner, entity.BusinessPartner);
    assert.match(String(address.AddressID), /^\d+$/);
    assert.equal(address.Country, 'DE');
    assert.equal((address.to_PhoneNumber as Results).results[0]?.PhoneNumber, '+49 30 1234567');
    assert.equal((address.to_URLAddress as Results).results[0]?.WebsiteURL, 'https://acme.example');
    assert.deepEqual(
      (entity.to_BusinessPartnerTax as Results).results.map((t) => [t.BPTaxType, t.BPTaxNumber]),
      [['DE0', 'DE123456789']]
    );
    assert.deepEqual(
      (entity.to_BusinessPartnerRole as Results).results.map((r) => r.BusinessPartnerRole),
      ['FLCU01']
    );
  });

  it('numbers partners from 1000000 upwards, never reusing a number after a reset', async () => {
    const numbers = [];
    for (let i = 0; i < 3; i++) numbers.push(Number(d(await create()).BusinessPartner));
    assert.deepEqual(numbers, [numbers[0], (numbers[0] ?? 0) + 1, (numbers[0] ?? 0) + 2]);
    sap.control.reset();
    await sap.fetchToken();
    assert.equal(Number(d(await create()).BusinessPartner), (numbers[2] ?? 0) + 1);
    sap.control.reset({ numbers: true });
    await sap.fetchToken();
    assert.equal(d(await create()).BusinessPartner, '1000000');
  });

  it('gives each address its own system-wide AddressID', async () => {
    const first = (d(await create()).to_BusinessPartnerAddress as Results).results[0];
    const second = (d(await create()).to_BusinessPartnerAddress as Results).results[0];
    assert.notEqual(first?.AddressID, second?.AddressID);
  });

  it('reads one partner with its ETag; navigation deferred unless expanded', async () => {
    const created = await create();
    const number = String(d(created).BusinessPartner);
    const read = await sap.call('GET', `A_BusinessPartner('${number}')`);
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('etag'), created.headers.get('etag'));
    assert.equal(d(read).OrganizationBPName1, 'Acme Industrial GmbH');
    assert.deepEqual(d(read).to_BusinessPartnerAddress, {
      __deferred: {
        uri: `${sap.serviceUrl}/A_BusinessPartner('${number}')/to_BusinessPartnerAddress`
      }
    });
    const expanded = await sap.call(
      'GET',
      `A_BusinessPartner('${number}')?$expand=to_BusinessPartnerAddress/to_PhoneNumber`
    );
    const address = (d(expanded).to_BusinessPartnerAddress as Results).results[0] ?? {};
    assert.equal((address.to_PhoneNumber as Results).results.length, 1);
    assert.ok('__deferred' in (address.to_URLAddress as object));
    const named = await sap.call('GET', `A_BusinessPartner(BusinessPartner='${number}')`);
    assert.equal(named.status, 200);
    const nav = await sap.call('GET', `A_BusinessPartner('${number}')/to_BusinessPartnerTax`);
    assert.equal((d(nav) as unknown as Results).results[0]?.BPTaxType, 'DE0');
  });

  it('answers an unknown partner with 404 and the SAP error body', async () => {
    const response = await sap.call('GET', "A_BusinessPartner('9999999')");
    assert.equal(response.status, 404);
    const error = sapError(response);
    assert.equal(error.code, '/IWBEP/CM_MGW_RT/020');
    assert.equal(error.message.lang, 'en');
    assert.match(error.message.value, /Resource not found/);
    assert.ok(Array.isArray(error.innererror.errordetails));
  });

  it('lists partners with $filter on SearchTerm1, $top and $inlinecount', async () => {
    await create({ SearchTerm1: 'ALPHA' });
    await create({ SearchTerm1: 'BETA' });
    await create({ SearchTerm1: 'ALPHA' });
    const filtered = await sap.call(
      'GET',
      `A_BusinessPartner?$filter=${encodeURIComponent("SearchTerm1 eq 'ALPHA'")}&$inlinecount=allpages&$top=1`
    );
    assert.equal(filtered.status, 200);
    const body = d(filtered) as unknown as Results & { __count: string };
    assert.equal(body.__count, '2');
    assert.equal(body.results.length, 1);
    assert.equal(body.results[0]?.SearchTerm1, 'ALPHA');
  });

  it('updates with If-Match: 204 and a new ETag; the change is stored', async () => {
    const created = await create();
    const number = String(d(created).BusinessPartner);
    const etag = created.headers.get('etag') ?? '';
    const patched = await sap.call(
      'PATCH',
      `A_BusinessPartner('${number}')`,
      { OrganizationBPName1: 'Acme Renamed AG', OrganizationBPName2: 'Werk 2' },
      { 'if-match': etag }
    );
    assert.equal(patched.status, 204);
    assert.equal(patched.body, undefined);
    const newEtag = patched.headers.get('etag') ?? '';
    assert.ok(newEtag !== '' && newEtag !== etag);
    const read = await sap.call('GET', `A_BusinessPartner('${number}')`);
    assert.equal(read.headers.get('etag'), newEtag);
    assert.equal(d(read).BusinessPartnerFullName, 'Acme Renamed AG Werk 2');
    assert.equal(d(read).LastChangedByUser, sap.username);
  });

  it('rejects a stale ETag with 412 and a PATCH without If-Match with 428', async () => {
    const created = await create();
    const number = String(d(created).BusinessPartner);
    const etag = created.headers.get('etag') ?? '';
    const path = `A_BusinessPartner('${number}')`;
    assert.equal(
      (await sap.call('PATCH', path, { SearchTerm1: 'A' }, { 'if-match': etag })).status,
      204
    );
    const stale = await sap.call('PATCH', path, { SearchTerm1: 'B' }, { 'if-match': etag });
    assert.equal(stale.status, 412);
    assert.equal(sapError(stale).code, '/IWBEP/CM_MGW_RT/190');
    const missing = await sap.call('PATCH', path, { SearchTerm1: 'C' });
    assert.equal(missing.status, 428);
    assert.equal(d(await sap.call('GET', path)).SearchTerm1, 'A');
    assert.equal(
      (await sap.call('PATCH', path, { SearchTerm1: 'D' }, { 'if-match': '*' })).status,
      204
    );
  });

  it('blocks a partner through BusinessPartnerIsBlocked', async () => {
    const created = await create();
    const number = String(d(created).BusinessPartner);
    const patched = await sap.call(
      'PATCH',
      `A_BusinessPartner('${number}')`,
      { BusinessPartnerIsBlocked: true },
      { 'if-match': created.headers.get('etag') ?? '' }
    );
    assert.equal(patched.status, 204);
    assert.equal(sap.control.partner(number)?.BusinessPartnerIsBlocked, true);
    const deleted = await sap.call('DELETE', `A_BusinessPartner('${number}')`);
    assert.equal(deleted.status, 501, 'the API does not delete partners');
    assert.equal(sap.control.partners().length, 1);
  });

  it('updates an address with its own ETag', async () => {
    const created = await create();
    const address = (d(created).to_BusinessPartnerAddress as Results).results[0] ?? {};
    const path = `A_BusinessPartnerAddress(BusinessPartner='${String(address.BusinessPartner)}',AddressID='${String(address.AddressID)}')`;
    const etag = (address.__metadata as { etag: string }).etag;
    const stale = await sap.call('PATCH', path, { CityName: 'Hamburg' }, { 'if-match': 'W/"x"' });
    assert.equal(stale.status, 412);
    const patched = await sap.call(
      'PATCH',
      path,
      { CityName: 'Hamburg', PostalCode: '20095' },
      { 'if-match': etag }
    );
    assert.equal(patched.status, 204);
    const read = await sap.call('GET', path);
    assert.equal(d(read).CityName, 'Hamburg');
    const unconditional = await sap.call('PATCH', path, { StreetName: 'Jungfernstieg' });
    assert.equal(unconditional.status, 204, 'If-Match is optional for addresses');
    assert.notEqual(read.headers.get('etag'), etag);
    const bad = await sap.call('PATCH', path, { Country: 'XX' }, { 'if-match': '*' });
    assert.equal(bad.status, 400);
    const unknown = await sap.call(
      'GET',
      "A_BusinessPartnerAddress(BusinessPartner='1',AddressID='1')"
    );
    assert.equal(unknown.status, 404);
  });

  it('changes and adds phone numbers and URLs of an address', async () => {
    const created = await create();
    const address = (d(created).to_BusinessPartnerAddress as Results).results[0] ?? {};
    const id = String(address.AddressID);
    const phonePath = `A_AddressPhoneNumber(AddressID='${id}',Person='',OrdinalNumber='1')`;
    const patched = await sap.call('PATCH', phonePath, { PhoneNumber: '+49 40 999' });
    assert.equal(patched.status, 204);
    assert.equal(d(await sap.call('GET', phonePath)).PhoneNumber, '+49 40 999');
    const tooLong = await sap.call('PATCH', phonePath, { PhoneNumber: '1'.repeat(31) });
    assert.equal(tooLong.status, 400);
    const urlPath = `A_AddressHomePageURL(AddressID='${id}',Person='',OrdinalNumber='1')`;
    assert.equal(
      (await sap.call('PATCH', urlPath, { WebsiteURL: 'https://new.example' })).status,
      204
    );
    const addressPath = `A_BusinessPartnerAddress(BusinessPartner='${String(address.BusinessPartner)}',AddressID='${id}')`;
    const added = await sap.call('POST', `${addressPath}/to_PhoneNumber`, {
      PhoneNumber: '+49 30 2'
    });
    assert.equal(added.status, 201);
    assert.equal(d(added).OrdinalNumber, '2');
    const phones = await sap.call('GET', `${addressPath}/to_PhoneNumber`);
    assert.deepEqual(
      (d(phones) as unknown as Results).results.map((p) => p.PhoneNumber),
      ['+49 40 999', '+49 30 2']
    );
    const stored = sap.control.partner(String(address.BusinessPartner)) ?? {};
    const storedAddress = (stored.to_BusinessPartnerAddress as Results).results[0] ?? {};
    assert.equal(
      (storedAddress.to_URLAddress as Results).results[0]?.WebsiteURL,
      'https://new.example'
    );
    const missing = await sap.call(
      'PATCH',
      `A_AddressPhoneNumber(AddressID='${id}',Person='',OrdinalNumber='9')`,
      { PhoneNumber: '1' }
    );
    assert.equal(missing.status, 404);
  });

  it('rejects a 41-character name with an SAP 400 body pointing at the property', async () => {
    const response = await create({ OrganizationBPName1: 'N'.repeat(41) });
    assert.equal(response.status, 400);
    const error = sapError(response);
    assert.match(error.message.value, /OrganizationBPName1.*too long/);
    assert.equal(
      error.innererror.errordetails[0]?.propertyref,
      'A_BusinessPartnerType/OrganizationBPName1'
    );
    assert.equal(error.innererror.errordetails[0]?.severity, 'error');
    assert.equal(error.code, error.innererror.errordetails[0]?.code);
    assert.equal(sap.control.partners().length, 0);
    assert.equal(d(await create()).BusinessPartner !== undefined, true);
  });

  it('rejects a missing or unknown country, a missing name, a bad category and unknown properties', async () => {
    const address = (fields: Record<string, unknown>) => ({
      to_BusinessPartnerAddress: { results: [fields] }
    });
    const cases: Array<[Record<string, unknown>, RegExp, string]> = [
      [address({ CityName: 'Berlin' }), /country/i, 'A_BusinessPartnerAddressType/Country'],
      [address({ Country: 'XX' }), /Country key 'XX'/, 'A_BusinessPartnerAddressType/Country'],
      [{ OrganizationBPName1: '' }, /name/i, 'A_BusinessPartnerType/OrganizationBPName1'],
      [
        { BusinessPartnerCategory: '3' },
        /category/i,
        'A_BusinessPartnerType/BusinessPartnerCategory'
      ],
      [{ Branche: 'X' }, /Property 'Branche' is invalid/, 'A_BusinessPartnerType/Branche'],
      [{ SearchTerm1: 'S'.repeat(21) }, /too long/, 'A_BusinessPartnerType/SearchTerm1'],
      [
        { to_BusinessPartnerRole: { results: [{ BusinessPartnerRole: 'NOPE' }] } },
        /Role 'NOPE'/,
        'A_BusinessPartnerRoleType/BusinessPartnerRole'
      ]
    ];
    for (const [overrides, message, propertyref] of cases) {
      const response = await create(overrides);
      assert.equal(response.status, 400, JSON.stringify(overrides));
      const error = sapError(response);
      assert.match(error.message.value, message);
      assert.ok(
        error.innererror.errordetails.some((e) => e.propertyref === propertyref),
        propertyref
      );
    }
    assert.equal(sap.control.partners().length, 0);
  });

  it('rejects deep updates and changes of the category', async () => {
    const created = await create();
    const path = `A_BusinessPartner('${String(d(created).BusinessPartner)}')`;
    const deep = await sap.call(
      'PATCH',
      path,
      { to_BusinessPartnerAddress: { results: [] } },
      { 'if-match': '*' }
    );
    assert.equal(deep.status, 400);
    const category = await sap.call(
      'PATCH',
      path,
      { BusinessPartnerCategory: '1' },
      { 'if-match': '*' }
    );
    assert.equal(category.status, 400);
  });

  it('serves JSON only when asked, and answers bad JSON with an SAP 400', async () => {
    const xml = await sap.call('GET', 'A_BusinessPartner', undefined, {
      accept: 'application/atom+xml'
    });
    assert.equal(xml.status, 406);
    const formatted = await sap.call('GET', 'A_BusinessPartner?$format=json', undefined, {
      accept: '*/*'
    });
    assert.equal(formatted.status, 200);
    const bad = await sap.call('POST', 'A_BusinessPartner', '{"BusinessPartnerCategory": ');
    assert.equal(bad.status, 400);
    assert.match(sapError(bad).message.value, /JSON/);
  });

  it('serves a well-formed $metadata document naming the entity types', async () => {
    const response = await fetch(`${sap.serviceUrl}/$metadata`, {
      headers: { authorization: sap.authorization }
    });
    assert.equal(response.status, 200);
    const xml = await response.text();
    assert.equal(XMLValidator.validate(xml), true);
    assert.match(xml, /<EntityType Name="A_BusinessPartnerType">/);
    assert.match(xml, /<Property Name="OrganizationBPName1" Type="Edm.String" MaxLength="40"\/>/);
    assert.match(xml, /<EntitySet Name="A_BusinessPartnerAddress"/);
  });
});
