/**
 * The other side of reference fields: the child relationships of an object (every record field
 * of every object that can point at it), with the name and delete rule describe reports and the
 * store's delete applies. Derived from the fields themselves, once per schema.
 */
import type { DeleteConstraint, FieldDescribe, Schema, SObjectDescribe } from '../model.ts';

export interface ChildRelationship {
  childObject: SObjectDescribe;
  /** The child's reference field (`Invoice__c.Account__c`). */
  field: FieldDescribe;
  /** `Invoices__r`, `Contacts`; null when the relationship is unnamed (e.g. CreatedById). */
  relationshipName: string | null;
  deleteConstraint: DeleteConstraint;
}

const cache = new WeakMap<Schema, Map<string, ChildRelationship[]>>();

/** Only data objects hold references: events and custom metadata records are never children. */
function holdsRecords(object: SObjectDescribe): boolean {
  return object.kind === 'standard' || object.kind === 'custom';
}

function index(schema: Schema): Map<string, ChildRelationship[]> {
  const byParent = new Map<string, ChildRelationship[]>();
  for (const childObject of schema.objects()) {
    if (!holdsRecords(childObject)) continue;
    for (const field of childObject.fields) {
      if (field.type !== 'reference') continue;
      for (const target of field.referenceTo) {
        const parent = schema.getObject(target);
        if (parent === undefined) continue;
        const list = byParent.get(parent.name) ?? [];
        list.push({
          childObject,
          field,
          relationshipName: field.childRelationshipName ?? null,
          deleteConstraint: field.deleteConstraint ?? 'SetNull'
        });
        byParent.set(parent.name, list);
      }
    }
  }
  return byParent;
}

/** The relationships whose records point at `parent`, in schema order (children by name). */
export function childRelationships(schema: Schema, parent: SObjectDescribe): ChildRelationship[] {
  let byParent = cache.get(schema);
  if (byParent === undefined) {
    byParent = index(schema);
    cache.set(schema, byParent);
  }
  return byParent.get(parent.name) ?? [];
}
