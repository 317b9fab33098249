/**
 * Input checks for writes, in two layers as SAP has them: the OData layer (unknown property,
 * wrong JSON type, value longer than the property's MaxLength) and the business partner checks
 * (category, name, country key, roles, tax types). Every problem found becomes one
 * `errordetails` entry; the request fails with 400 when there is any.
 *
 * Message codes keep SAP's `<class>/<number>` format: `/IWBEP/CM_MGW_RT/...` for the Gateway
 * runtime, `R11/...` for business partner checks. The numbers are the simulator's choice (no
 * public table of them was found); clients must not depend on specific numbers, only on the
 * status and the readable `message.value`.
 */
import { isKnownCountry } from './countries.ts';
import { ENTITY_TYPES, type EntityTypeName } from './entities.ts';
import { detail, type ErrorDetail } from './errors.ts';

export const CODES = {
  unknownProperty: '/IWBEP/CM_MGW_RT/021',
  wrongType: '/IWBEP/CM_MGW_RT/022',
  tooLong: '/IWBEP/CM_MGW_RT/023',
  notUpdatable: '/IWBEP/CM_MGW_RT/024',
  nameRequired: 'R11/401',
  categoryInvalid: 'R11/005',
  countryRequired: 'R11/250',
  countryInvalid: 'R11/251',
  roleInvalid: 'R11/214',
  roleDuplicate: 'R11/215',
  taxTypeInvalid: 'R11/340',
  taxNumberRequired: 'R11/341',
  taxTypeDuplicate: 'R11/342'
} as const;

/** Roles the simulated customizing knows: general BP, FI customer, SD customer, suppliers. */
export const KNOWN_ROLES: ReadonlySet<string> = new Set([
  '000000',
  'FLCU00',
  'FLCU01',
  'FLVN00',
  'FLVN01'
]);

/** Tax number categories look like `DE0`, `FR1`, `US1`: country plus a digit. */
const TAX_TYPE = /^[A-Z]{2}\d$/;

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * OData-level checks of one entity's own properties. Navigation properties are left to the
 * caller. `mode` 'update' also rejects keys and immutable properties.
 */
export function checkProperties(
  type: EntityTypeName,
  body: Json,
  mode: 'create' | 'update',
  errors: ErrorDetail[]
): Json {
  const def = ENTITY_TYPES[type];
  const values: Json = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === '__metadata' || name in def.navigation) continue;
    const ref = `${type}/${name}`;
    const property = def.properties[name];
    if (!property) {
      errors.push(detail(CODES.unknownProperty, `Property '${name}' is invalid`, ref));
      continue;
    }
    if (property.computed) continue;
    if (mode === 'update' && (property.key || property.immutable)) {
      errors.push(detail(CODES.notUpdatable, `Property '${name}' cannot be changed`, ref));
      continue;
    }
    if (value === null) {
      values[name] = property.type === 'Edm.Boolean' ? false : '';
      continue;
    }
    if (property.type === 'Edm.Boolean') {
      if (typeof value !== 'boolean') {
        errors.push(detail(CODES.wrongType, `Property '${name}' must be Edm.Boolean`, ref));
        continue;
      }
    } else if (typeof value !== 'string') {
      errors.push(detail(CODES.wrongType, `Property '${name}' must be ${property.type}`, ref));
      continue;
    } else if (property.maxLength !== undefined && value.length > property.maxLength) {
      errors.push(
        detail(
          CODES.tooLong,
          `Value of property '${name}' is too long: ${value.length} characters, at most ${property.maxLength} allowed`,
          ref
        )
      );
      // Kept so the business checks do not also report it as missing; the write fails anyway.
    }
    values[name] = value;
  }
  return values;
}

/** Business checks of a partner's own fields after create or PATCH (the merged state). */
export function checkPartner(partner: Json, errors: ErrorDetail[]): void {
  const category = partner.BusinessPartnerCategory;
  if (category !== '1' && category !== '2') {
    errors.push(
      detail(
        CODES.categoryInvalid,
        `Business partner category '${String(category ?? '')}' is not allowed; use 1 (person) or 2 (organization)`,
        'A_BusinessPartnerType/BusinessPartnerCategory'
      )
    );
    return;
  }
  if (category === '2' && !nonBlank(partner.OrganizationBPName1)) {
    errors.push(
      detail(
        CODES.nameRequired,
        'Enter a name for the organization (OrganizationBPName1)',
        'A_BusinessPartnerType/OrganizationBPName1'
      )
    );
  }
  if (category === '1' && !nonBlank(partner.LastName)) {
    errors.push(
      detail(
        CODES.nameRequired,
        'Enter a last name for the person',
        'A_BusinessPartnerType/LastName'
      )
    );
  }
}

export function checkAddress(address: Json, errors: ErrorDetail[]): void {
  const country = address.Country;
  if (!nonBlank(country)) {
    errors.push(
      detail(
        CODES.countryRequired,
        'Enter a country key for the address (Country)',
        'A_BusinessPartnerAddressType/Country'
      )
    );
  } else if (!isKnownCountry(country)) {
    errors.push(
      detail(
        CODES.countryInvalid,
        `Country key '${country}' is not defined; use an ISO 3166-1 alpha-2 code`,
        'A_BusinessPartnerAddressType/Country'
      )
    );
  }
}

export function checkRoles(roles: Json[], errors: ErrorDetail[]): void {
  const seen = new Set<string>();
  for (const role of roles) {
    const name = role.BusinessPartnerRole;
    const ref = 'A_BusinessPartnerRoleType/BusinessPartnerRole';
    if (typeof name !== 'string' || !KNOWN_ROLES.has(name)) {
      errors.push(detail(CODES.roleInvalid, `Role '${String(name ?? '')}' is not defined`, ref));
    } else if (seen.has(name)) {
      errors.push(detail(CODES.roleDuplicate, `Role '${name}' is given more than once`, ref));
    }
    if (typeof name === 'string') seen.add(name);
  }
}

export function checkTaxNumbers(taxes: Json[], errors: ErrorDetail[]): void {
  const seen = new Set<string>();
  for (const tax of taxes) {
    const type = tax.BPTaxType;
    if (typeof type !== 'string' || !TAX_TYPE.test(type)) {
      errors.push(
        detail(
          CODES.taxTypeInvalid,
          `Tax number category '${String(type ?? '')}' is not defined`,
          'A_BusinessPartnerTaxNumberType/BPTaxType'
        )
      );
    } else if (seen.has(type)) {
      errors.push(
        detail(
          CODES.taxTypeDuplicate,
          `Tax number category '${type}' is given more than once`,
          'A_BusinessPartnerTaxNumberType/BPTaxType'
        )
      );
    }
    if (typeof type === 'string') seen.add(type);
    if (!nonBlank(tax.BPTaxNumber) && !nonBlank(tax.BPTaxLongNumber)) {
      errors.push(
        detail(
          CODES.taxNumberRequired,
          'Enter a tax number (BPTaxNumber)',
          'A_BusinessPartnerTaxNumberType/BPTaxNumber'
        )
      );
    }
  }
}

function nonBlank(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
