/**
 * Reads: by id, by field value, and lazy scans and counts that never copy a table. Generated
 * rows read like stored ones; the recycle bin only shows through scans with includeDeleted.
 */
import type { ScanOptions, SfRecord, SObjectDescribe } from '../model.ts';
import { normalizeId } from '../ids.ts';
import { findByKey } from './keys.ts';
import { isRestricted, restrictedCount, restrictedScan } from './ranges.ts';
import type { TableRegistry } from './registry.ts';
import type { ObjectTable } from './table.ts';

export function getRecord(
  registry: TableRegistry,
  objectName: string,
  id: string
): SfRecord | undefined {
  const object = registry.schema.getObject(objectName);
  const normalized = normalizeId(id);
  if (object === undefined || normalized === undefined) return undefined;
  if (normalized.slice(0, 3) !== object.keyPrefix) return undefined;
  const location = registry.locate(registry.tableFor(object), normalized);
  return location === undefined || location.kind === 'deleted' ? undefined : location.record;
}

export function getById(
  registry: TableRegistry,
  id: string
): { object: SObjectDescribe; record: SfRecord } | undefined {
  const normalized = normalizeId(id);
  if (normalized === undefined) return undefined;
  const object = registry.schema.objectForKeyPrefix(normalized.slice(0, 3));
  if (object === undefined) return undefined;
  const location = registry.locate(registry.tableFor(object), normalized);
  if (location === undefined || location.kind === 'deleted') return undefined;
  return { object, record: location.record };
}

export function scanRecords(
  registry: TableRegistry,
  objectName: string,
  options: ScanOptions = {}
): Iterable<SfRecord> {
  const object = registry.schema.getObject(objectName);
  if (object === undefined) return [];
  const table = registry.tableFor(object);
  if (isRestricted(options)) return { [Symbol.iterator]: () => restrictedScan(table, options) };
  return {
    [Symbol.iterator]: () =>
      scanTable(table, options.includeDeleted ?? false, options.fromIndex ?? 0)
  };
}

export function countRecords(
  registry: TableRegistry,
  objectName: string,
  options: ScanOptions = {}
): number {
  const object = registry.schema.getObject(objectName);
  if (object === undefined) return 0;
  const table = registry.tableFor(object);
  if (isRestricted(options)) return restrictedCount(table, options);
  table.compact();
  const live = table.storedCount + table.generatedCount;
  return options.includeDeleted ? live + table.bin.length : live;
}

export function findByField(
  registry: TableRegistry,
  objectName: string,
  fieldName: string,
  value: unknown
): SfRecord[] {
  const object = registry.schema.getObject(objectName);
  const field = object === undefined ? undefined : registry.schema.getField(object, fieldName);
  if (object === undefined || field === undefined) return [];
  const table = registry.tableFor(object);
  return findByKey(registry, object, field, value).flatMap((id) => {
    const location = registry.locate(table, id);
    return location === undefined || location.kind === 'deleted' ? [] : [location.record];
  });
}

/**
 * Stored rows, then each generated dataset's live rows, then (with `includeDeleted`) the bin,
 * skipping the first `fromIndex` so a reader that counted what it read resumes where it was.
 */
function* scanTable(
  table: ObjectTable,
  includeDeleted: boolean,
  fromIndex: number
): Generator<SfRecord> {
  table.compact();
  const rows = table.rows;
  let skip = Math.max(0, Math.floor(fromIndex));
  if (skip < rows.length) {
    for (let i = skip; i < rows.length; i++) {
      const record = rows[i];
      if (record !== undefined) yield record;
    }
    skip = 0;
  } else skip -= rows.length;
  for (const dataset of [...table.datasets]) {
    if (skip >= dataset.liveCount) {
      skip -= dataset.liveCount;
      continue;
    }
    yield* dataset.liveRows(skip);
    skip = 0;
  }
  if (!includeDeleted) return;
  const bin = table.bin;
  for (let i = skip; i < bin.length; i++) yield bin[i] as SfRecord;
}
