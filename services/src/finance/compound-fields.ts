// Which selected paths are compound fields (address, geolocation) that Bulk API 2.0 refuses,
// known before any API call from the project's own metadata (toolkit/src/salesforce-schema
// reads force-app): a custom geolocation field such as `Site__c`, also through a parent
// (`Account__r.Site__c`). The standard addresses are known by name to export-query.ts; an
// object or field the project does not describe is left to Salesforce, which refuses the job
// with "Selecting compound data not supported in Bulk Query".
import { loadSchema } from '../../../toolkit/src/salesforce-schema/index.ts';
import { projectRoot } from '../../../toolkit/src/project.ts';

export type CompoundFieldTest = (object: string, path: string[]) => boolean;

export async function projectCompoundFields(
  projectDir = projectRoot()
): Promise<CompoundFieldTest> {
  const schema = await loadSchema(projectDir);
  return (objectName, path) => {
    let object = schema.getObject(objectName);
    for (const [i, segment] of path.entries()) {
      if (!object) return false;
      if (i === path.length - 1) {
        const type = schema.getField(object, segment)?.type;
        return type === 'location' || type === 'address';
      }
      const parent = schema.getRelationship(object, segment)?.referenceTo;
      object = parent?.length === 1 ? schema.getObject(parent[0] as string) : undefined;
    }
    return false;
  };
}
