/**
 * Generated datasets on the store: `count` rows of an object produced on demand (see
 * generated.ts), carrying the system fields a stored record of the integration user would.
 */
import type { Clock, SObjectDescribe } from '../model.ts';
import { CREATED_FIELDS, MODIFIED_FIELDS, setIfField } from './audit.ts';
import type { TableRegistry } from './registry.ts';
import { formatDatetime } from './values.ts';

export function addGeneratedDataset(
  registry: TableRegistry,
  clock: Clock,
  systemUserId: string | undefined,
  dataset: { objectName: string; count: number; make: (index: number) => Record<string, unknown> }
): void {
  const { count } = dataset;
  const object = registry.requireObject(dataset.objectName);
  if (object.kind === 'platformEvent') {
    throw new TypeError(`${object.name} is a platform event: events are published, not stored`);
  }
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`A generated dataset needs a non-negative integer count, got ${count}`);
  }
  const template = rowTemplate(object, formatDatetime(clock.now()), systemUserId);
  registry.addDataset(object, count, dataset.make, template);
}

/** System fields every row carries; without a system user, no user fields. */
function rowTemplate(
  object: SObjectDescribe,
  nowText: string,
  systemUserId: string | undefined
): Readonly<Record<string, unknown>> {
  const template: Record<string, unknown> = {};
  setIfField(object, template, 'IsDeleted', false);
  for (const name of [...CREATED_FIELDS, ...MODIFIED_FIELDS, 'OwnerId']) {
    const isUser = name.endsWith('Id');
    if (isUser && systemUserId === undefined) continue;
    setIfField(object, template, name, isUser ? systemUserId : nowText);
  }
  return Object.freeze(template);
}
