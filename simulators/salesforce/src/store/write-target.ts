/** The record an update or delete names, which must be a live record of that object. */
import type { SObjectDescribe } from '../model.ts';
import { normalizeId } from '../ids.ts';
import { writeErrors } from './errors.ts';
import type { LiveLocation, TableRegistry } from './registry.ts';
import type { ObjectTable } from './table.ts';

export interface WriteTarget {
  recordId: string;
  table: ObjectTable;
  location: LiveLocation;
}

/** Resolves the id of an update/delete: valid, of this object. */
function recordIdOf(object: SObjectDescribe, id: string): string {
  const normalized = normalizeId(id);
  if (normalized === undefined || normalized.slice(0, 3) !== object.keyPrefix) {
    throw writeErrors.malformedRecordId(object, id);
  }
  return normalized;
}

export function writeTarget(
  registry: TableRegistry,
  object: SObjectDescribe,
  id: string
): WriteTarget {
  const recordId = recordIdOf(object, id);
  const table = registry.tableFor(object);
  const location = registry.locate(table, recordId);
  if (location === undefined) throw writeErrors.recordNotFound();
  if (location.kind === 'deleted') throw writeErrors.recordDeleted();
  return { recordId, table, location };
}
