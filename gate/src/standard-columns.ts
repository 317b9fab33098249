/*
 * Standard columns of list views and related lists, as Salesforce writes them in metadata: not
 * API field names but the legacy upper-case column names of the list view engine (`NAME`,
 * `CREATED_DATE`, `ACCOUNT.ADDRESS1_STATE`, `CORE.USERS.ALIAS`). No package ships them and the
 * describe does not report them, so this table lists the ones Salesforce writes into list views
 * and layouts retrieved from an org, for the objects this project shows lists of (Account,
 * Contact and custom objects). A column the table lacks is reported as a warning, not an error:
 * the table may be short of a real column. Extend it when Salesforce writes a new one.
 */

/** Columns every custom object's lists offer (its standard fields). */
const CUSTOM_OBJECT_COLUMNS = [
  'NAME',
  'RECORDTYPE',
  'CREATED_DATE',
  'CREATEDBY_USER',
  'CREATEDBY_USER.ALIAS',
  'LAST_UPDATE',
  'UPDATEDBY_USER',
  'UPDATEDBY_USER.ALIAS',
  'LAST_ACTIVITY',
  'OWNER.ALIAS',
  'OWNER.FIRST_NAME',
  'OWNER.LAST_NAME',
  'CURRENCY_ISO_CODE'
];

/** The owner and audit columns standard objects share. */
const STANDARD_OBJECT_COMMON = [
  'CORE.USERS.ALIAS',
  'CORE.USERS.FIRST_NAME',
  'CORE.USERS.LAST_NAME',
  'CORE.USERS.FULL_NAME',
  'CREATEDBY_USER.ALIAS',
  'UPDATEDBY_USER.ALIAS'
];

/** `ACCOUNT.ADDRESS1_STREET` ... for billing (1) and shipping or mailing (2) addresses. */
function addresses(prefix: string): string[] {
  return ['1', '2'].flatMap((n) =>
    ['STREET', 'CITY', 'STATE', 'STATE_CODE', 'ZIP', 'COUNTRY', 'COUNTRY_CODE'].map(
      (part) => `${prefix}.ADDRESS${n}_${part}`
    )
  );
}

const ACCOUNT_COLUMNS = [
  ...[
    'NAME',
    'SITE',
    'TYPE',
    'RECORDTYPE',
    'PHONE1',
    'PHONE2',
    'URL',
    'INDUSTRY',
    'RATING',
    'EMPLOYEES',
    'SALES',
    'ACCOUNT_NUMBER',
    'ACCOUNT_SOURCE',
    'OWNERSHIP',
    'TICKER',
    'SIC',
    'DESCRIPTION',
    'CREATED_DATE',
    'LAST_UPDATE',
    'LAST_ACTIVITY',
    'CURRENCY_ISO_CODE'
  ].map((c) => `ACCOUNT.${c}`),
  ...addresses('ACCOUNT'),
  'PARENT.NAME',
  ...STANDARD_OBJECT_COMMON
];

const CONTACT_COLUMNS = [
  'FULL_NAME',
  ...[
    'FIRST_NAME',
    'LAST_NAME',
    'SALUTATION',
    'TITLE',
    'DEPARTMENT',
    'EMAIL',
    'PHONE1',
    'PHONE2',
    'PHONE3',
    'PHONE4',
    'PHONE5',
    'PHONE6',
    'BIRTHDATE',
    'LEAD_SOURCE',
    'DESCRIPTION',
    'RECORDTYPE',
    'CREATED_DATE',
    'LAST_UPDATE',
    'LAST_ACTIVITY',
    'CURRENCY_ISO_CODE'
  ].map((c) => `CONTACT.${c}`),
  ...addresses('CONTACT'),
  'ACCOUNT.NAME',
  ...STANDARD_OBJECT_COMMON
];

const BY_OBJECT = new Map<string, Set<string>>([
  ['account', new Set(ACCOUNT_COLUMNS)],
  ['contact', new Set(CONTACT_COLUMNS)]
]);
const CUSTOM = new Set(CUSTOM_OBJECT_COLUMNS);

/**
 * The standard columns the table knows for `objectName`, or undefined when it has none for the
 * object (its columns are then not judged).
 */
export function standardColumns(objectName: string): ReadonlySet<string> | undefined {
  if (/__c$/i.test(objectName)) return CUSTOM;
  return BY_OBJECT.get(objectName.toLowerCase());
}

/**
 * Related lists every object with the feature has, whatever its references: activities,
 * histories, files, notes and attachments, approvals (layout names and the child relationship
 * names record pages use).
 */
export const GENERIC_RELATED_LISTS = new Set(
  [
    'RelatedActivityList',
    'RelatedHistoryList',
    'RelatedEntityHistoryList',
    'RelatedNoteList',
    'RelatedFileList',
    'RelatedContentNoteList',
    'RelatedCombinedAttachmentList',
    'RelatedProcessHistoryList',
    'RelatedTopicsList',
    'ActivityHistories',
    'OpenActivities',
    'Histories',
    'AttachedContentDocuments',
    'AttachedContentNotes',
    'CombinedAttachments',
    'ContentDocumentLinks',
    'Attachments',
    'Notes',
    'NotesAndAttachments',
    'ProcessInstances',
    'ProcessSteps',
    'Tasks',
    'Events',
    'Feeds',
    'Shares',
    'TopicAssignments'
  ].map((n) => n.toLowerCase())
);
