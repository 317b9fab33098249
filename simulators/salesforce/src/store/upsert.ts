/**
 * Upserts: the key field (an external id, or Id) picks the record to update; no match inserts.
 * The write itself goes through insertRecord / updateRecord like any other.
 */
import type { Principal, UpsertResult } from '../model.ts';
import type { StoreContext } from './context.ts';
import { MultipleMatchesError, writeErrors } from './errors.ts';
import { insertRecord } from './insert.ts';
import { findByKey } from './keys.ts';
import { updateRecord } from './update.ts';
import { coerceValue } from './values.ts';

export function upsertRecord(
  context: StoreContext,
  objectName: string,
  keyField: string,
  keyValue: string,
  fields: Record<string, unknown>,
  by: Principal
): UpsertResult {
  const { registry } = context;
  const object = registry.requireObject(objectName);
  const field = registry.schema.getField(object, keyField);
  if (field === undefined || !(field.idLookup || field.externalId)) {
    throw writeErrors.notUpsertKey(keyField);
  }
  if (field.type === 'id') {
    if (keyValue === '')
      return { id: insertRecord(context, object, fields, by, false).Id, created: true };
    return { id: updateRecord(context, object, keyValue, fields, by).Id, created: false };
  }
  const key = coerceValue(field, keyValue);
  const ids = key === null ? [] : findByKey(registry, object, field, key);
  // The URL's key wins over a copy of the key field in the body.
  const body = Object.fromEntries(
    Object.entries(fields).filter(([name]) => name.toLowerCase() !== field.name.toLowerCase())
  );
  if (ids.length > 1) throw new MultipleMatchesError(object.name, field.name, ids);
  const [existing] = ids;
  if (existing !== undefined) {
    return { id: updateRecord(context, object, existing, body, by).Id, created: false };
  }
  const record = insertRecord(context, object, { ...body, [field.name]: keyValue }, by, false);
  return { id: record.Id, created: true };
}
