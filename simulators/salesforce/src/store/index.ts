/**
 * The org's records, in memory. Writes are validated against the schema with the platform's
 * errors; records are stored in their API form (see values.ts), frozen, with only the fields
 * that have a value (a missing key reads as null). Unique and external-id fields are indexed so
 * duplicate checks and upsert look-ups are O(1); scans are lazy and never copy a table.
 */
import type {
  Clock,
  FieldDescribe,
  Principal,
  RecordStore,
  Schema,
  SfRecord,
  SObjectDescribe,
  UpsertResult
} from '../model.ts';
import { newId, normalizeId, parseId } from '../ids.ts';
import { formatAutoNumber, parseAutoNumber } from './auto-number.ts';
import type { BehaviourHost } from './behaviours.ts';
import { afterDelete, afterInsert, deriveFields } from './behaviours.ts';
import { MultipleMatchesError, writeErrors } from './errors.ts';
import { GeneratedDataset } from './generated.ts';
import type { UndoSink } from './table.ts';
import { ObjectTable } from './table.ts';
import type { RecordStatus, ValidationContext } from './validation.ts';
import { missingRequired, prepareWrite } from './validation.ts';
import { coerceValue, formatDatetime, indexKey } from './values.ts';

export { FieldValueError, MultipleMatchesError } from './errors.ts';
export { coerceValue, formatDate, formatDatetime, parseDate, parseDatetime } from './values.ts';

export interface RecordStoreOptions {
  /** Owner and creator of generated dataset rows (the integration user). */
  systemUserId?: string;
}

export interface InsertOptions {
  /** Let fixtures set CreatedDate/CreatedById/LastModifiedDate/LastModifiedById. */
  allowAuditFields?: boolean;
  /**
   * Write as the platform itself (test fixtures): objects and fields the API may not create
   * (custom metadata records, Organization, read-only fields) are accepted, and so is an Id.
   */
  asSystem?: boolean;
}

/** Undoes every change made since it was taken (allOrNone writes); see savepoint(). */
export interface Savepoint {
  rollback(): void;
  /** Stops recording (the changes stay). Also happens on its own once the handle is dropped. */
  release(): void;
}

/** The store plus what the emulator's own wiring (context, driver) needs beyond RecordStore. */
export interface MemoryRecordStore extends RecordStore {
  insert(
    objectName: string,
    fields: Record<string, unknown>,
    by: Principal,
    options?: InsertOptions
  ): SfRecord;
  /**
   * Records the inverse of every change from now on, so rollback() puts stored records, the
   * recycle bin and generated-row overrides back as they were (ids and auto-numbers are not
   * reused, as in an org). O(changes), not O(store). Savepoints nest.
   */
  savepoint(): Savepoint;
  /** Called after anything changes stored records (for persistence). */
  onChange(listener: () => void): void;
  /**
   * A record that exists from the start and is recreated by reset(): the Organization, the
   * integration user, deployed custom metadata. Written as the system (any field; optional
   * fixed Id), otherwise validated like an insert.
   */
  seed(objectName: string, fields: Record<string, unknown>, by: Principal, id?: string): SfRecord;
  /**
   * An insert as the system: any field may be set (read-only objects' fixtures, custom metadata
   * records), Id included. Not recreated by reset().
   */
  insertAsSystem(objectName: string, fields: Record<string, unknown>, by: Principal): SfRecord;
  /** Live stored records whose `fieldName` equals `value` (indexed for unique/external ids). */
  findByField(objectName: string, fieldName: string, value: unknown): SfRecord[];
}

interface Seed {
  objectName: string;
  fields: Record<string, unknown>;
  by: Principal;
  id?: string;
}

type Location =
  | { kind: 'stored'; record: SfRecord }
  | { kind: 'generated'; record: SfRecord; dataset: GeneratedDataset; index: number }
  | { kind: 'deleted' }
  | undefined;

/** Audit fields the store maintains itself. */
const CREATED_FIELDS = ['CreatedDate', 'CreatedById'];
const MODIFIED_FIELDS = ['LastModifiedDate', 'LastModifiedById', 'SystemModstamp'];

export function createRecordStore(
  schema: Schema,
  clock: Clock,
  options: RecordStoreOptions = {}
): MemoryRecordStore {
  const tables = new Map<string, ObjectTable>();
  const datasets = new Map<number, GeneratedDataset>();
  const seeds: Seed[] = [];
  const insertListeners: Array<(object: SObjectDescribe, record: SfRecord) => void> = [];
  const changeListeners: Array<() => void> = [];
  let sequence = 0;
  let nextDataset = 0;

  /** Open savepoints, newest last; held weakly so a handle nobody releases stops recording. */
  interface OpenSavepoint {
    log: Array<() => void>;
  }
  let openSavepoints: Array<WeakRef<OpenSavepoint>> = [];
  let replaying = false;
  const journal: UndoSink = (undo) => {
    if (replaying || openSavepoints.length === 0) return;
    let live = 0;
    for (const ref of openSavepoints) {
      const open = ref.deref();
      if (open === undefined) continue;
      open.log.push(undo);
      live += 1;
    }
    if (live < openSavepoints.length) {
      openSavepoints = openSavepoints.filter((ref) => ref.deref() !== undefined);
    }
  };

  function closeSavepoint(state: OpenSavepoint): WeakRef<OpenSavepoint>[] {
    const at = openSavepoints.findIndex((ref) => ref.deref() === state);
    const outer = at < 0 ? [] : openSavepoints.slice(0, at);
    if (at >= 0) openSavepoints.splice(at, 1);
    return outer;
  }

  function requireObject(name: string): SObjectDescribe {
    const object = schema.getObject(name);
    if (object === undefined) throw writeErrors.unknownObject();
    return object;
  }

  function tableFor(object: SObjectDescribe): ObjectTable {
    let table = tables.get(object.name);
    if (table === undefined) {
      table = new ObjectTable(object, journal);
      tables.set(object.name, table);
    }
    return table;
  }

  function changed(): void {
    for (const listener of changeListeners) listener();
  }

  /** Keeps newly minted ids clear of ids that were given (seeds, restored records). */
  function noteId(id: string): void {
    const parsed = parseId(id);
    if (parsed?.kind === 'stored' && parsed.sequence > sequence) sequence = parsed.sequence;
  }

  function locate(table: ObjectTable, id: string): Location {
    const stored = table.get(id);
    if (stored !== undefined) return { kind: 'stored', record: stored };
    if (table.binIds.has(id)) return { kind: 'deleted' };
    const parsed = parseId(id);
    if (parsed?.kind !== 'generated') return undefined;
    const dataset = datasets.get(parsed.dataset);
    if (dataset === undefined || dataset.object !== table.object) return undefined;
    if (dataset.isDeleted(parsed.index)) return { kind: 'deleted' };
    const record = dataset.row(parsed.index);
    return record === undefined
      ? undefined
      : { kind: 'generated', record, dataset, index: parsed.index };
  }

  function recordStatus(id: string): RecordStatus {
    const object = schema.objectForKeyPrefix(id.slice(0, 3));
    if (object === undefined) return 'missing';
    const location = locate(tableFor(object), id);
    if (location === undefined) return 'missing';
    return location.kind === 'deleted' ? 'deleted' : 'live';
  }

  function findByKey(object: SObjectDescribe, field: FieldDescribe, value: unknown): string[] {
    const table = tableFor(object);
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

  const validation: ValidationContext = { schema, recordStatus, findByKey };

  function checkUnique(table: ObjectTable, record: Record<string, unknown>, selfId: string): void {
    for (const index of table.indexes.values()) {
      if (!index.field.unique) continue;
      const other = index.ids(record[index.field.name]).find((id) => id !== selfId);
      if (other !== undefined) throw writeErrors.duplicateValue(index.field, other);
    }
  }

  function setIfField(
    object: SObjectDescribe,
    record: Record<string, unknown>,
    name: string,
    value: unknown
  ): void {
    if (object.fields.some((f) => f.name === name)) record[name] = value;
  }

  function insertRecord(
    object: SObjectDescribe,
    fields: Record<string, unknown>,
    by: Principal,
    system: boolean,
    options: { fixedId?: string; allowAuditFields?: boolean } = {}
  ): SfRecord {
    if (!system && !object.createable) throw writeErrors.objectNotWritable(object, 'inserted');
    const table = tableFor(object);
    const prepared = prepareWrite(validation, object, fields, {
      mode: 'insert',
      system,
      allowAuditFields: options.allowAuditFields ?? false
    });
    const record: Record<string, unknown> = {};
    for (const [field, value] of prepared.values) if (value !== null) record[field.name] = value;
    for (const field of object.fields) {
      const unset = !prepared.values.has(field) && record[field.name] === undefined;
      if (unset && field.defaultValue !== null && field.defaultValue !== undefined) {
        record[field.name] = field.defaultValue;
      }
    }
    deriveFields(object, record, 'insert');
    if (object.fields.some((f) => f.name === 'OwnerId')) record.OwnerId ??= by.userId;
    const missing = missingRequired(object, record, 'insert', new Set(prepared.values.keys()));
    if (missing.length > 0) throw writeErrors.requiredMissing(missing);

    const id = prepared.id ?? options.fixedId ?? newId(object.keyPrefix, sequence + 1);
    if (table.get(id) !== undefined || table.binIds.has(id)) {
      throw writeErrors.duplicateValue(object.fields[0] as FieldDescribe, id);
    }
    checkUnique(table, record, id);

    const now = clock.now();
    const nowText = formatDatetime(now);
    const stored: Record<string, unknown> = { Id: id };
    setIfField(object, stored, 'IsDeleted', false);
    for (const name of CREATED_FIELDS)
      setIfField(object, stored, name, name.endsWith('Id') ? by.userId : nowText);
    for (const name of MODIFIED_FIELDS)
      setIfField(object, stored, name, name.endsWith('Id') ? by.userId : nowText);
    Object.assign(stored, record);
    // A back-dated LastModifiedDate (fixtures) moves SystemModstamp with it.
    if (prepared.values.has(schema.getField(object, 'LastModifiedDate') as FieldDescribe)) {
      setIfField(object, stored, 'SystemModstamp', stored.LastModifiedDate);
    }
    for (const field of object.fields) {
      if (!field.autoNumber || stored[field.name] !== undefined) continue;
      const counter = (table.autoNumbers.get(field.name) ?? 0) + 1;
      table.autoNumbers.set(field.name, counter);
      stored[field.name] = formatAutoNumber(field.displayFormat ?? '{0}', counter, now);
    }
    noteId(id);

    if (object.kind === 'platformEvent') {
      // Events are not stored: they go to subscribers (the context routes them to the bus,
      // which stamps ReplayId, EventUuid and the publish time).
      const event = Object.freeze(stored as SfRecord);
      for (const listener of insertListeners) listener(object, event);
      return event;
    }
    table.add(Object.freeze(stored as SfRecord));
    afterInsert(host, object, stored as SfRecord, by);
    const result = table.get(id) ?? (stored as SfRecord);
    for (const listener of insertListeners) listener(object, result);
    changed();
    return result;
  }

  /** Resolves the id of an update/delete: valid, of this object. */
  function recordIdOf(object: SObjectDescribe, id: string): string {
    const normalized = normalizeId(id);
    if (normalized === undefined || normalized.slice(0, 3) !== object.keyPrefix) {
      throw writeErrors.malformedRecordId(object, id);
    }
    return normalized;
  }

  function updateRecord(
    object: SObjectDescribe,
    id: string,
    fields: Record<string, unknown>,
    by: Principal
  ): SfRecord {
    if (!object.updateable) throw writeErrors.objectNotWritable(object, 'updated');
    const recordId = recordIdOf(object, id);
    const table = tableFor(object);
    const location = locate(table, recordId);
    if (location === undefined) throw writeErrors.recordNotFound();
    if (location.kind === 'deleted') throw writeErrors.recordDeleted();
    const prepared = prepareWrite(validation, object, fields, { mode: 'update', recordId });
    const record: Record<string, unknown> = { ...location.record };
    for (const [field, value] of prepared.values) {
      if (value === null) delete record[field.name];
      else record[field.name] = value;
    }
    deriveFields(object, record, 'update');
    const missing = missingRequired(object, record, 'update', new Set(prepared.values.keys()));
    if (missing.length > 0) throw writeErrors.requiredMissing(missing);
    checkUnique(table, record, recordId);
    const nowText = formatDatetime(clock.now());
    for (const name of MODIFIED_FIELDS)
      setIfField(object, record, name, name.endsWith('Id') ? by.userId : nowText);
    const next = Object.freeze(record as SfRecord);
    if (location.kind === 'stored') table.replace(location.record, next);
    else location.dataset.update(location.index, next);
    changed();
    return next;
  }

  function deleteRecord(object: SObjectDescribe, id: string, by: Principal, system = false): void {
    if (!system && !object.deletable) throw writeErrors.objectNotWritable(object, 'deleted');
    const recordId = recordIdOf(object, id);
    const table = tableFor(object);
    const location = locate(table, recordId);
    if (location === undefined) throw writeErrors.recordNotFound();
    if (location.kind === 'deleted') throw writeErrors.recordDeleted();
    const nowText = formatDatetime(clock.now());
    const deleted: Record<string, unknown> = { ...location.record, IsDeleted: true };
    for (const name of MODIFIED_FIELDS)
      setIfField(object, deleted, name, name.endsWith('Id') ? by.userId : nowText);
    const frozen = Object.freeze(deleted as SfRecord);
    if (location.kind === 'stored') table.remove(location.record, frozen);
    else {
      location.dataset.delete(location.index);
      table.addToBin(frozen);
    }
    afterDelete(host, object, location.record, by);
    changed();
  }

  const host: BehaviourHost = {
    insertAsSystem: (objectName, fields, by) =>
      insertRecord(requireObject(objectName), fields, by, true),
    patch(objectName, id, changes) {
      const table = tableFor(requireObject(objectName));
      const previous = table.get(id);
      if (previous === undefined) return;
      const next: Record<string, unknown> = { ...previous };
      for (const [name, value] of Object.entries(changes)) {
        if (value === null || value === undefined) delete next[name];
        else next[name] = value;
      }
      table.replace(previous, Object.freeze(next as SfRecord));
    },
    delete: (objectName, id, by) => deleteRecord(requireObject(objectName), id, by, true),
    scan: (objectName) => store.scan(objectName),
    get: (objectName, id) => store.get(objectName, id)
  };

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

  function replaySeeds(): void {
    for (const seed of seeds) {
      const object = requireObject(seed.objectName);
      const table = tableFor(object);
      if (seed.id !== undefined && (table.get(seed.id) !== undefined || table.binIds.has(seed.id)))
        continue;
      const record = insertRecord(object, seed.fields, seed.by, true, { fixedId: seed.id });
      seed.id = record.Id;
    }
  }

  function clear(): void {
    openSavepoints = [];
    tables.clear();
    datasets.clear();
    sequence = 0;
    nextDataset = 0;
  }

  const store: MemoryRecordStore = {
    insert: (objectName, fields, by, insertOptions = {}) =>
      insertRecord(requireObject(objectName), fields, by, insertOptions.asSystem ?? false, {
        allowAuditFields: insertOptions.allowAuditFields ?? false
      }),

    savepoint() {
      const state: OpenSavepoint = { log: [] };
      openSavepoints.push(new WeakRef(state));
      let done = false;
      return {
        rollback() {
          if (done) return;
          done = true;
          // Outer savepoints recorded the same changes: once undone here they must not be
          // undone again there.
          for (const ref of closeSavepoint(state)) {
            const outer = ref.deref();
            if (outer) outer.log.splice(Math.max(0, outer.log.length - state.log.length));
          }
          replaying = true;
          try {
            for (let i = state.log.length - 1; i >= 0; i--) state.log[i]?.();
          } finally {
            replaying = false;
            state.log = [];
          }
          changed();
        },
        release() {
          if (done) return;
          done = true;
          closeSavepoint(state);
          state.log = [];
        }
      };
    },

    insertAsSystem: (objectName, fields, by) =>
      insertRecord(requireObject(objectName), fields, by, true),

    update: (objectName, id, fields, by) => updateRecord(requireObject(objectName), id, fields, by),

    upsert(objectName, keyField, keyValue, fields, by): UpsertResult {
      const object = requireObject(objectName);
      const field = schema.getField(object, keyField);
      if (field === undefined || !(field.idLookup || field.externalId)) {
        throw writeErrors.notUpsertKey(keyField);
      }
      if (field.type === 'id') {
        if (keyValue === '')
          return { id: insertRecord(object, fields, by, false).Id, created: true };
        return { id: updateRecord(object, keyValue, fields, by).Id, created: false };
      }
      const key = coerceValue(field, keyValue);
      const ids = key === null ? [] : findByKey(object, field, key);
      // The URL's key wins over a copy of the key field in the body.
      const body = Object.fromEntries(
        Object.entries(fields).filter(([name]) => name.toLowerCase() !== field.name.toLowerCase())
      );
      if (ids.length > 1) throw new MultipleMatchesError(object.name, field.name, ids);
      const [existing] = ids;
      if (existing !== undefined) {
        return { id: updateRecord(object, existing, body, by).Id, created: false };
      }
      const record = insertRecord(object, { ...body, [field.name]: keyValue }, by, false);
      return { id: record.Id, created: true };
    },

    delete: (objectName, id, by) => deleteRecord(requireObject(objectName), id, by),

    get(objectName, id) {
      const object = schema.getObject(objectName);
      const normalized = normalizeId(id);
      if (object === undefined || normalized === undefined) return undefined;
      if (normalized.slice(0, 3) !== object.keyPrefix) return undefined;
      const location = locate(tableFor(object), normalized);
      return location === undefined || location.kind === 'deleted' ? undefined : location.record;
    },

    getById(id) {
      const normalized = normalizeId(id);
      if (normalized === undefined) return undefined;
      const object = schema.objectForKeyPrefix(normalized.slice(0, 3));
      if (object === undefined) return undefined;
      const location = locate(tableFor(object), normalized);
      if (location === undefined || location.kind === 'deleted') return undefined;
      return { object, record: location.record };
    },

    scan(objectName, scanOptions = {}) {
      const object = schema.getObject(objectName);
      if (object === undefined) return [];
      const table = tableFor(object);
      return {
        [Symbol.iterator]: () =>
          scanTable(table, scanOptions.includeDeleted ?? false, scanOptions.fromIndex ?? 0)
      };
    },

    count(objectName, countOptions = {}) {
      const object = schema.getObject(objectName);
      if (object === undefined) return 0;
      const table = tableFor(object);
      table.compact();
      const live = table.storedCount + table.generatedCount;
      return countOptions.includeDeleted ? live + table.bin.length : live;
    },

    addGeneratedDataset(objectName, count, make) {
      const object = requireObject(objectName);
      if (object.kind === 'platformEvent') {
        throw new TypeError(`${object.name} is a platform event: events are published, not stored`);
      }
      if (!Number.isSafeInteger(count) || count < 0) {
        throw new RangeError(
          `A generated dataset needs a non-negative integer count, got ${count}`
        );
      }
      const nowText = formatDatetime(clock.now());
      const template: Record<string, unknown> = {};
      setIfField(object, template, 'IsDeleted', false);
      for (const name of [...CREATED_FIELDS, ...MODIFIED_FIELDS, 'OwnerId']) {
        const isUser = name.endsWith('Id');
        if (isUser && options.systemUserId === undefined) continue;
        setIfField(object, template, name, isUser ? options.systemUserId : nowText);
      }
      const dataset = new GeneratedDataset(
        nextDataset,
        object,
        count,
        make,
        Object.freeze(template),
        journal
      );
      // Validates the dataset number and row range once, up front.
      if (count > 0) dataset.idOf(count - 1);
      nextDataset += 1;
      datasets.set(dataset.number, dataset);
      tableFor(object).datasets.push(dataset);
    },

    onInsert(listener) {
      insertListeners.push(listener);
    },

    onChange(listener) {
      changeListeners.push(listener);
    },

    seed(objectName, fields, by, id) {
      const seed: Seed = { objectName, fields: { ...fields }, by };
      if (id !== undefined) seed.id = id;
      const record = insertRecord(requireObject(objectName), seed.fields, by, true, {
        fixedId: seed.id
      });
      seed.id = record.Id;
      seeds.push(seed);
      return record;
    },

    findByField(objectName, fieldName, value) {
      const object = schema.getObject(objectName);
      const field = object === undefined ? undefined : schema.getField(object, fieldName);
      if (object === undefined || field === undefined) return [];
      const table = tableFor(object);
      return findByKey(object, field, value)
        .map((id) => table.get(id))
        .filter((record): record is SfRecord => record !== undefined);
    },

    reset() {
      clear();
      replaySeeds();
      changed();
    },

    snapshot() {
      const data: Record<string, SfRecord[]> = {};
      for (const table of tables.values()) {
        const records = [...table.rows.filter((r): r is SfRecord => r !== undefined), ...table.bin];
        if (records.length > 0) data[table.object.name] = records;
      }
      return data;
    },

    restore(data) {
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        throw new TypeError('Persisted records must be an object of object name -> records');
      }
      clear();
      for (const [objectName, records] of Object.entries(data)) {
        const object = schema.getObject(objectName);
        // Objects the metadata no longer defines are dropped, as a deploy would.
        if (object === undefined || object.kind === 'platformEvent') continue;
        if (!Array.isArray(records)) throw new TypeError(`Persisted ${objectName} is not an array`);
        const table = tableFor(object);
        for (const raw of records as unknown[]) {
          const source = raw as Record<string, unknown> | null;
          const id = normalizeId(source?.Id);
          if (source === null || id === undefined || id.slice(0, 3) !== object.keyPrefix) {
            throw new TypeError(`Persisted ${objectName} record has no valid ${object.name} Id`);
          }
          const record: Record<string, unknown> = { Id: id };
          for (const field of object.fields) {
            const value = source[field.name];
            if (field.name !== 'Id' && value !== undefined && value !== null)
              record[field.name] = value;
          }
          const frozen = Object.freeze(record as SfRecord);
          if (record.IsDeleted === true) table.addToBin(frozen);
          else if (table.get(id) === undefined) table.add(frozen);
          noteId(id);
          for (const field of object.fields) {
            if (!field.autoNumber) continue;
            const counter = parseAutoNumber(field.displayFormat ?? '{0}', record[field.name]);
            if (counter !== undefined && counter > (table.autoNumbers.get(field.name) ?? 0)) {
              table.autoNumbers.set(field.name, counter);
            }
          }
        }
      }
      replaySeeds();
    }
  };

  return store;
}
