/**
 * What the store's operations share, wired once per store. The operations (insert.ts,
 * update.ts, delete.ts, read.ts...) take it as their first argument instead of closing over one
 * big scope, so each can be read, and later extended, on its own.
 */
import type { Clock, Schema } from '../model.ts';
import type { BehaviourHost } from './behaviours.ts';
import type { StoreEvents } from './events.ts';
import { IdSequence } from './id-sequence.ts';
import { insertRecord } from './insert.ts';
import { findByKey } from './keys.ts';
import { getRecord, scanRecords } from './read.ts';
import { TableRegistry } from './registry.ts';
import type { UndoSink } from './table.ts';
import { patchRecord } from './update.ts';
import type { ValidationContext } from './validation.ts';

export interface StoreContext {
  readonly clock: Clock;
  readonly registry: TableRegistry;
  readonly ids: IdSequence;
  readonly events: StoreEvents;
  /** What validation may ask about stored records (references, foreign keys by external id). */
  readonly validation: ValidationContext;
  /** The store as the platform's own behaviours use it: as the system, without checks. */
  readonly host: BehaviourHost;
}

export function createStoreContext(
  schema: Schema,
  clock: Clock,
  events: StoreEvents,
  journal: UndoSink
): StoreContext {
  const registry = new TableRegistry(schema, journal);
  const validation: ValidationContext = {
    schema,
    recordStatus: (id) => registry.recordStatus(id),
    findByKey: (object, field, value) => findByKey(registry, object, field, value)
  };
  const context: StoreContext = {
    clock,
    registry,
    ids: new IdSequence(),
    events,
    validation,
    host: {
      insertAsSystem: (objectName, fields, by) =>
        insertRecord(context, registry.requireObject(objectName), fields, by, true),
      patch: (objectName, id, changes) => patchRecord(registry, objectName, id, changes),
      scan: (objectName) => scanRecords(registry, objectName),
      get: (objectName, id) => getRecord(registry, objectName, id)
    }
  };
  return context;
}
