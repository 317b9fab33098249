import { readFile } from 'node:fs/promises';
import type { CheckResult, Finding } from '../finding.ts';
import { loadMetadataTypes, type MetadataType, type MetadataTypes } from '../metadata-types.ts';
import { filesEnding, rel, type Workspace } from '../workspace.ts';
import { parseXmlTree, type XmlElement } from '../xml-tree.ts';

const MAX_LISTED = 12;

/** `xsi:type="Foo"` picks a subtype of the declared one (the WSDL's polymorphic elements). */
function declaredType(element: XmlElement, declared: string, types: MetadataTypes): string {
  const xsiType = Object.entries(element.attributes).find(([key]) => key.endsWith(':type'))?.[1];
  const local = xsiType?.split(':').pop();
  return local && types.get(local) ? local : declared;
}

function allowedList(type: MetadataType): string {
  const names = [...type.elements.keys()].sort();
  const shown = names.slice(0, MAX_LISTED).join(', ');
  return names.length > MAX_LISTED ? `${shown}, ... (${names.length} in all)` : shown;
}

/**
 * Rule metadata-schema: every element of a metadata file belongs to its type, as the Metadata
 * API checks on deploy ("Element {...}x invalid at this location in type Y"). The element tree
 * is checked against the WSDL's types (gate/src/metadata-types.ts) from the root down; the
 * content of simple-typed elements (text, `targetConfigs` markup) is not descended into.
 */
export async function checkMetadataSchema(ws: Workspace): Promise<CheckResult> {
  const types = await loadMetadataTypes();
  const findings: Finding[] = [];
  let checked = 0;
  for (const file of filesEnding(ws, '-meta.xml')) {
    const root = parseXmlTree(await readFile(file, 'utf8'));
    const rootType = root && types.get(root.name);
    if (!root || !rootType) continue;
    checked++;
    const walk = (element: XmlElement, type: MetadataType, where: string): void => {
      for (const child of element.children) {
        const declared = type.elements.get(child.name);
        if (declared === undefined) {
          findings.push({
            check: 'metadata-schema',
            file: rel(ws, file),
            line: child.line,
            severity: 'error',
            message: `Element ${child.name} invalid at this location in type ${type.name} (${where}): the Metadata API (WSDL via @salesforce/types ${types.version}) allows ${allowedList(type)}`
          });
          continue;
        }
        const childType = types.get(declaredType(child, declared, types));
        if (childType) walk(child, childType, `${where}.${child.name}`);
      }
    };
    walk(root, rootType, root.name);
  }
  return { findings, summary: `${checked} metadata files` };
}
