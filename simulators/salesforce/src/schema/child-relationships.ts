/**
 * The child relationships of an object: every reference field of any object that can point at
 * it, named as the parent's describe lists them (`childRelationships[].relationshipName`) and
 * as parent-to-child sub-queries and sObject trees address them: `Contacts` on Account, or
 * `<relationshipName>__r` for a custom lookup (set on the field by the schema loader). A
 * reference nobody named (CreatedById...) is a child relationship without a name.
 */
import type { ChildRelationship, SObjectDescribe } from '../model.ts';

export function childRelationships(
  objects: readonly SObjectDescribe[],
  parent: SObjectDescribe
): ChildRelationship[] {
  const found: ChildRelationship[] = [];
  for (const childObject of objects) {
    for (const field of childObject.fields) {
      if (field.type !== 'reference' || !field.referenceTo.includes(parent.name)) continue;
      found.push({ childObject, field, relationshipName: field.childRelationshipName ?? null });
    }
  }
  return found;
}
