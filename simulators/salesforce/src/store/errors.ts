/**
 * The errors a write can fail with, worded as a real org words them (REST API single-record
 * writes; sObject Collections report the same errorCode/message/fields per record). Errors the
 * platform reports from DML carry an explicit (possibly empty) `fields` list; request-level ones
 * (INVALID_FIELD, NOT_FOUND, JSON_PARSER_ERROR) none.
 */
import type { FieldDescribe, SObjectDescribe } from '../model.ts';
import { SalesforceApiError } from '../model.ts';

/**
 * A value the JSON deserializer cannot turn into the field's type. Salesforce answers
 * JSON_PARSER_ERROR (with a parser position this layer cannot know); `field`, `value` and
 * `expectedType` let Bulk API ingest word the same failure its own way.
 */
export class FieldValueError extends SalesforceApiError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expectedType: string,
    message: string
  ) {
    super(400, 'JSON_PARSER_ERROR', message);
    this.name = 'FieldValueError';
  }
}

/**
 * An upsert whose external id matched several records: HTTP 300, whose body in the real API is
 * the JSON array of the matching records' URLs (`/services/data/vXX.X/sobjects/<Object>/<id>`).
 */
export class MultipleMatchesError extends SalesforceApiError {
  constructor(
    readonly objectName: string,
    readonly keyField: string,
    readonly matchingIds: string[]
  ) {
    super(
      300,
      'MULTIPLE_CHOICES',
      `${keyField}: more than one record found for external id field: [${matchingIds.join(', ')}]`
    );
    this.name = 'MultipleMatchesError';
  }
}

/** Jackson's name for the JSON token a value arrived as (used in JSON_PARSER_ERROR messages). */
function jsonToken(value: unknown): string {
  if (typeof value === 'string') return 'VALUE_STRING';
  if (typeof value === 'boolean') return value ? 'VALUE_TRUE' : 'VALUE_FALSE';
  if (typeof value === 'number')
    return Number.isInteger(value) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT';
  if (Array.isArray(value)) return 'START_ARRAY';
  return 'START_OBJECT';
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return '[';
  if (typeof value === 'object' && value !== null) return '{';
  return String(value);
}

export const writeErrors = {
  unknownObject: () =>
    new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist'),

  /** A write the object does not allow through the API (custom metadata, Organization...). */
  objectNotWritable: (object: SObjectDescribe, operation: 'inserted' | 'updated' | 'deleted') =>
    new SalesforceApiError(
      400,
      'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY',
      `entity type cannot be ${operation}: ${object.label}`,
      []
    ),

  unknownField: (object: SObjectDescribe, field: string) =>
    new SalesforceApiError(
      400,
      'INVALID_FIELD',
      `No such column '${field}' on sobject of type ${object.name}`
    ),

  idInInsert: () =>
    new SalesforceApiError(
      400,
      'INVALID_FIELD',
      'The Id field should not be specified in the sobject data.'
    ),

  notWritable: (fields: string[]) =>
    new SalesforceApiError(
      400,
      'INVALID_FIELD_FOR_INSERT_UPDATE',
      `Unable to create/update fields: ${fields.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
      fields
    ),

  requiredMissing: (fields: string[]) =>
    new SalesforceApiError(
      400,
      'REQUIRED_FIELD_MISSING',
      `Required fields are missing: [${fields.join(', ')}]`,
      fields
    ),

  restrictedPicklist: (field: FieldDescribe, value: string) =>
    new SalesforceApiError(
      400,
      'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
      `${field.label}: bad value for restricted picklist field: ${value}`,
      [field.name]
    ),

  /** The message quotes the other record's 15-character id, as the platform does. */
  duplicateValue: (field: FieldDescribe, otherId: string) =>
    new SalesforceApiError(
      400,
      'DUPLICATE_VALUE',
      `duplicate value found: ${field.name} duplicates value on record with id: ${otherId.slice(0, 15)}`,
      []
    ),

  stringTooLong: (field: FieldDescribe, value: string) =>
    new SalesforceApiError(
      400,
      'STRING_TOO_LONG',
      `${field.label}: data value too large: ${value} (max length=${field.length})`,
      [field.name]
    ),

  numberOutOfRange: (field: FieldDescribe, value: number) =>
    new SalesforceApiError(
      400,
      'NUMBER_OUTSIDE_VALID_RANGE',
      `${field.label}: value outside of valid range on numeric field: ${value}`,
      [field.name]
    ),

  invalidEmail: (field: FieldDescribe, value: string) =>
    new SalesforceApiError(
      400,
      'INVALID_EMAIL_ADDRESS',
      `${field.label}: invalid email address: ${value}`,
      [field.name]
    ),

  wrongType: (field: FieldDescribe, expectedType: string, value: unknown) =>
    new FieldValueError(
      field.name,
      value,
      expectedType,
      `Cannot deserialize instance of ${expectedType} from ${jsonToken(value)} value ${shown(value)} or request may be missing a required field`
    ),

  bodyNotObject: (object: SObjectDescribe, value: unknown) =>
    new SalesforceApiError(
      400,
      'JSON_PARSER_ERROR',
      `Cannot deserialize instance of ${object.name} from ${jsonToken(value)} value ${shown(value)} or request may be missing a required field`
    ),

  /** A reference field holding something that is not a Salesforce id at all. */
  malformedReference: (field: FieldDescribe, value: unknown) =>
    new SalesforceApiError(
      400,
      'MALFORMED_ID',
      `${field.label}: id value of incorrect type: ${shown(value)}`,
      [field.name]
    ),

  /** A reference field holding a valid id of an object it cannot point at. */
  referenceOfWrongType: (field: FieldDescribe, value: string) =>
    new SalesforceApiError(
      400,
      'FIELD_INTEGRITY_EXCEPTION',
      `${field.label}: id value of incorrect type: ${value}`,
      [field.name]
    ),

  /** A reference to a well-formed id of the right object that names no record. */
  invalidCrossReference: () =>
    new SalesforceApiError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', []),

  referenceDeleted: () => new SalesforceApiError(400, 'ENTITY_IS_DELETED', 'entity is deleted', []),

  /** The record id of an update/delete is not an id of this object (`Account ID: ...`). */
  malformedRecordId: (object: SObjectDescribe, id: string) => {
    const label = object.fields.find((f) => f.name === 'Id')?.label ?? 'Record ID';
    return new SalesforceApiError(
      400,
      'MALFORMED_ID',
      `${label}: id value of incorrect type: ${id}`,
      ['Id']
    );
  },

  /**
   * A delete a Restrict lookup refuses. Worded as a real org answers (a REST response quoted in a
   * public integration: `[{"fields":[],"message":"Your attempt to delete Mr. Josh Davis could
   * not be completed because it is associated with the following cases.: 00001005\n",
   * "errorCode":"DELETE_FAILED"}]`; the same wording for entitlements in eltoroit/ETCopyData#48),
   * the children by name, separated by commas.
   */
  deleteRestricted: (parentName: string, childObject: SObjectDescribe, childNames: string[]) =>
    new SalesforceApiError(
      400,
      'DELETE_FAILED',
      `Your attempt to delete ${parentName} could not be completed because it is associated with the following ${childObject.labelPlural.toLowerCase()}.: ${childNames.join(', ')}\n`,
      []
    ),

  recordNotFound: () =>
    new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist'),

  recordDeleted: () => new SalesforceApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []),

  notUpsertKey: (field: string) =>
    new SalesforceApiError(
      404,
      'NOT_FOUND',
      `Provided external ID field does not exist or is not accessible: ${field}`
    ),

  foreignKeyNotFound: (value: unknown, field: string, object: string) =>
    new SalesforceApiError(
      400,
      'INVALID_FIELD',
      `Foreign key external ID: ${shown(value)} not found for field ${field} in entity ${object}`
    ),

  foreignKeyAmbiguous: (value: unknown, field: string, object: string) =>
    new SalesforceApiError(
      400,
      'INVALID_FIELD',
      `Foreign key external ID: ${shown(value)} matched more than one record for field ${field} in entity ${object}`
    )
};
