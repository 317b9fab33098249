/**
 * Deletes: a live record (stored, or a generated row) moves to the recycle bin with
 * IsDeleted = true. Every delete comes through deleteRecord (the API's, and those the
 * behaviours cascade), so what a delete does to the records around it belongs here.
 */
import type { Principal, SfRecord, SObjectDescribe } from '../model.ts';
import { checkObjectAccess } from './access.ts';
import { MODIFIED_FIELDS, stampAudit } from './audit.ts';
import { afterDelete } from './behaviours.ts';
import type { StoreContext } from './context.ts';
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
  const { table, location } = writeTarget(context.registry, object, id);
  const nowText = formatDatetime(context.clock.now());
  const deleted: Record<string, unknown> = { ...location.record, IsDeleted: true };
  stampAudit(object, deleted, MODIFIED_FIELDS, by.userId, nowText);
  const frozen = Object.freeze(deleted as SfRecord);
  if (location.kind === 'stored') table.remove(location.record, frozen);
  else {
    location.dataset.delete(location.index);
    table.addToBin(frozen);
  }
  afterDelete(context.host, object, location.record, by);
  context.events.changed();
}
