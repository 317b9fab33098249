/**
 * The org's records, in memory. Writes are validated against the schema with the platform's
 * errors; records are stored in their API form (see values.ts), frozen, with only the fields
 * that have a value (a missing key reads as null). Unique and external-id fields are indexed so
 * duplicate checks and upsert look-ups are O(1); scans are lazy and never copy a table.
 *
 * This file only maps the store's API onto its operations (insert.ts, update.ts, upsert.ts,
 * delete.ts, read.ts, ...), which share one StoreContext (context.ts).
 */
import type { Clock, Schema } from '../model.ts';
import { createStoreContext } from './context.ts';
import { addGeneratedDataset } from './datasets.ts';
import { deleteRecord } from './delete.ts';
import { StoreEvents } from './events.ts';
import { insertRecord } from './insert.ts';
import { countRecords, findByField, getById, getRecord, scanRecords } from './read.ts';
import { SavepointJournal } from './savepoints.ts';
import { SeedList } from './seeds.ts';
import { checkSnapshot, loadSnapshot, snapshotRecords } from './snapshot.ts';
import type { MemoryRecordStore, RecordStoreOptions } from './types.ts';
import { updateRecord } from './update.ts';
import { upsertRecord } from './upsert.ts';

export { FieldValueError, MultipleMatchesError } from './errors.ts';
export type { InsertOptions, MemoryRecordStore, RecordStoreOptions, Savepoint } from './types.ts';
export { coerceValue, formatDate, formatDatetime, parseDate, parseDatetime } from './values.ts';

export function createRecordStore(
  schema: Schema,
  clock: Clock,
  options: RecordStoreOptions = {}
): MemoryRecordStore {
  const events = new StoreEvents();
  const savepoints = new SavepointJournal(() => events.changed());
  const context = createStoreContext(schema, clock, events, savepoints.sink);
  const { registry } = context;
  const seeds = new SeedList(context);

  function clear(): void {
    savepoints.clear();
    registry.clear();
    context.ids.reset();
  }

  return {
    insert: (objectName, fields, by, insertOptions = {}) =>
      insertRecord(
        context,
        registry.requireObject(objectName),
        fields,
        by,
        insertOptions.asSystem ?? false,
        { allowAuditFields: insertOptions.allowAuditFields ?? false }
      ),
    insertAsSystem: (objectName, fields, by) =>
      insertRecord(context, registry.requireObject(objectName), fields, by, true),
    seed: (objectName, fields, by, id) => seeds.add(objectName, fields, by, id),
    update: (objectName, id, fields, by) =>
      updateRecord(context, registry.requireObject(objectName), id, fields, by),
    upsert: (objectName, keyField, keyValue, fields, by) =>
      upsertRecord(context, objectName, keyField, keyValue, fields, by),
    delete: (objectName, id, by) =>
      deleteRecord(context, registry.requireObject(objectName), id, by),
    patchAsSystem(objectName, id, changes) {
      context.host.patch(objectName, id, changes);
      events.changed();
    },

    get: (objectName, id) => getRecord(registry, objectName, id),
    getById: (id) => getById(registry, id),
    scan: (objectName, scanOptions) => scanRecords(registry, objectName, scanOptions),
    count: (objectName, countOptions) => countRecords(registry, objectName, countOptions),
    findByField: (objectName, fieldName, value) =>
      findByField(registry, objectName, fieldName, value),

    addGeneratedDataset: (objectName, count, make, datasetOptions) =>
      addGeneratedDataset(
        registry,
        clock,
        options.systemUserId,
        { objectName, count, make },
        datasetOptions
      ),

    savepoint: () => savepoints.take(),
    onInsert: (listener) => events.onInsert(listener),
    onChange: (listener) => events.onChange(listener),

    reset() {
      clear();
      seeds.replay();
      events.changed();
    },
    snapshot: () => snapshotRecords(registry),
    restore(data) {
      checkSnapshot(data);
      clear();
      loadSnapshot(registry, context.ids, data);
      seeds.replay();
    }
  };
}
