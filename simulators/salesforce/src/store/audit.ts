/** Audit fields the store maintains itself, set only on objects that have them. */
import type { SObjectDescribe } from '../model.ts';

export const CREATED_FIELDS = ['CreatedDate', 'CreatedById'];
export const MODIFIED_FIELDS = ['LastModifiedDate', 'LastModifiedById', 'SystemModstamp'];

export function setIfField(
  object: SObjectDescribe,
  record: Record<string, unknown>,
  name: string,
  value: unknown
): void {
  if (object.fields.some((f) => f.name === name)) record[name] = value;
}

/** Sets `names`: the user fields (`...Id`) to `userId`, the others to `nowText`. */
export function stampAudit(
  object: SObjectDescribe,
  record: Record<string, unknown>,
  names: readonly string[],
  userId: string,
  nowText: string
): void {
  for (const name of names)
    setIfField(object, record, name, name.endsWith('Id') ? userId : nowText);
}
