// What the export needs to know of the schema before any API call, from the project's own
// metadata (toolkit/src/salesforce-schema reads force-app):
//  - which selected paths are compound fields (address, geolocation) Bulk API 2.0 refuses: a
//    custom geolocation field such as `Site__c`, also through a parent (`Account__r.Site__c`).
//    The standard addresses are known by name to export-query.ts;
//  - which selected parents are polymorphic (`Owner` of a custom object: User or Group): such a
//    parent has no SystemModstamp of its own in SOQL, so the incremental window cannot follow
//    its changes (export-query.ts windowCondition).
// An object or field the project does not describe is left to Salesforce (a compound field: the
// job is refused with "Selecting compound data not supported in Bulk Query").
import { loadSchema } from '../../../toolkit/src/salesforce-schema/index.ts';
import type { Schema, SObjectDescribe } from '../../../toolkit/src/salesforce-schema/model.ts';
import { projectRoot } from '../../../toolkit/src/project.ts';

export interface SchemaChecks {
  compoundFields(object: string, path: string[]): boolean;
  /** Whether the parent path (`Account__r`, `Owner`) names one object the project describes. */
  singleParent(object: string, path: string[]): boolean;
}

/** The object a relationship path leads to, or undefined (unknown or polymorphic). */
function follow(schema: Schema, objectName: string, path: string[]): SObjectDescribe | undefined {
  let object = schema.getObject(objectName);
  for (const segment of path) {
    if (!object) return undefined;
    const parent = schema.getRelationship(object, segment)?.referenceTo;
    object = parent?.length === 1 ? schema.getObject(parent[0] as string) : undefined;
  }
  return object;
}

export async function projectSchemaChecks(projectDir = projectRoot()): Promise<SchemaChecks> {
  const schema = await loadSchema(projectDir);
  return {
    compoundFields(objectName, path) {
      const object = follow(schema, objectName, path.slice(0, -1));
      const type = object ? schema.getField(object, path.at(-1) ?? '')?.type : undefined;
      return type === 'location' || type === 'address';
    },
    singleParent(objectName, path) {
      return follow(schema, objectName, path) !== undefined;
    }
  };
}
