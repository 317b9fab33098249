/**
 * The subset of `API_BUSINESS_PARTNER` the simulator serves, as one property table per entity
 * type: the single source for validation (types, max lengths, what a client may write), for the
 * JSON shapes and for `$metadata`. Names, types and lengths follow SAP's published EDMX for the
 * service (e.g. OrganizationBPName1 Edm.String MaxLength 40, AddressID MaxLength 10).
 */

export type EdmType = 'Edm.String' | 'Edm.Boolean' | 'Edm.DateTime';

export interface PropertyDef {
  type: EdmType;
  maxLength?: number;
  key?: boolean;
  /** Set by the server only (keys from number ranges, audit fields). Ignored on input. */
  computed?: boolean;
  /** May be given on create but not changed by PATCH. */
  immutable?: boolean;
}

export interface NavigationDef {
  target: EntityTypeName;
}

export interface EntityTypeDef {
  /** The entity set serving this type. */
  set: string;
  properties: Readonly<Record<string, PropertyDef>>;
  navigation: Readonly<Record<string, NavigationDef>>;
}

export type EntityTypeName =
  | 'A_BusinessPartnerType'
  | 'A_BusinessPartnerAddressType'
  | 'A_AddressPhoneNumberType'
  | 'A_AddressHomePageURLType'
  | 'A_BusinessPartnerTaxNumberType'
  | 'A_BusinessPartnerRoleType';

export const SERVICE_NAME = 'API_BUSINESS_PARTNER';
export const SERVICE_PATH = `/sap/opu/odata/sap/${SERVICE_NAME}`;

const str = (maxLength: number, extra: Omit<PropertyDef, 'type' | 'maxLength'> = {}) => ({
  type: 'Edm.String' as const,
  maxLength,
  ...extra
});
const bool = (extra: Omit<PropertyDef, 'type'> = {}) => ({
  type: 'Edm.Boolean' as const,
  ...extra
});
const date = (extra: Omit<PropertyDef, 'type'> = {}) => ({
  type: 'Edm.DateTime' as const,
  ...extra
});

export const ENTITY_TYPES: Readonly<Record<EntityTypeName, EntityTypeDef>> = {
  A_BusinessPartnerType: {
    set: 'A_BusinessPartner',
    properties: {
      BusinessPartner: str(10, { key: true, computed: true }),
      BusinessPartnerCategory: str(1, { immutable: true }),
      BusinessPartnerFullName: str(81, { computed: true }),
      BusinessPartnerGrouping: str(4, { immutable: true }),
      FirstName: str(40),
      LastName: str(40),
      OrganizationBPName1: str(40),
      OrganizationBPName2: str(40),
      SearchTerm1: str(20),
      SearchTerm2: str(20),
      Industry: str(10),
      Language: str(2),
      BusinessPartnerIsBlocked: bool(),
      IsMarkedForArchiving: bool(),
      CreatedByUser: str(12, { computed: true }),
      CreationDate: date({ computed: true }),
      LastChangedByUser: str(12, { computed: true }),
      LastChangeDate: date({ computed: true })
    },
    navigation: {
      to_BusinessPartnerAddress: { target: 'A_BusinessPartnerAddressType' },
      to_BusinessPartnerRole: { target: 'A_BusinessPartnerRoleType' },
      to_BusinessPartnerTax: { target: 'A_BusinessPartnerTaxNumberType' }
    }
  },
  A_BusinessPartnerAddressType: {
    set: 'A_BusinessPartnerAddress',
    properties: {
      BusinessPartner: str(10, { key: true, computed: true }),
      AddressID: str(10, { key: true, computed: true }),
      Country: str(3),
      Region: str(3),
      CityName: str(40),
      StreetName: str(60),
      HouseNumber: str(10),
      PostalCode: str(10),
      Language: str(2)
    },
    navigation: {
      to_PhoneNumber: { target: 'A_AddressPhoneNumberType' },
      to_URLAddress: { target: 'A_AddressHomePageURLType' }
    }
  },
  A_AddressPhoneNumberType: {
    set: 'A_AddressPhoneNumber',
    properties: {
      AddressID: str(10, { key: true, computed: true }),
      Person: str(10, { key: true, computed: true }),
      OrdinalNumber: str(3, { key: true, computed: true }),
      DestinationLocationCountry: str(3),
      IsDefaultPhoneNumber: bool(),
      PhoneNumber: str(30),
      PhoneNumberExtension: str(10)
    },
    navigation: {}
  },
  A_AddressHomePageURLType: {
    set: 'A_AddressHomePageURL',
    properties: {
      AddressID: str(10, { key: true, computed: true }),
      Person: str(10, { key: true, computed: true }),
      OrdinalNumber: str(3, { key: true, computed: true }),
      IsDefaultURLAddress: bool(),
      WebsiteURL: str(2048)
    },
    navigation: {}
  },
  A_BusinessPartnerTaxNumberType: {
    set: 'A_BusinessPartnerTaxNumber',
    properties: {
      BusinessPartner: str(10, { key: true, computed: true }),
      BPTaxType: str(4, { key: true }),
      BPTaxNumber: str(20),
      BPTaxLongNumber: str(60)
    },
    navigation: {}
  },
  A_BusinessPartnerRoleType: {
    set: 'A_BusinessPartnerRole',
    properties: {
      BusinessPartner: str(10, { key: true, computed: true }),
      BusinessPartnerRole: str(6, { key: true }),
      ValidFrom: date(),
      ValidTo: date()
    },
    navigation: {}
  }
};

export function keysOf(type: EntityTypeName): string[] {
  return Object.entries(ENTITY_TYPES[type].properties)
    .filter(([, def]) => def.key)
    .map(([name]) => name);
}
