/**
 * The record store as one user reaches it through the APIs: reads see only the records the
 * sharing rules let them see, writes need the object permission, field-level security and
 * record access a real org checks, failing with its errors:
 *
 * - a field the user cannot see: `INVALID_FIELD` "No such column 'X' on sobject of type Y", as
 *   for a field that does not exist;
 * - a field they can see but not edit: `INVALID_FIELD_FOR_INSERT_UPDATE` "Unable to
 *   create/update fields: X. Please check the security settings of this field...";
 * - no Create/Edit/Delete on the object, or no edit/delete access to the record:
 *   `INSUFFICIENT_ACCESS_OR_READONLY` "insufficient access rights on object id" (the message a
 *   DML without access gets, "first error: INSUFFICIENT_ACCESS_OR_READONLY, insufficient access
 *   rights on object id").
 *
 * Then the write goes to the real store, which validates values as before.
 */
import { normalizeId } from '../ids.ts';
import type { FieldDescribe, Principal, Schema, SfRecord, SObjectDescribe } from '../model.ts';
import { SalesforceApiError } from '../model.ts';
import { writeErrors } from '../store/errors.ts';
import { coerceValue, type MemoryRecordStore } from '../store/index.ts';
import type { UserAccess } from './access.ts';
import type { RecordRules } from './sharing.ts';

export function insufficientAccess(): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'INSUFFICIENT_ACCESS_OR_READONLY',
    'insufficient access rights on object id',
    []
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function userStore(
  base: MemoryRecordStore,
  access: UserAccess,
  rules: RecordRules
): MemoryRecordStore {
  const view: Schema = access.schema;

  function objectOf(objectName: string): SObjectDescribe {
    const object = view.getObject(objectName);
    if (!object) {
      throw new SalesforceApiError(
        400,
        'INVALID_TYPE',
        `sObject type '${objectName}' is not supported.`
      );
    }
    return object;
  }

  /**
   * FLS of a write: unknown-or-invisible names first, then the non-writable ones together. Then
   * the records it points at, through the user's own view: an id of a record they cannot see is
   * `INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY`, and a relationship written by foreign key
   * (`"Account": {"SAP_Customer_Number__c": "42"}`) is resolved here, by a key field they can
   * read, among the records they can see: what they cannot see is "not found", as for a value
   * nobody has (no existence oracle). Answers the fields with those relationships resolved.
   */
  function checkFields(
    object: SObjectDescribe,
    fields: Record<string, unknown>,
    mode: 'insert' | 'update'
  ): Record<string, unknown> {
    const refused: string[] = [];
    const references: Array<[string, FieldDescribe, unknown, boolean]> = [];
    for (const [key, value] of Object.entries(fields)) {
      if (key === 'attributes') continue;
      const direct = view.getField(object, key);
      const field =
        direct ?? (isPlainObject(value) ? view.getRelationship(object, key) : undefined);
      if (field === undefined) throw writeErrors.unknownField(object, key);
      if (field.type === 'id') continue;
      if (mode === 'insert' ? !field.createable : !field.updateable) refused.push(field.name);
      if (field.type === 'reference') references.push([key, field, value, direct === undefined]);
    }
    if (refused.length > 0) throw writeErrors.notWritable([...new Set(refused)]);

    let resolved = fields;
    for (const [key, field, value, viaRelationship] of references) {
      if (!viaRelationship) {
        if (typeof value === 'string') checkCrossReference(value);
        continue;
      }
      const id = resolveForeignKey(field, value as Record<string, unknown>);
      if (id === undefined) continue;
      if (resolved === fields) resolved = { ...fields };
      delete resolved[key];
      resolved[field.name] = id;
    }
    return resolved;
  }

  /** A record that exists but that the user cannot see may not be pointed at. */
  function checkCrossReference(raw: string): void {
    const id = normalizeId(raw);
    if (id === undefined || base.getById(id) === undefined) return; // the store's errors
    if (visibleById(id)) return;
    throw new SalesforceApiError(
      400,
      'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY',
      `insufficient access rights on cross-reference id: ${raw}`,
      []
    );
  }

  function visibleById(id: string): boolean {
    const found = base.getById(id);
    const object = found === undefined ? undefined : view.getObject(found.object.name);
    return (
      found !== undefined && object !== undefined && visible(object, found.record) !== undefined
    );
  }

  /** The id a foreign-key relationship names among the user's records (undefined: the store's). */
  function resolveForeignKey(
    field: FieldDescribe,
    value: Record<string, unknown>
  ): string | undefined {
    const typeName = isPlainObject(value.attributes) ? value.attributes.type : undefined;
    const targetName = typeof typeName === 'string' ? typeName : field.referenceTo[0];
    if (targetName === undefined) return undefined;
    const target = objectOf(targetName);
    const keys = Object.keys(value).filter((key) => key !== 'attributes');
    const [keyName] = keys;
    if (keys.length !== 1 || keyName === undefined) return undefined;
    // A key field hidden by field-level security is unknown, as one that does not exist.
    const keyField = view.getField(target, keyName);
    if (keyField === undefined) throw writeErrors.unknownField(target, keyName);
    if (!keyField.idLookup) return undefined;
    const keyValue = value[keyName];
    if (keyField.type === 'id') {
      if (typeof keyValue === 'string') checkCrossReference(keyValue);
      return undefined;
    }
    const filter = rules.filter(target);
    const all = base.findByField(target.name, keyField.name, coerceValue(keyField, keyValue));
    const ids = (filter === undefined ? all : all.filter(filter)).map((record) => record.Id);
    if (ids.length === 0) {
      throw writeErrors.foreignKeyNotFound(keyValue, keyField.name, target.name);
    }
    if (ids.length > 1) {
      throw writeErrors.foreignKeyAmbiguous(keyValue, keyField.name, target.name);
    }
    return ids[0];
  }

  function visible(object: SObjectDescribe, record: SfRecord | undefined): SfRecord | undefined {
    if (record === undefined) return undefined;
    const filter = rules.filter(object);
    return filter === undefined || filter(record) ? record : undefined;
  }

  function checkUpdate(object: SObjectDescribe, id: string, fields: Record<string, unknown>) {
    if (!access.object(object.name).edit) throw insufficientAccess();
    const record = base.get(object.name, normalizeId(id) ?? id);
    // A record that is gone is reported by the store as before (NOT_FOUND, ENTITY_IS_DELETED).
    if (record !== undefined && !(visible(object, record) && rules.canEdit(object, record))) {
      throw insufficientAccess();
    }
    const checked = checkFields(object, fields, 'update');
    // Changing the owner is a transfer: the owner's, Modify All's or Transfer Record's to make.
    if (record !== undefined) {
      const owner = Object.entries(fields).find(([key]) => key.toLowerCase() === 'ownerid');
      if (
        owner !== undefined &&
        owner[1] !== undefined &&
        normalizeId(String(owner[1])) !== normalizeId(String(record.OwnerId)) &&
        !rules.canTransfer(object, record)
      ) {
        throw insufficientAccess();
      }
    }
    return checked;
  }

  function checkInsert(object: SObjectDescribe, fields: Record<string, unknown>) {
    if (!access.object(object.name).create) throw insufficientAccess();
    return checkFields(object, fields, 'insert');
  }

  return {
    ...base,
    insert(objectName, fields, by: Principal, options) {
      return base.insert(objectName, checkInsert(objectOf(objectName), fields), by, options);
    },
    update(objectName, id, fields, by) {
      return base.update(objectName, id, checkUpdate(objectOf(objectName), id, fields), by);
    },
    upsert(objectName, keyField, keyValue, fields, by) {
      const object = objectOf(objectName);
      const key = view.getField(object, keyField);
      if (key === undefined) throw writeErrors.unknownField(object, keyField);
      const matches =
        key.type === 'id'
          ? [base.get(object.name, normalizeId(keyValue) ?? keyValue)].filter(
              (r) => r !== undefined
            )
          : base.findByField(object.name, key.name, keyValue);
      const [match] = matches;
      // Several matches: the store answers 300 with them, as before.
      let checked = fields;
      if (matches.length === 1 && match !== undefined)
        checked = checkUpdate(object, match.Id, fields);
      else if (matches.length === 0) checked = checkInsert(object, fields);
      return base.upsert(objectName, keyField, keyValue, checked, by);
    },
    delete(objectName, id, by) {
      const object = objectOf(objectName);
      if (!access.object(object.name).delete) throw insufficientAccess();
      const record = base.get(object.name, normalizeId(id) ?? id);
      if (record !== undefined && !(visible(object, record) && rules.canDelete(object, record))) {
        throw insufficientAccess();
      }
      base.delete(objectName, id, by);
    },
    get(objectName, id) {
      const object = view.getObject(objectName);
      return object === undefined ? undefined : visible(object, base.get(objectName, id));
    },
    getById(id) {
      const found = base.getById(id);
      const object = found === undefined ? undefined : view.getObject(found.object.name);
      if (found === undefined || object === undefined) return undefined;
      return visible(object, found.record) ? { object, record: found.record } : undefined;
    },
    scan(objectName, options) {
      const object = view.getObject(objectName);
      if (object === undefined) return [];
      const records = base.scan(objectName, options);
      const filter = rules.filter(object);
      if (filter === undefined) return records;
      return (function* () {
        for (const record of records) if (filter(record)) yield record;
      })();
    },
    count(objectName, options) {
      const object = view.getObject(objectName);
      if (object === undefined) return 0;
      if (rules.filter(object) === undefined) return base.count(objectName, options);
      let n = 0;
      for (const record of this.scan(objectName, options)) if (record) n++;
      return n;
    },
    findByField(objectName, fieldName, value) {
      const object = view.getObject(objectName);
      if (object === undefined) return [];
      const filter = rules.filter(object);
      const found = base.findByField(objectName, fieldName, value);
      return filter === undefined ? found : found.filter(filter);
    }
  };
}
