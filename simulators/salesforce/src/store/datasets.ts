/**
 * Generated datasets on the store: `count` rows of an object produced on demand (see
 * generated.ts), carrying the system fields a stored record of the integration user would.
 */
import type { Clock, GeneratedDatasetOptions, SObjectDescribe } from '../model.ts';
import { CREATED_FIELDS, MODIFIED_FIELDS, setIfField } from './audit.ts';
import type { TableRegistry } from './registry.ts';
import { formatDatetime } from './values.ts';

export function addGeneratedDataset(
  registry: TableRegistry,
  clock: Clock,
  systemUserId: string | undefined,
  dataset: { objectName: string; count: number; make: (index: number) => Record<string, unknown> },
  options: GeneratedDatasetOptions = {}
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
  registry.addDataset(
    object,
    count,
    dataset.make,
    template,
    modstampSpread(count, options),
    options.rowOfKey
  );
}

/** Row i's stamp on a straight line from `from` (row 0) to `to` (the last row). */
function modstampSpread(
  count: number,
  { modstamps }: GeneratedDatasetOptions
): ((index: number) => number) | undefined {
  if (modstamps === undefined) return undefined;
  const from = modstamps.from.getTime();
  const to = modstamps.to.getTime();
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) {
    throw new RangeError('modstamps needs valid dates with from <= to');
  }
  const step = count > 1 ? (to - from) / (count - 1) : 0;
  // Whole seconds, as the store keeps datetimes: the row's text and this value agree.
  return (index) => Math.floor((from + index * step) / 1000) * 1000;
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
