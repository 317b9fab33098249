/**
 * The other side of reference fields: the child relationships of an object (every reference
 * field of every object that can point at it), with the name describe reports, parent-to-child
 * sub-queries and sObject trees address (`Contacts` on Account, `<relationshipName>__r` for a
 * custom lookup), and the delete rule the store's delete applies. A reference nobody named
 * (CreatedById...) is a child relationship without a name. Derived from the fields themselves,
 * once per schema, on first use.
 */
import type { ChildRelationship, SObjectDescribe } from './model.ts';

/**
 * Only data objects hold references: events and custom metadata records are never children.
 * An external object is (its indirect lookup makes it a related list of the parent).
 */
function holdsRecords(object: SObjectDescribe): boolean {
  return object.kind === 'standard' || object.kind === 'custom' || object.kind === 'external';
}

/** `parent -> its child relationships`, for the schema made of `objects`. */
export function childRelationshipIndex(
  objects: readonly SObjectDescribe[],
  getObject: (name: string) => SObjectDescribe | undefined
): (parent: SObjectDescribe) => ChildRelationship[] {
  let byParent: Map<string, ChildRelationship[]> | undefined;
  const build = () => {
    const index = new Map<string, ChildRelationship[]>();
    for (const childObject of objects) {
      if (!holdsRecords(childObject)) continue;
      for (const field of childObject.fields) {
        if (field.type !== 'reference') continue;
        for (const target of field.referenceTo) {
          const parent = getObject(target);
          if (parent === undefined) continue;
          const list = index.get(parent.name) ?? [];
          list.push({
            childObject,
            field,
            relationshipName: field.childRelationshipName ?? null,
            deleteConstraint: field.deleteConstraint ?? 'SetNull'
          });
          index.set(parent.name, list);
        }
      }
    }
    return index;
  };
  return (parent) => (byParent ??= build()).get(parent.name) ?? [];
}
