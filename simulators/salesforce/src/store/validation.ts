/**
 * Turns the field map of a create/update request into validated, stored-form values, failing
 * the way the platform does: unknown field, field not writable, value of the wrong type, bad
 * picklist value, text too long, bad reference, required field missing.
 */
import type { FieldDescribe, Schema, SObjectDescribe } from '../model.ts';
import { normalizeId } from '../ids.ts';
import { writeErrors } from './errors.ts';
import { coerceValue } from './values.ts';

export type RecordStatus = 'live' | 'deleted' | 'missing';

/** What validation needs to know about stored records. */
export interface ValidationContext {
  schema: Schema;
  /** Whether a record with this (18-character) id exists, is in the recycle bin, or neither. */
  recordStatus(id: string): RecordStatus;
  /** Ids of live records of `object` whose `field` (an id-lookup field) holds `value`. */
  findByKey(object: SObjectDescribe, field: FieldDescribe, value: unknown): string[];
}

export interface WriteOptions {
  mode: 'insert' | 'update';
  /** System writes (seeds, fixtures of read-only objects) may set any field, and the Id. */
  system?: boolean;
  /** For updates: the record's id (an `Id` in the body must match it). */
  recordId?: string;
  /**
   * Inserts may set CreatedDate, CreatedById, LastModifiedDate and LastModifiedById, as a user
   * with the "Set Audit Fields upon Record Creation" permission can (fixtures of old records).
   */
  allowAuditFields?: boolean;
}

const AUDIT_FIELDS = new Set([
  'CreatedDate',
  'CreatedById',
  'LastModifiedDate',
  'LastModifiedById'
]);

export interface PreparedWrite {
  /** Field -> stored value (null = clear), in request order. */
  values: Map<FieldDescribe, unknown>;
  /** An Id given by a system insert. */
  id?: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A reference value must name a record of an object the field may point at, that exists. */
function checkReference(context: ValidationContext, field: FieldDescribe, id: string): void {
  const target = context.schema.objectForKeyPrefix(id.slice(0, 3));
  if (target === undefined) {
    // Objects the emulator does not model (Profile, Group, RecordType...) are accepted by format.
    if (field.referenceTo.some((name) => context.schema.getObject(name) === undefined)) return;
    throw writeErrors.referenceOfWrongType(field, id);
  }
  const allowed = field.referenceTo.some(
    (name) => name.toLowerCase() === target.name.toLowerCase()
  );
  if (!allowed) throw writeErrors.referenceOfWrongType(field, id);
  if (target.kind === 'platformEvent') throw writeErrors.referenceOfWrongType(field, id);
  const status = context.recordStatus(id);
  if (status === 'deleted') throw writeErrors.referenceDeleted();
  if (status === 'missing') throw writeErrors.invalidCrossReference();
}

/**
 * `"Account": {"SAP_Customer_Number__c": "42"}` in a Contact body: set AccountId to the Account
 * whose external id is 42 (a relationship written by foreign key).
 */
function resolveForeignKey(
  context: ValidationContext,
  field: FieldDescribe,
  value: Record<string, unknown>
): string {
  const typeName = isPlainObject(value.attributes) ? value.attributes.type : undefined;
  const targetName = typeof typeName === 'string' ? typeName : field.referenceTo[0];
  const target = targetName === undefined ? undefined : context.schema.getObject(targetName);
  if (target === undefined) throw writeErrors.wrongType(field, 'reference', value);
  const keys = Object.keys(value).filter((key) => key !== 'attributes');
  const [keyName] = keys;
  if (keys.length !== 1 || keyName === undefined)
    throw writeErrors.wrongType(field, 'reference', value);
  const keyField = context.schema.getField(target, keyName);
  if (keyField === undefined || !keyField.idLookup) throw writeErrors.unknownField(target, keyName);
  const keyValue = value[keyName];
  if (keyField.type === 'id') {
    const id = normalizeId(keyValue);
    if (id === undefined) throw writeErrors.malformedReference(field, keyValue);
    checkReference(context, field, id);
    return id;
  }
  const ids = context.findByKey(target, keyField, coerceValue(keyField, keyValue));
  if (ids.length === 0) throw writeErrors.foreignKeyNotFound(keyValue, keyField.name, target.name);
  if (ids.length > 1) throw writeErrors.foreignKeyAmbiguous(keyValue, keyField.name, target.name);
  return ids[0] as string;
}

/** Validates and coerces a request body for `object`. */
export function prepareWrite(
  context: ValidationContext,
  object: SObjectDescribe,
  input: unknown,
  options: WriteOptions
): PreparedWrite {
  if (!isPlainObject(input)) {
    throw writeErrors.bodyNotObject(object, input);
  }
  const { schema } = context;
  const resolved: Array<{ field: FieldDescribe; raw: unknown; viaRelationship: boolean }> = [];
  let id: string | undefined;

  // 1. Every name must be a field (or a relationship written by foreign key) of the object.
  for (const [key, raw] of Object.entries(input)) {
    if (key === 'attributes') continue;
    const field = schema.getField(object, key);
    if (field !== undefined) {
      resolved.push({ field, raw, viaRelationship: false });
      continue;
    }
    const relationship = schema.getRelationship(object, key);
    if (relationship !== undefined && isPlainObject(raw)) {
      resolved.push({ field: relationship, raw, viaRelationship: true });
      continue;
    }
    throw writeErrors.unknownField(object, key);
  }

  // 2. The Id is never data: refused on insert, and must match the record on update.
  const writes = resolved.filter(({ field, raw }) => {
    if (field.type !== 'id') return true;
    if (options.mode === 'insert') {
      if (!options.system) throw writeErrors.idInInsert();
      const given = normalizeId(raw);
      if (given === undefined) throw writeErrors.malformedRecordId(object, String(raw));
      id = given;
      return false;
    }
    if (normalizeId(raw) !== options.recordId) throw writeErrors.idInInsert();
    return false;
  });

  // 3. Fields the API may not write, all reported at once.
  if (!options.system) {
    const refused = writes
      .filter(({ field }) => {
        if (options.mode === 'update') return !field.updateable;
        return !field.createable && !(options.allowAuditFields && AUDIT_FIELDS.has(field.name));
      })
      .map(({ field }) => field.name);
    if (refused.length > 0) throw writeErrors.notWritable([...new Set(refused)]);
  }

  // 4. Values: type, length, picklist, reference.
  const values = new Map<FieldDescribe, unknown>();
  for (const { field, raw, viaRelationship } of writes) {
    if (viaRelationship) {
      values.set(field, resolveForeignKey(context, field, raw as Record<string, unknown>));
      continue;
    }
    const value = coerceValue(field, raw);
    if (field.type === 'reference' && typeof value === 'string')
      checkReference(context, field, value);
    values.set(field, value);
  }
  return id === undefined ? { values } : { values, id };
}

/**
 * Names of required fields without a value, in describe order. On insert: every `required`
 * field. On update: only fields this write clears that may never be empty.
 */
export function missingRequired(
  object: SObjectDescribe,
  record: Record<string, unknown>,
  mode: 'insert' | 'update',
  changed: ReadonlySet<FieldDescribe>
): string[] {
  return object.fields
    .filter((field) => {
      const empty = record[field.name] === null || record[field.name] === undefined;
      if (!empty) return false;
      if (mode === 'insert') return field.required;
      return changed.has(field) && !field.nillable && field.type !== 'boolean';
    })
    .map((field) => field.name);
}
