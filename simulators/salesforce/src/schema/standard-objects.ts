/**
 * The standard objects the scenarios use, with the fields, types, lengths, required flags and
 * key prefixes a real org describes (a subset of each object's fields: the ones integrations
 * read or write). Custom fields from the project's metadata are added to these by the loader.
 */
import type { FieldDescribe, SObjectDescribe } from '../model.ts';
import type { FieldOptions } from './field-factory.ts';
import { makeField, picklistValues, withSystemFields } from './field-factory.ts';

const REQUIRED: FieldOptions = { nillable: false };
const READ_ONLY: FieldOptions = { createable: false, updateable: false };
const CREATE_ONLY: FieldOptions = { updateable: false };

const text = (name: string, length: number, options: FieldOptions = {}): FieldDescribe =>
  makeField(name, 'string', { length, ...options });
const textArea = (name: string, length = 255, options: FieldOptions = {}): FieldDescribe =>
  makeField(name, 'textarea', { length, ...options });
const picklist = (
  name: string,
  values: readonly string[],
  options: FieldOptions & { preselected?: string } = {}
): FieldDescribe => {
  const { preselected, ...rest } = options;
  return makeField(name, 'picklist', {
    picklistValues: picklistValues(values, preselected),
    defaultValue: preselected ?? null,
    ...rest
  });
};
const reference = (
  name: string,
  referenceTo: string | string[],
  relationshipName: string,
  options: FieldOptions = {}
): FieldDescribe =>
  makeField(name, 'reference', {
    referenceTo: Array.isArray(referenceTo) ? referenceTo : [referenceTo],
    relationshipName,
    ...options
  });
const typed = (
  name: string,
  type: FieldDescribe['type'],
  options: FieldOptions = {}
): FieldDescribe => makeField(name, type, options);

/** Street, City, State, PostalCode, Country of a compound address (`Billing`, `Mailing`...). */
function address(prefix: string, label: string): FieldDescribe[] {
  return [
    textArea(`${prefix}Street`, 255, { label: `${label} Street` }),
    text(`${prefix}City`, 40, { label: `${label} City` }),
    text(`${prefix}State`, 80, { label: `${label} State/Province` }),
    text(`${prefix}PostalCode`, 20, { label: `${label} Zip/Postal Code` }),
    text(`${prefix}Country`, 80, { label: `${label} Country` })
  ];
}

/** Name computed from FirstName + LastName, as on Contact, Lead and User. */
const fullName = (length: number): FieldDescribe =>
  text('Name', length, { ...READ_ONLY, label: 'Full Name', nillable: false });

const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];
/** Picklist values written compactly: `'A|B|C'`. */
const values = (list: string): string[] => list.split('|');

const INDUSTRIES = values(
  'Agriculture|Apparel|Banking|Biotechnology|Chemicals|Communications|Construction|Consulting|' +
    'Education|Electronics|Energy|Engineering|Entertainment|Environmental|Finance|' +
    'Food & Beverage|Government|Healthcare|Hospitality|Insurance|Machinery|Manufacturing|Media|' +
    'Not For Profit|Recreation|Retail|Shipping|Technology|Telecommunications|Transportation|' +
    'Utilities|Other'
);

interface StandardObjectSpec {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  /** Has an OwnerId (added here with its referenceTo). */
  ownerTo?: string[];
  /** `modstamp`: only SystemModstamp, no Created/LastModified fields (ContentDocumentLink). */
  audit?: 'full' | 'modstamp';
  createable?: boolean;
  updateable?: boolean;
  deletable?: boolean;
  fields: FieldDescribe[];
}

const SPECS: StandardObjectSpec[] = [
  {
    name: 'Account',
    label: 'Account',
    labelPlural: 'Accounts',
    keyPrefix: '001',
    ownerTo: ['User'],
    fields: [
      text('Name', 255, { ...REQUIRED, label: 'Account Name' }),
      picklist(
        'Type',
        values(
          'Prospect|Customer - Direct|Customer - Channel|Channel Partner / Reseller|' +
            'Installation Partner|Technology Partner|Other'
        ),
        { label: 'Account Type' }
      ),
      reference('ParentId', 'Account', 'Parent', {
        label: 'Parent Account ID',
        childRelationshipName: 'ChildAccounts'
      }),
      ...address('Billing', 'Billing'),
      ...address('Shipping', 'Shipping'),
      typed('Phone', 'phone', { label: 'Account Phone' }),
      typed('Fax', 'phone', { label: 'Account Fax' }),
      text('AccountNumber', 40, { label: 'Account Number' }),
      typed('Website', 'url'),
      text('Sic', 20, { label: 'SIC Code' }),
      picklist('Industry', INDUSTRIES),
      typed('AnnualRevenue', 'currency', { precision: 18, scale: 0, label: 'Annual Revenue' }),
      typed('NumberOfEmployees', 'int', { precision: 8, label: 'Employees' }),
      picklist('Rating', ['Hot', 'Warm', 'Cold'], { label: 'Account Rating' }),
      text('Site', 80, { label: 'Account Site' }),
      picklist('AccountSource', LEAD_SOURCES, { label: 'Account Source' }),
      textArea('Description', 32000, { label: 'Account Description' })
    ]
  },
  {
    name: 'Contact',
    label: 'Contact',
    labelPlural: 'Contacts',
    keyPrefix: '003',
    ownerTo: ['User'],
    fields: [
      reference('AccountId', 'Account', 'Account', {
        label: 'Account ID',
        childRelationshipName: 'Contacts'
      }),
      text('LastName', 80, { ...REQUIRED, label: 'Last Name' }),
      text('FirstName', 40, { label: 'First Name' }),
      picklist('Salutation', ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.']),
      fullName(121),
      ...address('Mailing', 'Mailing'),
      typed('Phone', 'phone', { label: 'Business Phone' }),
      typed('MobilePhone', 'phone', { label: 'Mobile Phone' }),
      typed('Email', 'email'),
      text('Title', 128),
      text('Department', 80),
      typed('Birthdate', 'date'),
      reference('ReportsToId', 'Contact', 'ReportsTo', { label: 'Reports To ID' }),
      picklist('LeadSource', LEAD_SOURCES, { label: 'Lead Source' }),
      textArea('Description', 32000, { label: 'Contact Description' })
    ]
  },
  {
    name: 'User',
    label: 'User',
    labelPlural: 'Users',
    keyPrefix: '005',
    fields: [
      text('Username', 80, { ...REQUIRED, unique: true, idLookup: true }),
      text('LastName', 80, { ...REQUIRED, label: 'Last Name' }),
      text('FirstName', 40, { label: 'First Name' }),
      fullName(121),
      typed('Email', 'email', { ...REQUIRED, length: 128 }),
      text('Alias', 8, REQUIRED),
      text('CommunityNickname', 40, { label: 'Nickname' }),
      typed('IsActive', 'boolean', { label: 'Active', defaultValue: true }),
      // Profile is not emulated: the id is kept as given (format-checked only).
      reference('ProfileId', 'Profile', 'Profile', { label: 'Profile ID' }),
      reference('ContactId', 'Contact', 'Contact', { label: 'Contact ID' }),
      text('FederationIdentifier', 512, { label: 'SAML Federation ID', idLookup: true }),
      text('TimeZoneSidKey', 40, { label: 'Time Zone', defaultValue: 'GMT' }),
      text('LocaleSidKey', 40, { label: 'Locale', defaultValue: 'en_US' }),
      text('LanguageLocaleKey', 40, { label: 'Language', defaultValue: 'en_US' }),
      text('EmailEncodingKey', 40, { label: 'Email Encoding', defaultValue: 'UTF-8' }),
      picklist('UserType', ['Standard', 'PowerPartner', 'CspLitePortal', 'CustomerSuccess'], {
        ...READ_ONLY,
        label: 'User Type',
        preselected: 'Standard'
      })
    ]
  },
  {
    name: 'Organization',
    label: 'Organization',
    labelPlural: 'Organizations',
    keyPrefix: '00D',
    createable: false,
    updateable: false,
    deletable: false,
    fields: [
      text('Name', 80, READ_ONLY),
      text('OrganizationType', 40, { ...READ_ONLY, label: 'Edition' }),
      text('InstanceName', 5, { ...READ_ONLY, label: 'Instance Name' }),
      typed('IsSandbox', 'boolean', { ...READ_ONLY, label: 'Is Sandbox' }),
      text('NamespacePrefix', 15, { ...READ_ONLY, label: 'Namespace Prefix' }),
      text('TimeZoneSidKey', 40, { ...READ_ONLY, label: 'Default Time Zone' }),
      // read by `sf org login access-token`; null outside trial orgs
      typed('TrialExpirationDate', 'datetime', { ...READ_ONLY, label: 'Trial Expiration Date' })
    ]
  },
  {
    name: 'ContentVersion',
    label: 'Content Version',
    labelPlural: 'Content Versions',
    keyPrefix: '068',
    ownerTo: ['User'],
    fields: [
      reference('ContentDocumentId', 'ContentDocument', 'ContentDocument', {
        ...CREATE_ONLY,
        label: 'ContentDocument ID',
        childRelationshipName: 'ContentVersions'
      }),
      text('Title', 255),
      text('PathOnClient', 500, { ...CREATE_ONLY, label: 'Path On Client' }),
      typed('VersionData', 'base64', { ...CREATE_ONLY, label: 'Version Data' }),
      typed('ContentUrl', 'url', { length: 1300, label: 'Content URL' }),
      textArea('Description', 1000),
      text('ReasonForChange', 1000, { label: 'Reason For Change' }),
      picklist('ContentLocation', ['S', 'E', 'L'], {
        ...CREATE_ONLY,
        label: 'Content Location',
        preselected: 'S'
      }),
      reference('FirstPublishLocationId', [], 'FirstPublishLocation', {
        ...CREATE_ONLY,
        label: 'First Publish Location ID'
      }),
      typed('IsLatest', 'boolean', { ...READ_ONLY, label: 'Is Latest' }),
      text('VersionNumber', 20, { ...READ_ONLY, label: 'Version Number' }),
      typed('ContentSize', 'int', { ...READ_ONLY, label: 'Size' }),
      text('FileType', 20, { ...READ_ONLY, label: 'File Type' }),
      text('FileExtension', 40, { label: 'File Extension' }),
      text('Checksum', 50, READ_ONLY)
    ]
  },
  {
    name: 'ContentDocument',
    label: 'Content Document',
    labelPlural: 'Content Documents',
    keyPrefix: '069',
    ownerTo: ['User'],
    createable: false,
    fields: [
      text('Title', 255, REQUIRED),
      reference('LatestPublishedVersionId', 'ContentVersion', 'LatestPublishedVersion', {
        ...READ_ONLY,
        label: 'Latest Published Version ID'
      }),
      textArea('Description', 1000),
      typed('ContentSize', 'int', { ...READ_ONLY, label: 'Size' }),
      text('FileType', 20, { ...READ_ONLY, label: 'File Type' }),
      text('FileExtension', 40, { ...READ_ONLY, label: 'File Extension' })
    ]
  },
  {
    name: 'ContentDocumentLink',
    label: 'Content Document Link',
    labelPlural: 'Content Document Link',
    keyPrefix: '06A',
    audit: 'modstamp',
    fields: [
      reference('LinkedEntityId', [], 'LinkedEntity', {
        ...CREATE_ONLY,
        ...REQUIRED,
        label: 'Linked Entity ID',
        childRelationshipName: 'ContentDocumentLinks'
      }),
      reference('ContentDocumentId', 'ContentDocument', 'ContentDocument', {
        ...CREATE_ONLY,
        ...REQUIRED,
        label: 'ContentDocument ID',
        childRelationshipName: 'ContentDocumentLinks'
      }),
      picklist('ShareType', ['V', 'C', 'I'], {
        ...REQUIRED,
        restrictedPicklist: true,
        label: 'Share Type'
      }),
      picklist('Visibility', ['AllUsers', 'InternalUsers', 'SharedUsers'], {
        restrictedPicklist: true,
        preselected: 'AllUsers'
      })
    ]
  },
  {
    name: 'Lead',
    label: 'Lead',
    labelPlural: 'Leads',
    keyPrefix: '00Q',
    ownerTo: ['Group', 'User'],
    fields: [
      text('LastName', 80, { ...REQUIRED, label: 'Last Name' }),
      text('FirstName', 40, { label: 'First Name' }),
      fullName(121),
      text('Company', 255, REQUIRED),
      text('Title', 128),
      typed('Email', 'email'),
      typed('Phone', 'phone'),
      ...address('', 'Address').map((f) => ({ ...f, label: f.label.replace('Address ', '') })),
      picklist(
        'Status',
        values(
          'Open - Not Contacted|Working - Contacted|Closed - Converted|Closed - Not Converted'
        ),
        { nillable: false, preselected: 'Open - Not Contacted', label: 'Lead Status' }
      ),
      picklist('LeadSource', LEAD_SOURCES, { label: 'Lead Source' }),
      picklist('Industry', INDUSTRIES),
      typed('IsConverted', 'boolean', { ...READ_ONLY, label: 'Converted' }),
      textArea('Description', 32000)
    ]
  },
  {
    name: 'Opportunity',
    label: 'Opportunity',
    labelPlural: 'Opportunities',
    keyPrefix: '006',
    ownerTo: ['User'],
    fields: [
      reference('AccountId', 'Account', 'Account', {
        label: 'Account ID',
        childRelationshipName: 'Opportunities'
      }),
      text('Name', 120, REQUIRED),
      textArea('Description', 32000),
      picklist(
        'StageName',
        values(
          'Prospecting|Qualification|Needs Analysis|Value Proposition|Id. Decision Makers|' +
            'Perception Analysis|Proposal/Price Quote|Negotiation/Review|Closed Won|Closed Lost'
        ),
        { ...REQUIRED, label: 'Stage' }
      ),
      typed('Amount', 'currency', { precision: 18, scale: 2 }),
      typed('Probability', 'percent', { precision: 3, scale: 0, label: 'Probability (%)' }),
      typed('CloseDate', 'date', { ...REQUIRED, label: 'Close Date' }),
      picklist(
        'Type',
        values(
          'Existing Customer - Upgrade|Existing Customer - Replacement|' +
            'Existing Customer - Downgrade|New Customer'
        ),
        { label: 'Opportunity Type' }
      ),
      picklist('LeadSource', LEAD_SOURCES, { label: 'Lead Source' }),
      typed('IsClosed', 'boolean', { ...READ_ONLY, label: 'Closed' }),
      typed('IsWon', 'boolean', { ...READ_ONLY, label: 'Won' })
    ]
  },
  {
    name: 'Case',
    label: 'Case',
    labelPlural: 'Cases',
    keyPrefix: '500',
    ownerTo: ['Group', 'User'],
    fields: [
      text('CaseNumber', 30, {
        ...READ_ONLY,
        nillable: false,
        autoNumber: true,
        displayFormat: '{00000000}',
        label: 'Case Number'
      }),
      reference('ContactId', 'Contact', 'Contact', {
        label: 'Contact ID',
        childRelationshipName: 'Cases'
      }),
      reference('AccountId', 'Account', 'Account', {
        label: 'Account ID',
        childRelationshipName: 'Cases'
      }),
      typed('SuppliedEmail', 'email', { label: 'Web Email' }),
      picklist('Type', ['Mechanical', 'Electrical', 'Electronic', 'Structural', 'Other'], {
        label: 'Case Type'
      }),
      picklist('Status', ['New', 'Working', 'Escalated', 'Closed'], { preselected: 'New' }),
      picklist(
        'Reason',
        values(
          'Installation|Equipment Complexity|Performance|Breakdown|Equipment Design|Feedback|Other'
        ),
        { label: 'Case Reason' }
      ),
      picklist('Origin', ['Phone', 'Email', 'Web'], { label: 'Case Origin' }),
      text('Subject', 255),
      picklist('Priority', ['High', 'Medium', 'Low'], { preselected: 'Medium' }),
      textArea('Description', 32000),
      typed('IsClosed', 'boolean', { ...READ_ONLY, label: 'Closed' })
    ]
  }
];

/** Objects whose Name is computed from FirstName and LastName (not writable). */
export const COMPOUND_NAME_OBJECTS: ReadonlySet<string> = new Set(['Contact', 'Lead', 'User']);

/**
 * Polymorphic references that may point at any record (ContentVersion.FirstPublishLocationId,
 * ContentDocumentLink.LinkedEntityId): filled by the loader with every queryable object.
 */
export const ANY_OBJECT_REFERENCES: ReadonlyArray<[object: string, field: string]> = [
  ['ContentVersion', 'FirstPublishLocationId'],
  ['ContentDocumentLink', 'LinkedEntityId']
];

/** Key prefixes of standard objects not in the catalogue that metadata may extend. */
export const OTHER_STANDARD_PREFIXES: Readonly<Record<string, string>> = {
  Task: '00T',
  Event: '00U',
  Campaign: '701',
  Contract: '800',
  Order: '801',
  Product2: '01t',
  Pricebook2: '01s',
  Asset: '02i',
  Individual: '0PK'
};

/** Fresh describes of the catalogue (callers add custom fields to them). */
export function standardObjects(): SObjectDescribe[] {
  return SPECS.map((spec) => {
    const own = spec.ownerTo
      ? [
          ...spec.fields,
          makeField('OwnerId', 'reference', {
            label: 'Owner ID',
            nillable: false,
            required: false,
            referenceTo: spec.ownerTo,
            relationshipName: 'Owner'
          })
        ]
      : spec.fields;
    return {
      name: spec.name,
      label: spec.label,
      labelPlural: spec.labelPlural,
      keyPrefix: spec.keyPrefix,
      kind: 'standard',
      custom: false,
      createable: spec.createable ?? true,
      updateable: spec.updateable ?? true,
      deletable: spec.deletable ?? true,
      queryable: true,
      fields: withSystemFields('standard', `${spec.label} ID`, own, {
        owned: false,
        audit: spec.audit ?? 'full'
      })
    };
  });
}
