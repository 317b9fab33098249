/**
 * Records by field value: duplicate checks on unique fields and look-ups by external id (upsert,
 * foreign keys, findByField). Indexed fields answer in O(1); any other field is a scan.
 */
import type { FieldDescribe, SObjectDescribe } from '../model.ts';
import { writeErrors } from './errors.ts';
import type { TableRegistry } from './registry.ts';
import type { ObjectTable } from './table.ts';
import { indexKey } from './values.ts';

/** Ids of live stored records of `object` whose `field` holds `value`. */
export function findByKey(
  registry: TableRegistry,
  object: SObjectDescribe,
  field: FieldDescribe,
  value: unknown
): string[] {
  const table = registry.tableFor(object);
  const index = table.indexes.get(field.name);
  if (index !== undefined) return index.ids(value);
  const key = indexKey(field, value);
  if (key === undefined) return [];
  const ids: string[] = [];
  for (const record of table.rows) {
    if (record !== undefined && indexKey(field, record[field.name]) === key) ids.push(record.Id);
  }
  return ids;
}

/** DUPLICATE_VALUE when another record (not `selfId`) holds a value of a unique field. */
export function checkUnique(
  table: ObjectTable,
  record: Record<string, unknown>,
  selfId: string
): void {
  for (const index of table.indexes.values()) {
    if (!index.field.unique) continue;
    const other = index.ids(record[index.field.name]).find((id) => id !== selfId);
    if (other !== undefined) throw writeErrors.duplicateValue(index.field, other);
  }
}
