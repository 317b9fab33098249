/**
 * Updates of existing records, stored or generated (a generated row keeps its update as an
 * override), and the behaviours' unvalidated patches.
 */
import type { Principal, SfRecord, SObjectDescribe } from '../model.ts';
import { checkObjectAccess } from './access.ts';
import { MODIFIED_FIELDS, stampAudit } from './audit.ts';
import { deriveFields } from './behaviours.ts';
import type { StoreContext } from './context.ts';
import { writeErrors } from './errors.ts';
import { checkUnique } from './keys.ts';
import type { TableRegistry } from './registry.ts';
import { missingRequired, prepareWrite } from './validation.ts';
import { formatDatetime } from './values.ts';
import { writeTarget } from './write-target.ts';

export function updateRecord(
  context: StoreContext,
  object: SObjectDescribe,
  id: string,
  fields: Record<string, unknown>,
  by: Principal
): SfRecord {
  checkObjectAccess(object, 'updated', false);
  const { recordId, table, location } = writeTarget(context.registry, object, id);
  const prepared = prepareWrite(context.validation, object, fields, { mode: 'update', recordId });
  const record: Record<string, unknown> = { ...location.record };
  for (const [field, value] of prepared.values) {
    if (value === null) delete record[field.name];
    else record[field.name] = value;
  }
  deriveFields(object, record, 'update');
  const missing = missingRequired(object, record, 'update', new Set(prepared.values.keys()));
  if (missing.length > 0) throw writeErrors.requiredMissing(missing);
  checkUnique(table, record, recordId);
  stampAudit(object, record, MODIFIED_FIELDS, by.userId, formatDatetime(context.clock.now()));
  const next = Object.freeze(record as SfRecord);
  if (location.kind === 'stored') table.replace(location.record, next);
  else location.dataset.update(location.index, next);
  context.events.changed();
  return next;
}

/**
 * Changes fields of a live record (stored or generated) without validation or audit-field
 * updates: what the platform does on its own (behaviours, lookups cleared by a delete).
 */
export function patchRecord(
  registry: TableRegistry,
  objectName: string,
  id: string,
  changes: Record<string, unknown>
): void {
  const table = registry.tableFor(registry.requireObject(objectName));
  const location = registry.locate(table, id);
  if (location === undefined || location.kind === 'deleted') return;
  const next: Record<string, unknown> = { ...location.record };
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined) delete next[name];
    else next[name] = value;
  }
  const frozen = Object.freeze(next as SfRecord);
  if (location.kind === 'stored') table.replace(location.record, frozen);
  else location.dataset.update(location.index, frozen);
}
