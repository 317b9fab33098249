/**
 * The in-memory business partner store: numbers from an internal number range starting at
 * 1000000 (never reused, not even after a reset unless asked), addresses numbered from one
 * system-wide range (AddressID is the global address number, not a position per partner), and
 * one ETag per partner and per address that changes with every update.
 */
import { ChangeClock } from './etag.ts';
import { validationError, type ErrorDetail } from './errors.ts';
import {
  checkAddress,
  checkPartner,
  checkProperties,
  checkRoles,
  checkTaxNumbers,
  isObject,
  type Json
} from './validation.ts';
import { detail } from './errors.ts';
import type { EntityTypeName } from './entities.ts';

export type CommunicationKind = 'phone' | 'url';

export const COMMUNICATION_TYPES = {
  phone: 'A_AddressPhoneNumberType',
  url: 'A_AddressHomePageURLType'
} as const satisfies Record<CommunicationKind, EntityTypeName>;

export const FIRST_PARTNER_NUMBER = 1_000_000;
export const FIRST_ADDRESS_NUMBER = 20_000;

export interface StoredAddress {
  values: Json;
  etag: string;
  phones: Json[];
  urls: Json[];
}

export interface StoredPartner {
  values: Json;
  etag: string;
  addresses: StoredAddress[];
  roles: Json[];
  taxes: Json[];
}

/** `/Date(1700000000000)/`: how OData V2 JSON writes Edm.DateTime. */
export function odataDate(date: Date): string {
  return `/Date(${date.getTime()})/`;
}

/** The phone numbers or the URLs of an address. */
export function communicationsOf(address: StoredAddress, kind: CommunicationKind): Json[] {
  return kind === 'phone' ? address.phones : address.urls;
}

/** A write's body; SAP refuses anything but a JSON object before looking at properties. */
function entityBody(body: unknown): Json {
  if (!isObject(body))
    throw validationError([detail('/IWBEP/CM_MGW_RT/000', 'Expected a JSON object')]);
  return body;
}

/**
 * An entity's values with a PATCH applied, checked as a whole: a business check reads several
 * properties together (a category and the name it requires), so the entity after the update must
 * pass, not just the changed properties.
 */
function patched(
  current: Json,
  changes: Json,
  check: (values: Json, errors: ErrorDetail[]) => void
): Json {
  const merged = { ...current, ...changes };
  const errors: ErrorDetail[] = [];
  check(merged, errors);
  if (errors.length > 0) throw validationError(errors);
  return merged;
}

/** A navigation property in a deep insert: `{results: [...]}` (or a bare array). */
function children(body: Json, name: string, parent: EntityTypeName, errors: ErrorDetail[]): Json[] {
  const raw = body[name];
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : isObject(raw) ? raw.results : undefined;
  if (!Array.isArray(list) || !list.every(isObject)) {
    errors.push(
      detail(
        '/IWBEP/CM_MGW_RT/022',
        `Navigation property '${name}' must be {"results": [ ... ]}`,
        `${parent}/${name}`
      )
    );
    return [];
  }
  return list;
}

export class BusinessPartnerStore {
  private readonly partners = new Map<string, StoredPartner>();
  private nextPartner = FIRST_PARTNER_NUMBER;
  private nextAddress = FIRST_ADDRESS_NUMBER;
  private readonly clock = new ChangeClock();

  get size(): number {
    return this.partners.size;
  }

  reset(options: { numbers?: boolean } = {}): void {
    this.partners.clear();
    if (options.numbers) {
      this.nextPartner = FIRST_PARTNER_NUMBER;
      this.nextAddress = FIRST_ADDRESS_NUMBER;
    }
  }

  get(number: string): StoredPartner | undefined {
    return this.partners.get(number);
  }

  list(): StoredPartner[] {
    return [...this.partners.values()];
  }

  getAddress(number: string, addressId: string): StoredAddress | undefined {
    return this.partners.get(number)?.addresses.find((a) => a.values.AddressID === addressId);
  }

  /** A deep insert: the partner with its addresses (phones, URLs), roles and tax numbers. */
  create(data: unknown, user: string): StoredPartner {
    const errors: ErrorDetail[] = [];
    const body = entityBody(data);
    const values = checkProperties('A_BusinessPartnerType', body, 'create', errors);
    checkPartner(values, errors);

    const addressInputs = children(
      body,
      'to_BusinessPartnerAddress',
      'A_BusinessPartnerType',
      errors
    );
    const addresses = addressInputs.map((input) => {
      const address = checkProperties('A_BusinessPartnerAddressType', input, 'create', errors);
      checkAddress(address, errors);
      const phones = children(input, 'to_PhoneNumber', 'A_BusinessPartnerAddressType', errors).map(
        (p) => checkProperties('A_AddressPhoneNumberType', p, 'create', errors)
      );
      const urls = children(input, 'to_URLAddress', 'A_BusinessPartnerAddressType', errors).map(
        (u) => checkProperties('A_AddressHomePageURLType', u, 'create', errors)
      );
      return { address, phones, urls };
    });
    const roles = children(body, 'to_BusinessPartnerRole', 'A_BusinessPartnerType', errors).map(
      (r) => checkProperties('A_BusinessPartnerRoleType', r, 'create', errors)
    );
    checkRoles(roles, errors);
    const taxes = children(body, 'to_BusinessPartnerTax', 'A_BusinessPartnerType', errors).map(
      (t) => checkProperties('A_BusinessPartnerTaxNumberType', t, 'create', errors)
    );
    checkTaxNumbers(taxes, errors);
    if (errors.length > 0) throw validationError(errors);

    const number = String(this.nextPartner++);
    const stamp = this.clock.next();
    const partner: StoredPartner = {
      values: {
        BusinessPartner: number,
        BusinessPartnerCategory: values.BusinessPartnerCategory,
        BusinessPartnerFullName: '',
        BusinessPartnerGrouping: 'BP02',
        FirstName: '',
        LastName: '',
        OrganizationBPName1: '',
        OrganizationBPName2: '',
        SearchTerm1: '',
        SearchTerm2: '',
        Industry: '',
        Language: 'EN',
        BusinessPartnerIsBlocked: false,
        IsMarkedForArchiving: false,
        ...values,
        CreatedByUser: user.toUpperCase().slice(0, 12),
        CreationDate: odataDate(stamp.at),
        LastChangedByUser: '',
        LastChangeDate: null
      },
      etag: stamp.etag,
      addresses: addresses.map(({ address, phones, urls }) => {
        const addressId = String(this.nextAddress++);
        const numbered = (rows: Json[]) =>
          rows.map((row, index) => ({
            AddressID: addressId,
            Person: '',
            OrdinalNumber: String(index + 1),
            ...row
          }));
        return {
          values: {
            BusinessPartner: number,
            AddressID: addressId,
            Country: '',
            Region: '',
            CityName: '',
            StreetName: '',
            HouseNumber: '',
            PostalCode: '',
            Language: 'EN',
            ...address
          },
          etag: this.clock.next().etag,
          phones: numbered(
            phones.map((p) => ({ DestinationLocationCountry: address.Country, ...p }))
          ),
          urls: numbered(urls)
        };
      }),
      roles: roles.map((role) => ({
        BusinessPartner: number,
        ValidFrom: odataDate(stamp.at),
        ValidTo: '/Date(253402214400000)/',
        ...role
      })),
      taxes: taxes.map((tax) => ({ BusinessPartner: number, BPTaxLongNumber: '', ...tax }))
    };
    partner.values.BusinessPartnerFullName = fullName(partner.values);
    partner.values.SearchTerm1 = searchTerm(partner.values.SearchTerm1);
    this.partners.set(number, partner);
    return partner;
  }

  /** PATCH of the partner's own properties (navigation properties are not deep-updatable). */
  update(partner: StoredPartner, body: unknown, user: string): void {
    const values = this.checkUpdate('A_BusinessPartnerType', body, [
      'to_BusinessPartnerAddress',
      'to_BusinessPartnerRole',
      'to_BusinessPartnerTax'
    ]);
    const merged = patched(partner.values, values, checkPartner);
    const stamp = this.clock.next();
    partner.values = {
      ...merged,
      SearchTerm1: searchTerm(merged.SearchTerm1),
      BusinessPartnerFullName: fullName(merged),
      LastChangedByUser: user.toUpperCase().slice(0, 12),
      LastChangeDate: odataDate(stamp.at)
    };
    partner.etag = stamp.etag;
  }

  updateAddress(address: StoredAddress, body: unknown): void {
    const values = this.checkUpdate('A_BusinessPartnerAddressType', body, [
      'to_PhoneNumber',
      'to_URLAddress'
    ]);
    address.values = patched(address.values, values, checkAddress);
    address.etag = this.clock.next().etag;
  }

  /** The address with this system-wide number, whichever partner holds it. */
  findAddress(addressId: string): StoredAddress | undefined {
    for (const partner of this.partners.values()) {
      const address = partner.addresses.find((a) => a.values.AddressID === addressId);
      if (address) return address;
    }
    return undefined;
  }

  /** Adds a phone number or URL to an address (POST through its navigation property). */
  addCommunication(address: StoredAddress, kind: CommunicationKind, body: unknown): Json {
    const type = COMMUNICATION_TYPES[kind];
    const fields = entityBody(body);
    const errors: ErrorDetail[] = [];
    const values = checkProperties(type, fields, 'create', errors);
    if (errors.length > 0) throw validationError(errors);
    const rows = communicationsOf(address, kind);
    const ordinal = rows.reduce((max, row) => Math.max(max, Number(row.OrdinalNumber)), 0) + 1;
    const row: Json = {
      AddressID: address.values.AddressID,
      Person: '',
      OrdinalNumber: String(ordinal),
      ...(kind === 'phone' ? { DestinationLocationCountry: address.values.Country } : {}),
      ...values
    };
    rows.push(row);
    return row;
  }

  /** PATCH of a phone number or URL row (these entities carry no ETag). */
  updateCommunication(row: Json, kind: CommunicationKind, body: unknown): void {
    const values = this.checkUpdate(COMMUNICATION_TYPES[kind], body, []);
    Object.assign(row, values);
  }

  private checkUpdate(type: EntityTypeName, data: unknown, navigation: string[]): Json {
    const body = entityBody(data);
    const errors: ErrorDetail[] = [];
    for (const name of navigation) {
      if (name in body) {
        errors.push(
          detail(
            '/IWBEP/CM_MGW_RT/024',
            `Deep update is not supported: change '${name}' through its own entity set`,
            `${type}/${name}`
          )
        );
      }
    }
    const values = checkProperties(type, body, 'update', errors);
    if (errors.length > 0) throw validationError(errors);
    return values;
  }
}

/**
 * S/4HANA keeps search terms (BUT000-BU_SORT1) in upper case: whatever the client sends is
 * stored, returned and filtered on upper-cased.
 */
function searchTerm(value: unknown): unknown {
  return typeof value === 'string' ? value.toUpperCase() : value;
}

function fullName(values: Json): string {
  const parts =
    values.BusinessPartnerCategory === '1'
      ? [values.FirstName, values.LastName]
      : [values.OrganizationBPName1, values.OrganizationBPName2];
  return parts
    .filter((p): p is string => typeof p === 'string' && p !== '')
    .join(' ')
    .slice(0, 81);
}
