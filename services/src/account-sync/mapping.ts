// Salesforce Account -> SAP Business Partner (A_BusinessPartner, organisation, customer role):
// the one place where the field mapping lives. Validated before SAP is called, so a record SAP
// would refuse fails fast with a readable message (a permanent error) instead of a 400 later.
//
// | Salesforce                       | SAP API_BUSINESS_PARTNER                         | rule                              |
// | -------------------------------- | ------------------------------------------------ | --------------------------------- |
// | Name                             | OrganizationBPName1 / OrganizationBPName2        | split at 40 on a word boundary;   |
// |                                  |                                                  | the rest is cut to 40 (2nd line)  |
// | Id (18 chars)                    | SearchTerm1 (20)                                 | idempotency key for the lookup    |
// | BillingCountry (name or code)    | to_BusinessPartnerAddress.Country (ISO 3166-1)   | required; unknown -> error        |
// | BillingCity / Street             | CityName (40) / StreetName (60)                  | truncated                         |
// | BillingPostalCode                | PostalCode (10)                                  | longer -> error                   |
// | BillingState                     | Region (3)                                       | only when it is a code (<= 3)     |
// | Phone                            | to_PhoneNumber.PhoneNumber (30)                  | longer -> error                   |
// | Website                          | to_URLAddress.WebsiteURL                         |                                   |
// | VAT_Number__c                    | to_BusinessPartnerTax (BPTaxType DE0)            | only when set                     |
// | Industry (picklist)              | Industry (SAP industry key)                      | INDUSTRY_KEYS; unknown -> not sent|
// The shipping address is not sent: in SAP a ship-to is a partner function of the sales area
// (often a business partner of its own), not part of the customer's master address.

/**
 * The Account fields SAP receives. The flows Account_Sync_Set_Pending and
 * Account_Sync_Publish_Update react to ISCHANGED on exactly these (a test keeps them in step).
 */
export const MAPPED_FIELDS = [
  'Name',
  'BillingStreet',
  'BillingCity',
  'BillingState',
  'BillingPostalCode',
  'BillingCountry',
  'Phone',
  'Website',
  'Industry',
  'VAT_Number__c'
] as const;

export const ACCOUNT_FIELDS = [
  'Id',
  ...MAPPED_FIELDS,
  'SAP_Customer_Number__c',
  'Sync_Status__c',
  'Last_Synced_At__c',
  'LastModifiedDate'
] as const;

export type SalesforceAccount = Partial<Record<(typeof ACCOUNT_FIELDS)[number], string | null>> & {
  Id: string;
};

export const SAP_LIMITS = {
  name: 40,
  searchTerm: 20,
  city: 40,
  street: 60,
  postalCode: 10,
  region: 3,
  phone: 30,
  website: 255,
  taxNumber: 20
} as const;

/** Country names (lower case) and ISO-3 codes -> ISO 3166-1 alpha-2. ISO-2 codes pass as is. */
const COUNTRIES: Record<string, string> = {
  germany: 'DE',
  deutschland: 'DE',
  deu: 'DE',
  austria: 'AT',
  österreich: 'AT',
  aut: 'AT',
  switzerland: 'CH',
  schweiz: 'CH',
  che: 'CH',
  france: 'FR',
  fra: 'FR',
  italy: 'IT',
  ita: 'IT',
  spain: 'ES',
  esp: 'ES',
  netherlands: 'NL',
  'the netherlands': 'NL',
  nld: 'NL',
  belgium: 'BE',
  bel: 'BE',
  poland: 'PL',
  pol: 'PL',
  denmark: 'DK',
  dnk: 'DK',
  sweden: 'SE',
  swe: 'SE',
  norway: 'NO',
  nor: 'NO',
  finland: 'FI',
  fin: 'FI',
  ireland: 'IE',
  irl: 'IE',
  portugal: 'PT',
  prt: 'PT',
  'united kingdom': 'GB',
  uk: 'GB',
  'great britain': 'GB',
  gbr: 'GB',
  'united states': 'US',
  'united states of america': 'US',
  usa: 'US',
  canada: 'CA',
  can: 'CA',
  mexico: 'MX',
  mex: 'MX',
  brazil: 'BR',
  bra: 'BR',
  japan: 'JP',
  jpn: 'JP',
  china: 'CN',
  chn: 'CN',
  india: 'IN',
  ind: 'IN',
  australia: 'AU',
  aus: 'AU'
};
const ISO2 = new Set(Object.values(COUNTRIES));

/**
 * Salesforce's standard Industry picklist values -> SAP industry keys. Industry keys are SAP
 * customizing (transaction BU_INDUSTRY / table TB023): adjust the right-hand side to your system.
 * A value missing here (a custom picklist value) is not sent rather than failing the account.
 */
export const INDUSTRY_KEYS: Readonly<Record<string, string>> = {
  Agriculture: 'AGRI',
  Apparel: 'APPA',
  Banking: 'BANK',
  Biotechnology: 'BIOT',
  Chemicals: 'CHEM',
  Communications: 'COMM',
  Construction: 'CONS',
  Consulting: 'CNSL',
  Education: 'EDUC',
  Electronics: 'ELEC',
  Energy: 'ENER',
  Engineering: 'ENGI',
  Entertainment: 'ENTE',
  Environmental: 'ENVI',
  Finance: 'FINA',
  'Food & Beverage': 'FOOD',
  Government: 'GOVT',
  Healthcare: 'HLTH',
  Hospitality: 'HOSP',
  Insurance: 'INSU',
  Machinery: 'MACH',
  Manufacturing: 'MANU',
  Media: 'MEDI',
  'Not For Profit': 'NPRO',
  Recreation: 'RECR',
  Retail: 'RETA',
  Shipping: 'SHIP',
  Technology: 'TECH',
  Telecommunications: 'TELE',
  Transportation: 'TRAN',
  Utilities: 'UTIL',
  Other: 'OTHR'
};

export class MappingError extends Error {
  readonly permanent = true;
  constructor(readonly problems: string[]) {
    super(`Account cannot be sent to SAP: ${problems.join('; ')}`);
    this.name = 'MappingError';
  }
}

export interface BusinessPartnerAddress {
  Country: string;
  CityName?: string;
  StreetName?: string;
  PostalCode?: string;
  Region?: string;
  to_PhoneNumber?: { results: Array<{ PhoneNumber: string }> };
  to_URLAddress?: { results: Array<{ WebsiteURL: string }> };
}

export interface BusinessPartnerPayload {
  BusinessPartnerCategory: '2';
  OrganizationBPName1: string;
  OrganizationBPName2?: string;
  SearchTerm1: string;
  Industry?: string;
  to_BusinessPartnerAddress: { results: [BusinessPartnerAddress] };
  to_BusinessPartnerTax?: { results: Array<{ BPTaxType: string; BPTaxNumber: string }> };
  to_BusinessPartnerRole: { results: Array<{ BusinessPartnerRole: string }> };
}

const ID_SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/**
 * The 18-character form of a Salesforce id: the 15-character id plus Salesforce's checksum of
 * its letter case (one character per 5, a bit per upper-case letter). Unlike the 15-character
 * id it is unique when compared case-insensitively.
 */
export function id18(id: string): string {
  if (id.length !== 15) return id;
  let suffix = '';
  for (let block = 0; block < 3; block++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id.charAt(block * 5 + i);
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += ID_SUFFIX_CHARS.charAt(bits);
  }
  return id + suffix;
}

/**
 * The deterministic lookup key of an account in SAP: its 18-character id (fits SearchTerm1).
 * SAP stores search terms in upper case, so the key is compared case-insensitively (isSearchTermOf) and searched for in upper case (SapClient.findBySearchTerm).
 */
export function searchTermFor(accountId: string): string {
  return id18(accountId).slice(-SAP_LIMITS.searchTerm);
}

/** SearchTerm1 as SAP returns it (upper case) names this account. */
export function isSearchTermOf(searchTerm: unknown, accountId: string): boolean {
  return (
    typeof searchTerm === 'string' &&
    searchTerm.toUpperCase() === searchTermFor(accountId).toUpperCase()
  );
}

function clean(value: string | null | undefined): string | undefined {
  const trimmed = value?.replace(/\s+/g, ' ').trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** Cuts `text` at `max` characters, at the last word boundary when there is one. */
export function cutAtWord(text: string, max: number): [string, string] {
  if (text.length <= max) return [text, ''];
  const space = text.lastIndexOf(' ', max);
  const cut = space > 0 ? space : max;
  return [text.slice(0, cut).trimEnd(), text.slice(cut).trimStart()];
}

export function splitName(name: string): { name1: string; name2?: string } {
  const [name1, rest] = cutAtWord(name, SAP_LIMITS.name);
  if (rest === '') return { name1 };
  return { name1, name2: cutAtWord(rest, SAP_LIMITS.name)[0] };
}

export function countryCode(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (upper.length === 2 && (ISO2.has(upper) || /^[A-Z]{2}$/.test(upper))) return upper;
  return COUNTRIES[value.toLowerCase()];
}

/** Maps and validates; throws MappingError (permanent) listing every problem. */
export function toBusinessPartner(account: SalesforceAccount): BusinessPartnerPayload {
  const problems: string[] = [];
  const name = clean(account.Name);
  if (name === undefined) problems.push('Name is required');
  const countryText = clean(account.BillingCountry);
  const country = countryCode(countryText);
  if (countryText === undefined) problems.push('Billing Country is required by SAP');
  else if (country === undefined)
    problems.push(`Billing Country "${countryText}" is not a known country (use an ISO code)`);
  const postalCode = clean(account.BillingPostalCode);
  if (postalCode !== undefined && postalCode.length > SAP_LIMITS.postalCode)
    problems.push(
      `Billing Postal Code "${postalCode}" is longer than ${SAP_LIMITS.postalCode} characters`
    );
  const phone = clean(account.Phone);
  if (phone !== undefined && phone.length > SAP_LIMITS.phone)
    problems.push(`Phone is longer than ${SAP_LIMITS.phone} characters`);
  const website = clean(account.Website);
  if (website !== undefined && website.length > SAP_LIMITS.website)
    problems.push(`Website is longer than ${SAP_LIMITS.website} characters`);
  const vat = clean(account.VAT_Number__c);
  if (vat !== undefined && vat.length > SAP_LIMITS.taxNumber)
    problems.push(`VAT Number is longer than ${SAP_LIMITS.taxNumber} characters`);
  if (problems.length > 0 || name === undefined || country === undefined)
    throw new MappingError(problems);

  const { name1, name2 } = splitName(name);
  const address: BusinessPartnerAddress = { Country: country };
  const city = clean(account.BillingCity);
  if (city !== undefined) address.CityName = city.slice(0, SAP_LIMITS.city);
  const street = clean(account.BillingStreet);
  if (street !== undefined) address.StreetName = street.slice(0, SAP_LIMITS.street);
  if (postalCode !== undefined) address.PostalCode = postalCode;
  const region = clean(account.BillingState);
  if (region !== undefined && region.length <= SAP_LIMITS.region)
    address.Region = region.toUpperCase();
  if (phone !== undefined) address.to_PhoneNumber = { results: [{ PhoneNumber: phone }] };
  if (website !== undefined) address.to_URLAddress = { results: [{ WebsiteURL: website }] };

  const payload: BusinessPartnerPayload = {
    BusinessPartnerCategory: '2',
    OrganizationBPName1: name1,
    SearchTerm1: searchTermFor(account.Id),
    to_BusinessPartnerAddress: { results: [address] },
    to_BusinessPartnerRole: { results: [{ BusinessPartnerRole: 'FLCU01' }] }
  };
  if (name2 !== undefined) payload.OrganizationBPName2 = name2;
  const industry = INDUSTRY_KEYS[clean(account.Industry) ?? ''];
  if (industry !== undefined) payload.Industry = industry;
  if (vat !== undefined)
    payload.to_BusinessPartnerTax = { results: [{ BPTaxType: 'DE0', BPTaxNumber: vat }] };
  return payload;
}

/** The header fields an update PATCHes on A_BusinessPartner. */
export function headerUpdate(payload: BusinessPartnerPayload): Record<string, string> {
  return {
    OrganizationBPName1: payload.OrganizationBPName1,
    OrganizationBPName2: payload.OrganizationBPName2 ?? '',
    SearchTerm1: payload.SearchTerm1,
    // An industry without a key is left as SAP has it rather than cleared.
    ...(payload.Industry === undefined ? {} : { Industry: payload.Industry })
  };
}

/** The address fields an update PATCHes on A_BusinessPartnerAddress. */
export function addressUpdate(payload: BusinessPartnerPayload): Record<string, string> {
  const a = payload.to_BusinessPartnerAddress.results[0];
  return {
    Country: a.Country,
    CityName: a.CityName ?? '',
    StreetName: a.StreetName ?? '',
    PostalCode: a.PostalCode ?? '',
    Region: a.Region ?? ''
  };
}
