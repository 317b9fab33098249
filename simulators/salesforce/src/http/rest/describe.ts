/**
 * The describe shapes of the REST API, rendered from the schema: the global describe entry
 * (`GET sobjects`, `GET sobjects/X`) and the full describe (`GET sobjects/X/describe`) with the
 * keys jsforce, the sf CLI and code generators read. Flags Salesforce derives (filterable,
 * groupable, soapType...) are derived the same way from the field type; the query ones come from
 * soql/field-kinds.ts, which the SOQL engine enforces.
 */
import type { FieldDescribe, FieldType, Schema, SfRecord, SObjectDescribe } from '../../model.ts';
import { aggregatable, filterable, groupable, sortable } from '../../soql/field-kinds.ts';
import { sobjectUrl } from './records.ts';

const SOAP_TYPES: Record<FieldType, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  string: 'xsd:string',
  textarea: 'xsd:string',
  email: 'xsd:string',
  phone: 'xsd:string',
  url: 'xsd:string',
  picklist: 'xsd:string',
  multipicklist: 'xsd:string',
  encryptedstring: 'xsd:string',
  boolean: 'xsd:boolean',
  int: 'xsd:int',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
  time: 'xsd:time',
  base64: 'xsd:base64Binary',
  address: 'urn:address',
  location: 'urn:location'
};

const TEXT_TYPES = new Set<FieldType>([
  'string',
  'textarea',
  'email',
  'phone',
  'url',
  'picklist',
  'multipicklist',
  'encryptedstring'
]);

function byteLength(field: FieldDescribe): number {
  if (field.type === 'id' || field.type === 'reference') return 18;
  if (TEXT_TYPES.has(field.type)) return field.length * 3;
  return 0;
}

function extraTypeInfo(object: SObjectDescribe, field: FieldDescribe): string | null {
  if (field.type === 'textarea') return 'plaintextarea';
  if (field.name === 'Name' && ['Contact', 'Lead', 'User'].includes(object.name)) {
    return 'personname';
  }
  return null;
}

/** Fields Salesforce fills on create without the caller (system fields, defaults, numbers). */
function defaultedOnCreate(field: FieldDescribe): boolean {
  if (field.autoNumber) return true;
  if (field.defaultValue !== null && field.defaultValue !== undefined) return true;
  if (field.picklistValues.some((value) => value.defaultValue)) return true;
  return [
    'Id',
    'OwnerId',
    'CreatedDate',
    'CreatedById',
    'LastModifiedDate',
    'LastModifiedById',
    'SystemModstamp',
    'IsDeleted'
  ].includes(field.name);
}

function isNameField(object: SObjectDescribe, field: FieldDescribe): boolean {
  return object.kind !== 'platformEvent' && field.nameField === true;
}

export function describeField(
  object: SObjectDescribe,
  field: FieldDescribe
): Record<string, unknown> {
  return {
    aggregatable: aggregatable(field),
    aiPredictionField: false,
    autoNumber: field.autoNumber,
    byteLength: byteLength(field),
    calculated: field.calculated,
    calculatedFormula: null,
    cascadeDelete: field.deleteConstraint === 'Cascade',
    caseSensitive: field.caseSensitive,
    compoundFieldName: field.compoundFieldName ?? null,
    controllerName: null,
    createable: field.createable,
    custom: field.custom,
    defaultValue:
      field.type === 'boolean' ? (field.defaultValue ?? false) : (field.defaultValue ?? null),
    defaultValueFormula: null,
    defaultedOnCreate: defaultedOnCreate(field),
    dependentPicklist: false,
    deprecatedAndHidden: false,
    digits: field.type === 'int' ? field.precision : 0,
    displayLocationInDecimal: false,
    encrypted: field.type === 'encryptedstring',
    externalId: field.externalId,
    extraTypeInfo: extraTypeInfo(object, field),
    filterable: filterable(field),
    filteredLookupInfo: null,
    formulaTreatNullNumberAsZero: false,
    groupable: groupable(field),
    highScaleNumber: false,
    htmlFormatted: false,
    idLookup: field.idLookup,
    inlineHelpText: null,
    label: field.label,
    length: field.length,
    mask: null,
    maskType: null,
    name: field.name,
    nameField: isNameField(object, field),
    namePointing: field.referenceTo.length > 1,
    nillable: field.nillable,
    permissionable: field.custom && field.nillable && !field.required,
    picklistValues: field.picklistValues.map((value) => ({
      active: value.active,
      defaultValue: value.defaultValue,
      label: value.label,
      validFor: null,
      value: value.value
    })),
    polymorphicForeignKey: field.referenceTo.length > 1,
    precision: field.precision,
    queryByDistance: false,
    referenceTargetField: null,
    referenceTo: [...field.referenceTo],
    relationshipName: field.relationshipName,
    relationshipOrder: null,
    restrictedDelete: field.deleteConstraint === 'Restrict',
    restrictedPicklist: field.restrictedPicklist,
    scale: field.scale,
    searchPrefilterable: false,
    soapType: SOAP_TYPES[field.type],
    sortable: sortable(field),
    type: field.type,
    unique: field.unique,
    updateable: field.updateable,
    writeRequiresMasterRead: field.writeRequiresMasterRead === true
  };
}

function isRecordObject(object: SObjectDescribe): boolean {
  return object.kind === 'standard' || object.kind === 'custom';
}

function objectUrls(version: string, object: SObjectDescribe): Record<string, string> {
  const base = sobjectUrl(version, object.name);
  const urls: Record<string, string> = {
    rowTemplate: `${base}/{ID}`,
    defaultValues: `${base}/defaultValues?recordTypeId&fields`,
    describe: `${base}/describe`,
    sobject: base
  };
  if (isRecordObject(object)) {
    urls.compactLayouts = `${base}/describe/compactLayouts`;
    urls.approvalLayouts = `${base}/describe/approvalLayouts`;
    urls.listviews = `${base}/listviews`;
    urls.quickActions = `${base}/quickActions`;
    urls.layouts = `${base}/describe/layouts`;
  }
  return urls;
}

/** The object-level flags shared by the global describe and the full describe. */
function objectFlags(version: string, object: SObjectDescribe): Record<string, unknown> {
  const records = isRecordObject(object);
  return {
    activateable: false,
    associateEntityType: null,
    associateParentEntity: null,
    createable: object.createable,
    custom: object.custom,
    customSetting: false,
    deepCloneable: false,
    deletable: object.deletable,
    deprecatedAndHidden: false,
    feedEnabled: false,
    hasSubtypes: false,
    isInterface: false,
    isSubtype: false,
    keyPrefix: object.keyPrefix,
    label: object.label,
    labelPlural: object.labelPlural,
    layoutable: records,
    mergeable: ['Account', 'Contact', 'Lead', 'Case'].includes(object.name),
    mruEnabled: records,
    name: object.name,
    queryable: object.queryable,
    replicateable: records && object.queryable,
    retrieveable: object.queryable,
    searchable: records,
    triggerable: object.kind !== 'customMetadata',
    undeletable: records && object.deletable,
    updateable: object.updateable,
    urls: objectUrls(version, object)
  };
}

/** One entry of `GET sobjects` (and `objectDescribe` of `GET sobjects/X`). */
export function describeGlobalEntry(
  version: string,
  object: SObjectDescribe
): Record<string, unknown> {
  return objectFlags(version, object);
}

/** `GET sobjects`: every object of the schema. */
export function describeGlobal(version: string, schema: Schema): Record<string, unknown> {
  return {
    encoding: 'UTF-8',
    maxBatchSize: 200,
    sobjects: schema
      .objects()
      .slice()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((object) => describeGlobalEntry(version, object))
  };
}

function describeChildRelationships(
  schema: Schema,
  object: SObjectDescribe
): Array<Record<string, unknown>> {
  return schema.childRelationships(object).map((relationship) => ({
    cascadeDelete: relationship.deleteConstraint === 'Cascade',
    childSObject: relationship.childObject.name,
    deprecatedAndHidden: false,
    field: relationship.field.name,
    junctionIdListNames: [],
    junctionReferenceTo: [],
    relationshipName: relationship.relationshipName,
    restrictedDelete: relationship.deleteConstraint === 'Restrict'
  }));
}

/** The Master record type every object has, by its fixed id. */
const MASTER_RECORD_TYPE = {
  Id: '012000000000000AAA',
  DeveloperName: 'Master',
  Name: 'Master',
  IsActive: true
};

/**
 * The object's record types (RecordType records), the first active one the default, then the
 * Master record type, which is the default only when there is no other.
 */
function recordTypeInfos(
  version: string,
  object: SObjectDescribe,
  recordTypes: readonly SfRecord[]
): Array<Record<string, unknown>> {
  const defaultId = recordTypes.find((type) => type.IsActive === true)?.Id ?? MASTER_RECORD_TYPE.Id;
  return [...recordTypes, MASTER_RECORD_TYPE].map((type) => ({
    active: type.IsActive === true,
    available: type.IsActive === true,
    defaultRecordTypeMapping: type.Id === defaultId,
    developerName: type.DeveloperName,
    master: type.Id === MASTER_RECORD_TYPE.Id,
    name: type.Name,
    recordTypeId: type.Id,
    urls: { layout: `${sobjectUrl(version, object.name)}/describe/layouts/${type.Id}` }
  }));
}

/** `GET sobjects/X/describe`; `recordTypes` are the object's RecordType records. */
export function describeObject(
  version: string,
  schema: Schema,
  object: SObjectDescribe,
  recordTypes: readonly SfRecord[]
): Record<string, unknown> {
  const records = isRecordObject(object);
  return {
    actionOverrides: [],
    ...objectFlags(version, object),
    childRelationships: records ? describeChildRelationships(schema, object) : [],
    compactLayoutable: records,
    defaultImplementation: null,
    extendedBy: null,
    extendsInterfaces: null,
    fields: object.fields.map((field) => describeField(object, field)),
    implementedBy: null,
    implementsInterfaces: null,
    listviewable: null,
    lookupLayoutable: null,
    namedLayoutInfos: [],
    networkScopeFieldName: null,
    recordTypeInfos: records ? recordTypeInfos(version, object, recordTypes) : [],
    searchLayoutable: records,
    supportedScopes: records
      ? [
          { label: 'All ' + object.labelPlural.toLowerCase(), name: 'everything' },
          { label: 'My ' + object.labelPlural.toLowerCase(), name: 'mine' }
        ]
      : [],
    sobjectDescribeOption: 'FULL'
  };
}
