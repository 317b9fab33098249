/**
 * Inserts: the one path every new record takes (API inserts, upserts that create, seeds,
 * fixtures, and records the behaviours create), so what an insert validates and sets is decided
 * here.
 */
import { randomUUID } from 'node:crypto';
import type { FieldDescribe, Principal, SfRecord, SObjectDescribe } from '../model.ts';
import { checkObjectAccess } from './access.ts';
import { CREATED_FIELDS, MODIFIED_FIELDS, setIfField, stampAudit } from './audit.ts';
import { formatAutoNumber } from './auto-number.ts';
import { afterInsert, deriveFields } from './behaviours.ts';
import type { StoreContext } from './context.ts';
import { writeErrors } from './errors.ts';
import { checkUnique } from './keys.ts';
import type { ObjectTable } from './table.ts';
import type { PreparedWrite } from './validation.ts';
import { missingRequired, prepareWrite } from './validation.ts';
import { formatDatetime } from './values.ts';

export interface InsertRecordOptions {
  /** The Id of a seed (kept across reset()). */
  fixedId?: string;
  allowAuditFields?: boolean;
}

export function insertRecord(
  context: StoreContext,
  object: SObjectDescribe,
  fields: Record<string, unknown>,
  by: Principal,
  system: boolean,
  options: InsertRecordOptions = {}
): SfRecord {
  checkObjectAccess(object, 'inserted', system);
  const table = context.registry.tableFor(object);
  const { prepared, record } = buildRecord(context, object, fields, by, {
    system,
    allowAuditFields: options.allowAuditFields ?? false
  });

  const id = prepared.id ?? options.fixedId ?? context.ids.next(object.keyPrefix);
  if (table.get(id) !== undefined || table.binIds.has(id)) {
    throw writeErrors.duplicateValue(object.fields[0] as FieldDescribe, id);
  }
  checkUnique(table, record, id);

  const now = context.clock.now();
  const stored = withSystemFields(context, object, { id, record, prepared, by, now });
  assignAutoNumbers(table, object, stored, now);
  context.ids.note(id);

  if (object.kind === 'platformEvent') {
    // Events are not stored: they go to subscribers (the context routes them to the bus,
    // which stamps ReplayId and the publish time). The EventUuid is known at once: the API
    // answers it to the publisher.
    stored.EventUuid = randomUUID();
    const event = Object.freeze(stored as SfRecord);
    context.events.inserted(object, event);
    return event;
  }
  table.add(Object.freeze(stored as SfRecord));
  afterInsert(context.host, object, stored as SfRecord, by);
  const result = table.get(id) ?? (stored as SfRecord);
  context.events.inserted(object, result);
  context.events.changed();
  return result;
}

/** The validated request values with defaults, derived values and the owner filled in. */
function buildRecord(
  context: StoreContext,
  object: SObjectDescribe,
  fields: Record<string, unknown>,
  by: Principal,
  options: { system: boolean; allowAuditFields: boolean }
): { prepared: PreparedWrite; record: Record<string, unknown> } {
  const prepared = prepareWrite(context.validation, object, fields, { mode: 'insert', ...options });
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
  return { prepared, record };
}

/** The record as stored: Id, IsDeleted and audit fields first, then the written values. */
function withSystemFields(
  context: StoreContext,
  object: SObjectDescribe,
  write: {
    id: string;
    record: Record<string, unknown>;
    prepared: PreparedWrite;
    by: Principal;
    now: Date;
  }
): Record<string, unknown> {
  const nowText = formatDatetime(write.now);
  const stored: Record<string, unknown> = { Id: write.id };
  setIfField(object, stored, 'IsDeleted', false);
  stampAudit(object, stored, CREATED_FIELDS, write.by.userId, nowText);
  stampAudit(object, stored, MODIFIED_FIELDS, write.by.userId, nowText);
  Object.assign(stored, write.record);
  // A back-dated LastModifiedDate (fixtures) moves SystemModstamp with it.
  const lastModified = context.registry.schema.getField(object, 'LastModifiedDate');
  if (write.prepared.values.has(lastModified as FieldDescribe)) {
    setIfField(object, stored, 'SystemModstamp', stored.LastModifiedDate);
  }
  return stored;
}

function assignAutoNumbers(
  table: ObjectTable,
  object: SObjectDescribe,
  stored: Record<string, unknown>,
  now: Date
): void {
  for (const field of object.fields) {
    if (!field.autoNumber || stored[field.name] !== undefined) continue;
    const counter = (table.autoNumbers.get(field.name) ?? 0) + 1;
    table.autoNumbers.set(field.name, counter);
    stored[field.name] = formatAutoNumber(field.displayFormat ?? '{0}', counter, now);
  }
}
