/**
 * The stored records (not generated rows) as plain data, for the optional persistence, and back.
 * A restore puts records back as they were saved, without validation, and resumes the id
 * sequence and auto-number counters after them.
 */
import type { SfRecord, SObjectDescribe } from '../model.ts';
import { normalizeId } from '../ids.ts';
import { parseAutoNumber } from './auto-number.ts';
import type { IdSequence } from './id-sequence.ts';
import type { TableRegistry } from './registry.ts';
import type { ObjectTable } from './table.ts';

export function snapshotRecords(registry: TableRegistry): Record<string, SfRecord[]> {
  const data: Record<string, SfRecord[]> = {};
  for (const table of registry.allTables()) {
    const records = [...table.rows.filter((r): r is SfRecord => r !== undefined), ...table.bin];
    if (records.length > 0) data[table.object.name] = records;
  }
  return data;
}

/** Checked before the store is cleared, so a file that is not a snapshot at all loses nothing. */
export function checkSnapshot(data: unknown): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError('Persisted records must be an object of object name -> records');
  }
}

/** Loads a snapshot into an empty store. */
export function loadSnapshot(
  registry: TableRegistry,
  ids: IdSequence,
  data: Record<string, unknown>
): void {
  for (const [objectName, records] of Object.entries(data)) {
    const object = registry.schema.getObject(objectName);
    // Objects the metadata no longer defines are dropped, as a deploy would.
    if (object === undefined || object.kind === 'platformEvent') continue;
    if (!Array.isArray(records)) throw new TypeError(`Persisted ${objectName} is not an array`);
    const table = registry.tableFor(object);
    for (const raw of records as unknown[]) {
      const record = restoreRecord(table, objectName, raw);
      ids.note(record.Id);
      resumeAutoNumbers(table, object, record);
    }
  }
}

/** Puts one persisted record back, keeping only the fields the object still has. */
function restoreRecord(table: ObjectTable, objectName: string, raw: unknown): SfRecord {
  const { object } = table;
  const source = raw as Record<string, unknown> | null;
  const id = normalizeId(source?.Id);
  if (source === null || id === undefined || id.slice(0, 3) !== object.keyPrefix) {
    throw new TypeError(`Persisted ${objectName} record has no valid ${object.name} Id`);
  }
  const record: Record<string, unknown> = { Id: id };
  for (const field of object.fields) {
    const value = source[field.name];
    if (field.name !== 'Id' && value !== undefined && value !== null) record[field.name] = value;
  }
  const frozen = Object.freeze(record as SfRecord);
  if (record.IsDeleted === true) table.addToBin(frozen);
  else if (table.get(id) === undefined) table.add(frozen);
  return frozen;
}

function resumeAutoNumbers(table: ObjectTable, object: SObjectDescribe, record: SfRecord): void {
  for (const field of object.fields) {
    if (!field.autoNumber) continue;
    const counter = parseAutoNumber(field.displayFormat ?? '{0}', record[field.name]);
    if (counter !== undefined && counter > (table.autoNumbers.get(field.name) ?? 0)) {
      table.autoNumbers.set(field.name, counter);
    }
  }
}
