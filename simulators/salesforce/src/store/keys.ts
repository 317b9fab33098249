/**
 * Records by field value: duplicate checks on unique fields and look-ups by external id (upsert,
 * foreign keys, findByField). Indexed fields answer in O(1); any other field is a scan. Generated
 * rows are never indexed (a 5,000,000-row dataset would hold 5,000,000 keys): see generatedByKey.
 */
import type { FieldDescribe, SfRecord, SObjectDescribe } from '../model.ts';
import type { GeneratedDataset } from './generated.ts';
import { writeErrors } from './errors.ts';
import type { TableRegistry } from './registry.ts';
import type { ObjectTable } from './table.ts';
import { indexKey } from './values.ts';

/** Ids of live records of `object` (stored, then generated) whose `field` holds `value`. */
export function findByKey(
  registry: TableRegistry,
  object: SObjectDescribe,
  field: FieldDescribe,
  value: unknown
): string[] {
  const table = registry.tableFor(object);
  const key = indexKey(field, value);
  const index = table.indexes.get(field.name);
  const ids: string[] = [];
  if (index !== undefined) ids.push(...index.ids(value));
  else if (key !== undefined) {
    for (const record of table.rows) {
      if (record !== undefined && indexKey(field, record[field.name]) === key) ids.push(record.Id);
    }
  }
  if (key === undefined) return ids;
  for (const dataset of table.datasets) ids.push(...generatedByKey(dataset, field, key, value));
  return ids;
}

/**
 * Datasets up to this size without rowOfKey are walked to find a key; bigger ones are not (a
 * bulk upsert of new keys would walk millions of rows per record), so their rows are found by
 * key only through rowOfKey (the driver's templates have one) or once updated.
 */
const MAX_WALKED_ROWS = 200_000;

/**
 * Generated rows whose `field` holds the value of `key`: updated rows from their overrides, the
 * others from the dataset's rowOfKey when it has one, else by walking a small dataset's rows.
 */
function generatedByKey(
  dataset: GeneratedDataset,
  field: FieldDescribe,
  key: string,
  value: unknown
): string[] {
  const ids: string[] = [];
  const matches = (record: SfRecord | null | undefined): record is SfRecord =>
    record !== null && record !== undefined && indexKey(field, record[field.name]) === key;
  for (const record of dataset.overrides.values()) if (matches(record)) ids.push(record.Id);
  const { rowOfKey } = dataset;
  if (rowOfKey !== undefined) {
    const index = rowOfKey(field.name, String(value));
    if (index !== undefined && !dataset.overrides.has(index) && matches(dataset.row(index))) {
      ids.push(dataset.idOf(index));
    }
    return ids;
  }
  if (dataset.count > MAX_WALKED_ROWS) return ids;
  for (let index = 0; index < dataset.count; index++) {
    if (dataset.overrides.has(index)) continue;
    if (matches(dataset.generate(index))) ids.push(dataset.idOf(index));
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
