import type { CheckResult } from '../finding.ts';
import { SchemaRefs } from '../schema-refs.ts';
import type { Workspace } from '../workspace.ts';
import { apexReferenceFindings } from './apex-references.ts';
import { lwcReferenceFindings } from './lwc-references.ts';
import { metadataReferenceFindings } from './metadata-references.ts';

/**
 * Rule references: every object and field the project names resolves in the one schema model
 * the org emulator also serves (toolkit/src/salesforce-schema), as a deploy resolves them.
 */
export async function checkReferences(ws: Workspace): Promise<CheckResult> {
  const refs = await SchemaRefs.load(ws);
  const findings = [
    ...(await apexReferenceFindings(ws, refs)),
    ...(await metadataReferenceFindings(ws, refs)),
    ...(await lwcReferenceFindings(ws, refs))
  ];
  return { findings, summary: `${refs.schema.objects().length} objects in the schema model` };
}
