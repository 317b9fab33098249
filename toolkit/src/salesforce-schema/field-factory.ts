/**
 * Builders for FieldDescribe values with the defaults Salesforce's describe reports, so the
 * standard-object catalogue and the metadata loader state only what differs per field.
 */
import type { FieldDescribe, FieldType, PicklistValue, SObjectKind } from './model.ts';

export type FieldOptions = Partial<Omit<FieldDescribe, 'name' | 'type'>>;

/** Characters a field of each type holds when the metadata does not say (describe `length`). */
const DEFAULT_LENGTH: Partial<Record<FieldType, number>> = {
  id: 18,
  reference: 18,
  string: 255,
  textarea: 255,
  email: 80,
  phone: 40,
  url: 255,
  picklist: 255,
  multipicklist: 4099,
  encryptedstring: 175
};

/** `Billing_City__c` -> `Billing City`: the label Salesforce derives when none is given. */
export function labelFromName(name: string): string {
  return name
    .replace(/__(c|r|e|mdt|s)$/, '')
    .replace(/_/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .trim();
}

/**
 * A field with describe's defaults. `required` is derived as Salesforce defines it (not
 * nillable, createable, no default value) unless given explicitly (e.g. OwnerId, which the
 * platform defaults on create).
 */
export function makeField(
  name: string,
  type: FieldType,
  options: FieldOptions = {}
): FieldDescribe {
  const nillable = options.nillable ?? type !== 'boolean';
  const createable =
    options.createable ?? (type !== 'id' && type !== 'address' && type !== 'location');
  const autoNumber = options.autoNumber ?? false;
  const defaultValue = options.defaultValue ?? (type === 'boolean' ? false : null);
  const field: FieldDescribe = {
    name,
    label: options.label ?? labelFromName(name),
    type,
    length: options.length ?? DEFAULT_LENGTH[type] ?? 0,
    precision: options.precision ?? 0,
    scale: options.scale ?? 0,
    custom: options.custom ?? name.endsWith('__c'),
    nillable,
    createable,
    updateable: options.updateable ?? createable,
    required:
      options.required ??
      (!nillable && createable && defaultValue === null && !autoNumber && type !== 'boolean'),
    unique: options.unique ?? false,
    caseSensitive: options.caseSensitive ?? false,
    externalId: options.externalId ?? false,
    idLookup: options.idLookup ?? (type === 'id' || (options.externalId ?? false)),
    autoNumber,
    calculated: options.calculated ?? false,
    defaultValue,
    picklistValues: options.picklistValues ?? [],
    restrictedPicklist: options.restrictedPicklist ?? false,
    referenceTo: options.referenceTo ?? [],
    relationshipName: options.relationshipName ?? null
  };
  if (options.displayFormat !== undefined) field.displayFormat = options.displayFormat;
  if (options.childRelationshipName !== undefined) {
    field.childRelationshipName = options.childRelationshipName;
  }
  if (options.deleteConstraint !== undefined) field.deleteConstraint = options.deleteConstraint;
  if (options.writeRequiresMasterRead) field.writeRequiresMasterRead = true;
  if (options.compoundFieldName !== undefined) field.compoundFieldName = options.compoundFieldName;
  if (options.referenceTargetField !== undefined) {
    field.referenceTargetField = options.referenceTargetField;
  }
  if (options.nameField ?? name === 'Name') field.nameField = true;
  return field;
}

/** Picklist entries from plain values; `defaultValue` marks the one preselected on create. */
export function picklistValues(values: readonly string[], defaultValue?: string): PicklistValue[] {
  return values.map((value) => ({
    value,
    label: value,
    active: true,
    defaultValue: value === defaultValue
  }));
}

const READ_ONLY: FieldOptions = { createable: false, updateable: false, nillable: false };

function userReference(name: string, label: string, relationshipName: string): FieldDescribe {
  return makeField(name, 'reference', {
    ...READ_ONLY,
    label,
    referenceTo: ['User'],
    relationshipName
  });
}

/** Id, audit fields and IsDeleted that every queryable object carries. */
export function auditFields(): {
  id: (label: string) => FieldDescribe;
  isDeleted: FieldDescribe;
  created: FieldDescribe[];
  modified: FieldDescribe[];
  systemModstamp: FieldDescribe;
} {
  return {
    id: (label) => makeField('Id', 'id', { ...READ_ONLY, label }),
    isDeleted: makeField('IsDeleted', 'boolean', { ...READ_ONLY, label: 'Deleted' }),
    created: [
      makeField('CreatedDate', 'datetime', { ...READ_ONLY, label: 'Created Date' }),
      userReference('CreatedById', 'Created By ID', 'CreatedBy')
    ],
    modified: [
      makeField('LastModifiedDate', 'datetime', { ...READ_ONLY, label: 'Last Modified Date' }),
      userReference('LastModifiedById', 'Last Modified By ID', 'LastModifiedBy')
    ],
    systemModstamp: makeField('SystemModstamp', 'datetime', {
      ...READ_ONLY,
      label: 'System Modstamp'
    })
  };
}

/**
 * OwnerId: writable, never null, defaulted to the creating user (so not `required`).
 * Custom objects and most standard ones can be owned by a queue as well as a user.
 */
export function ownerField(referenceTo: string[] = ['Group', 'User']): FieldDescribe {
  return makeField('OwnerId', 'reference', {
    label: 'Owner ID',
    nillable: false,
    required: false,
    referenceTo,
    relationshipName: 'Owner'
  });
}

/**
 * The system fields of an object, in the order describe lists them, around `own` (its Name and
 * other fields). Platform events and custom metadata types have their own sets.
 */
export function withSystemFields(
  kind: SObjectKind,
  idLabel: string,
  own: FieldDescribe[],
  options: { owned: boolean; audit?: 'full' | 'modstamp' }
): FieldDescribe[] {
  const audit = auditFields();
  if (kind === 'platformEvent') {
    return [
      makeField('ReplayId', 'string', { createable: false, updateable: false, label: 'Replay ID' }),
      audit.created[0] as FieldDescribe,
      audit.created[1] as FieldDescribe,
      makeField('EventUuid', 'string', {
        createable: false,
        updateable: false,
        length: 36,
        label: 'Event UUID'
      }),
      ...own
    ];
  }
  if (kind === 'customMetadata') {
    const text = (name: string, label: string, length: number, nillable = false): FieldDescribe =>
      makeField(name, 'string', { label, length, nillable, required: false });
    return [
      audit.id(idLabel),
      text('DeveloperName', 'Custom Metadata Record Name', 40),
      text('MasterLabel', 'Label', 40),
      makeField('Language', 'picklist', {
        label: 'Master Language',
        nillable: false,
        required: false,
        defaultValue: 'en_US',
        picklistValues: picklistValues(['en_US'], 'en_US')
      }),
      text('NamespacePrefix', 'Namespace Prefix', 15, true),
      text('Label', 'Label', 40),
      makeField('QualifiedApiName', 'string', {
        label: 'Qualified API Name',
        length: 70,
        createable: false,
        updateable: false
      }),
      audit.systemModstamp,
      ...own
    ];
  }
  if (kind === 'external') {
    // Salesforce Connect's standard fields: the external system's key (ExternalId, the
    // External ID standard field) and the link to the row in that system (DisplayUrl).
    return [
      audit.id(idLabel),
      makeField('ExternalId', 'string', {
        label: 'External ID',
        length: 255,
        createable: false,
        updateable: false,
        externalId: true,
        idLookup: true
      }),
      makeField('DisplayUrl', 'url', {
        label: 'Display URL',
        length: 1000,
        createable: false,
        updateable: false
      }),
      ...own
    ];
  }
  const head = [audit.id(idLabel)];
  if (options.owned) head.push(ownerField());
  head.push(audit.isDeleted);
  const tail =
    options.audit === 'modstamp'
      ? [audit.systemModstamp]
      : [...audit.created, ...audit.modified, audit.systemModstamp];
  const names = new Set(own.map((f) => f.name));
  const [nameFields, rest] = [
    own.filter((f) => f.name === 'Name'),
    own.filter((f) => f.name !== 'Name')
  ];
  return [
    ...head.filter((f) => !names.has(f.name)),
    ...nameFields,
    ...tail.filter((f) => !names.has(f.name)),
    ...rest
  ];
}
