/**
 * Deletes: a live record (stored, or a generated row) moves to the recycle bin with
 * IsDeleted = true. Every delete comes through deleteRecord, so what a delete does to the
 * records around it belongs here: the delete rules of the relationships pointing at the record
 * (delete-rules.ts) cascade to children, clear their lookups or refuse the delete, and nothing
 * changes until the whole delete is known to succeed.
 */
import type { Principal, SObjectDescribe } from '../model.ts';
import { checkObjectAccess } from './access.ts';
import { MODIFIED_FIELDS, stampAudit } from './audit.ts';
import type { StoreContext } from './context.ts';
import { planDelete, type PlannedRecord } from './delete-rules.ts';
import type { TableRegistry } from './registry.ts';
import { patchRecord } from './update.ts';
import { formatDatetime } from './values.ts';
import { writeTarget } from './write-target.ts';

export function deleteRecord(
  context: StoreContext,
  object: SObjectDescribe,
  id: string,
  by: Principal,
  system = false
): void {
  checkObjectAccess(object, 'deleted', system);
  const { location } = writeTarget(context.registry, object, id);
  const plan = planDelete(context.registry, object, location.record);
  // The platform clears the lookups itself: the children are not saved (no audit fields).
  for (const { object: child, record, field } of plan.clears) {
    patchRecord(context.registry, child.name, record.Id, { [field.name]: null });
  }
  const nowText = formatDatetime(context.clock.now());
  for (const doomed of plan.deletes) moveToBin(context.registry, doomed, by, nowText);
  context.events.changed();
}

function moveToBin(
  registry: TableRegistry,
  { object, record }: PlannedRecord,
  by: Principal,
  nowText: string
): void {
  const table = registry.tableFor(object);
  const location = registry.locate(table, record.Id);
  if (location === undefined || location.kind === 'deleted') return;
  const deleted: Record<string, unknown> = { ...location.record, IsDeleted: true };
  stampAudit(object, deleted, MODIFIED_FIELDS, by.userId, nowText);
  const frozen = Object.freeze(deleted as typeof location.record);
  if (location.kind === 'stored') table.remove(location.record, frozen);
  else {
    location.dataset.delete(location.index);
    table.addToBin(frozen);
  }
}
