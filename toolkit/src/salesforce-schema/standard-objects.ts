/**
 * The standard objects the scenarios use, with the fields, types, lengths, required flags and
 * key prefixes a real org describes (a subset of each object's fields: the ones integrations
 * read or write, per the Object Reference for the Salesforce Platform), plus the activity
 * objects (activity-objects.ts), RecordType and Group (setup-objects.ts) and the fields objects
 * share (shared-fields.ts). Custom fields from the project's metadata are added by the loader.
 */
import type { SObjectDescribe } from './model.ts';
import { ACTIVITY_OBJECTS } from './activity-objects.ts';
import type { StandardObjectSpec } from './catalogue-fields.ts';
import {
  address,
  CREATE_ONLY,
  fullName,
  INDUSTRIES,
  LEAD_SOURCES,
  picklist,
  READ_ONLY,
  reference,
  REQUIRED,
  text,
  textArea,
  typed,
  values
} from './catalogue-fields.ts';
import { ownerField, withSystemFields } from './field-factory.ts';
import { SETUP_OBJECTS } from './setup-objects.ts';
import { sharedFields } from './shared-fields.ts';

const SALUTATIONS = ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.'];

/** Why and when mail to a Contact or Lead last bounced. */
const EMAIL_BOUNCES = [
  text('EmailBouncedReason', 255, { label: 'Email Bounced Reason' }),
  typed('EmailBouncedDate', 'datetime', { label: 'Email Bounced Date' }),
  typed('IsEmailBounced', 'boolean', { ...READ_ONLY, label: 'Is Email Bounced' })
];

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
      textArea('Description', 32000, { label: 'Account Description' }),
      picklist('Ownership', ['Public', 'Private', 'Subsidiary', 'Other']),
      text('TickerSymbol', 20, { label: 'Ticker Symbol' }),
      text('JigsawCompanyId', 20, { ...READ_ONLY, label: 'Jigsaw Company ID' }),
      text('DunsNumber', 9, { label: 'D-U-N-S Number' }),
      text('Tradestyle', 255),
      text('NaicsCode', 8, { label: 'NAICS Code' }),
      text('NaicsDesc', 120, { label: 'NAICS Description' }),
      text('YearStarted', 4, { label: 'Year Started' }),
      text('SicDesc', 80, { label: 'SIC Description' })
    ]
  },
  {
    name: 'Contact',
    label: 'Contact',
    labelPlural: 'Contacts',
    keyPrefix: '003',
    ownerTo: ['User'],
    fields: [
      // An account's contacts go with it ("Account-Contact is a cascade-delete lookup").
      reference('AccountId', 'Account', 'Account', {
        label: 'Account ID',
        childRelationshipName: 'Contacts',
        deleteConstraint: 'Cascade'
      }),
      text('LastName', 80, { ...REQUIRED, label: 'Last Name' }),
      text('FirstName', 40, { label: 'First Name' }),
      picklist('Salutation', SALUTATIONS),
      fullName(121),
      ...address('Other', 'Other'),
      ...address('Mailing', 'Mailing'),
      typed('Phone', 'phone', { label: 'Business Phone' }),
      typed('Fax', 'phone', { label: 'Business Fax' }),
      typed('MobilePhone', 'phone', { label: 'Mobile Phone' }),
      typed('HomePhone', 'phone', { label: 'Home Phone' }),
      typed('OtherPhone', 'phone', { label: 'Other Phone' }),
      typed('AssistantPhone', 'phone', { label: 'Asst. Phone' }),
      text('AssistantName', 40, { label: "Assistant's Name" }),
      typed('Email', 'email'),
      text('Title', 128),
      text('Department', 80),
      typed('Birthdate', 'date'),
      reference('ReportsToId', 'Contact', 'ReportsTo', { label: 'Reports To ID' }),
      picklist('LeadSource', LEAD_SOURCES, { label: 'Lead Source' }),
      textArea('Description', 32000, { label: 'Contact Description' }),
      typed('LastCURequestDate', 'datetime', {
        ...READ_ONLY,
        label: 'Last Stay-in-Touch Request Date'
      }),
      typed('LastCUUpdateDate', 'datetime', {
        ...READ_ONLY,
        label: 'Last Stay-in-Touch Save Date'
      }),
      ...EMAIL_BOUNCES,
      text('JigsawContactId', 20, { ...READ_ONLY, label: 'Jigsaw Contact ID' })
    ]
  },
  {
    name: 'User',
    label: 'User',
    labelPlural: 'Users',
    keyPrefix: '005',
    // Users are deactivated, never deleted.
    deletable: false,
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
      ...address('', ''),
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
        childRelationshipName: 'ContentVersions',
        deleteConstraint: 'Cascade'
      }),
      text('Title', 255, { nameField: true }),
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
      text('Title', 255, { ...REQUIRED, nameField: true }),
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
      // A record's links go with it; its files stay.
      reference('LinkedEntityId', [], 'LinkedEntity', {
        ...CREATE_ONLY,
        ...REQUIRED,
        label: 'Linked Entity ID',
        childRelationshipName: 'ContentDocumentLinks',
        deleteConstraint: 'Cascade'
      }),
      reference('ContentDocumentId', 'ContentDocument', 'ContentDocument', {
        ...CREATE_ONLY,
        ...REQUIRED,
        label: 'ContentDocument ID',
        childRelationshipName: 'ContentDocumentLinks',
        deleteConstraint: 'Cascade'
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
      picklist('Salutation', SALUTATIONS),
      fullName(121),
      text('Company', 255, REQUIRED),
      text('Title', 128),
      typed('Email', 'email'),
      typed('Phone', 'phone'),
      typed('MobilePhone', 'phone', { label: 'Mobile Phone' }),
      typed('Fax', 'phone'),
      typed('Website', 'url'),
      ...address('', ''),
      picklist(
        'Status',
        values(
          'Open - Not Contacted|Working - Contacted|Closed - Converted|Closed - Not Converted'
        ),
        { nillable: false, preselected: 'Open - Not Contacted', label: 'Lead Status' }
      ),
      picklist('LeadSource', LEAD_SOURCES, { label: 'Lead Source' }),
      picklist('Industry', INDUSTRIES),
      picklist('Rating', ['Hot', 'Warm', 'Cold']),
      typed('AnnualRevenue', 'currency', { precision: 18, scale: 0, label: 'Annual Revenue' }),
      typed('NumberOfEmployees', 'int', { precision: 8, label: 'Employees' }),
      typed('IsConverted', 'boolean', { ...READ_ONLY, label: 'Converted' }),
      typed('ConvertedDate', 'date', { ...READ_ONLY, label: 'Converted Date' }),
      reference('ConvertedAccountId', 'Account', 'ConvertedAccount', {
        ...READ_ONLY,
        label: 'Converted Account ID'
      }),
      reference('ConvertedContactId', 'Contact', 'ConvertedContact', {
        ...READ_ONLY,
        label: 'Converted Contact ID'
      }),
      reference('ConvertedOpportunityId', 'Opportunity', 'ConvertedOpportunity', {
        ...READ_ONLY,
        label: 'Converted Opportunity ID'
      }),
      typed('IsUnreadByOwner', 'boolean', { label: 'Unread By Owner' }),
      textArea('Description', 32000),
      ...EMAIL_BOUNCES,
      text('JigsawContactId', 20, { ...READ_ONLY, label: 'Jigsaw Contact ID' }),
      text('CompanyDunsNumber', 9, { label: 'Company D-U-N-S Number' })
    ]
  },
  {
    name: 'Opportunity',
    label: 'Opportunity',
    labelPlural: 'Opportunities',
    keyPrefix: '006',
    ownerTo: ['User'],
    fields: [
      // An account's opportunities go with it.
      reference('AccountId', 'Account', 'Account', {
        label: 'Account ID',
        childRelationshipName: 'Opportunities',
        deleteConstraint: 'Cascade'
      }),
      typed('IsPrivate', 'boolean', { label: 'Private' }),
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
      typed('IsWon', 'boolean', { ...READ_ONLY, label: 'Won' }),
      text('NextStep', 255, { label: 'Next Step' }),
      typed('ExpectedRevenue', 'currency', {
        ...READ_ONLY,
        precision: 18,
        scale: 2,
        label: 'Expected Amount'
      }),
      picklist('ForecastCategoryName', values('Omitted|Pipeline|Best Case|Commit|Closed'), {
        label: 'Forecast Category'
      }),
      typed('FiscalQuarter', 'int', { ...READ_ONLY, precision: 11, label: 'Fiscal Quarter' }),
      typed('FiscalYear', 'int', { ...READ_ONLY, precision: 11, label: 'Fiscal Year' }),
      text('Fiscal', 6, { ...READ_ONLY, label: 'Fiscal Period' }),
      typed('HasOpportunityLineItem', 'boolean', { ...READ_ONLY, label: 'Has Line Item' })
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
        label: 'Case Number',
        nameField: true
      }),
      // Accounts and contacts with cases cannot be deleted (DELETE_FAILED naming the cases).
      reference('ContactId', 'Contact', 'Contact', {
        label: 'Contact ID',
        childRelationshipName: 'Cases',
        deleteConstraint: 'Restrict'
      }),
      reference('AccountId', 'Account', 'Account', {
        label: 'Account ID',
        childRelationshipName: 'Cases',
        deleteConstraint: 'Restrict'
      }),
      reference('ParentId', 'Case', 'Parent', {
        label: 'Parent Case ID',
        childRelationshipName: 'Cases'
      }),
      text('SuppliedName', 80, { label: 'Web Name' }),
      typed('SuppliedEmail', 'email', { label: 'Web Email' }),
      text('SuppliedPhone', 40, { label: 'Web Phone' }),
      text('SuppliedCompany', 80, { label: 'Web Company' }),
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
      typed('IsClosed', 'boolean', { ...READ_ONLY, label: 'Closed' }),
      typed('ClosedDate', 'datetime', { ...READ_ONLY, label: 'Closed Date' }),
      typed('IsEscalated', 'boolean', { label: 'Escalated' })
    ]
  }
];

/** Objects whose Name is computed from FirstName and LastName (not writable). */
export const COMPOUND_NAME_OBJECTS: ReadonlySet<string> = new Set(['Contact', 'Lead', 'User']);

/**
 * Polymorphic references whose targets depend on the org's objects, filled in by the loader:
 * `any` data object (files linked to records, notes and attachments), or the objects with
 * `activities` (Account, Case, Opportunity and custom objects with activities enabled).
 */
export const OPEN_REFERENCES: ReadonlyArray<{
  object: string;
  field: string;
  targets: 'any' | 'activities';
}> = [
  { object: 'ContentVersion', field: 'FirstPublishLocationId', targets: 'any' },
  { object: 'ContentDocumentLink', field: 'LinkedEntityId', targets: 'any' },
  { object: 'Note', field: 'ParentId', targets: 'any' },
  { object: 'Attachment', field: 'ParentId', targets: 'any' },
  { object: 'Task', field: 'WhatId', targets: 'activities' },
  { object: 'Event', field: 'WhatId', targets: 'activities' }
];

/** The standard objects with activities (Task and Event WhatId can point at them). */
export const STANDARD_OBJECTS_WITH_ACTIVITIES = ['Account', 'Case', 'Opportunity'];

/** Key prefixes of standard objects not in the catalogue that metadata may extend. */
export const OTHER_STANDARD_PREFIXES: Readonly<Record<string, string>> = {
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
  return [...SPECS, ...ACTIVITY_OBJECTS, ...SETUP_OBJECTS].map((spec) => {
    const own = [...spec.fields, ...sharedFields(spec.name)];
    if (spec.ownerTo) own.push(ownerField(spec.ownerTo));
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
