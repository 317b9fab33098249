import { readFile } from 'node:fs/promises';
import type { CheckResult, Finding } from '../finding.ts';
import { loadMetadataTypes, type MetadataType, type MetadataTypes } from '../metadata-types.ts';
import { filesEnding, rel, type Workspace } from '../workspace.ts';
import { parseXmlTree, type XmlElement } from '../xml-tree.ts';
import { targetConfigProblems } from './lwc-target-configs.ts';

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

/** The stretch of the WSDL order between two elements, for the message. */
function orderList(order: string[], first: string, last: string): string {
  const from = order.indexOf(first);
  const to = order.indexOf(last);
  const stretch = order.slice(from, to + 1);
  return stretch.length > MAX_LISTED
    ? `${stretch.slice(0, 3).join(', ')}, ..., ${stretch.slice(-3).join(', ')}`
    : stretch.join(', ');
}

/**
 * Which API version the elements were checked at. The types may be newer than the project's
 * sourceApiVersion: an element added after it then passes here, while a deploy at the project's
 * version rejects it ("invalid at this location"); the summary says so.
 */
function versionNote(types: MetadataTypes, projectVersion: string): string {
  const wsdl = types.apiVersion;
  const source = `@salesforce/types ${types.version}`;
  if (!wsdl) return `WSDL of ${source} (API version not in metadata-types.ts's table)`;
  const newer = projectVersion !== '' && Number(wsdl) > Number(projectVersion);
  return newer
    ? `Metadata API ${wsdl} WSDL (${source}), newer than the project's ${projectVersion}: an element added after ${projectVersion} is not caught`
    : `Metadata API ${wsdl} WSDL (${source})`;
}

/**
 * Rule metadata-schema: every element of a metadata file belongs to its type, as the Metadata
 * API checks on deploy ("Element {...}x invalid at this location in type Y"). The element tree
 * is checked against the WSDL's types (gate/src/metadata-types.ts) from the root down; the
 * content of simple-typed elements (text) is not descended into. An LWC's `targetConfigs`, a
 * string to the WSDL, is checked against the LWC configuration reference (lwc-target-configs.ts).
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
    // An LWC's js-meta.xml is read by the bundle compiler, not the Metadata API's schema-bound
    // parser: Salesforce's own examples put <targets> before <targetConfigs>, and it deploys.
    const checkOrder = root.name !== 'LightningComponentBundle';
    const walk = (element: XmlElement, type: MetadataType, where: string): void => {
      const order = [...type.elements.keys()];
      let previous: { name: string; index: number } | undefined;
      for (const child of element.children) {
        const declared = type.elements.get(child.name);
        const index = order.indexOf(child.name);
        if (declared !== undefined && checkOrder && previous && index < previous.index) {
          findings.push({
            check: 'metadata-schema',
            file: rel(ws, file),
            line: child.line,
            severity: 'error',
            message: `Element ${child.name} invalid at this location in type ${type.name} (${where}): the Metadata API expects its elements in the WSDL's order, ${child.name} before ${previous.name} (${orderList(order, child.name, previous.name)})`
          });
        }
        if (declared !== undefined && (!previous || index > previous.index)) {
          previous = { name: child.name, index };
        }
        if (declared === undefined) {
          findings.push({
            check: 'metadata-schema',
            file: rel(ws, file),
            line: child.line,
            severity: 'error',
            message: `Element ${child.name} invalid at this location in type ${type.name} (${where}): the Metadata API (API ${types.apiVersion ?? '?'} WSDL via @salesforce/types ${types.version}) allows ${allowedList(type)}`
          });
          continue;
        }
        const childType = types.get(declaredType(child, declared, types));
        if (childType) walk(child, childType, `${where}.${child.name}`);
      }
    };
    walk(root, rootType, root.name);
    if (root.name === 'LightningComponentBundle') {
      for (const problem of targetConfigProblems(root)) {
        findings.push({
          check: 'metadata-schema',
          file: rel(ws, file),
          line: problem.line,
          severity: 'error',
          message: problem.message
        });
      }
    }
  }
  return {
    findings,
    summary: `${checked} metadata files; ${versionNote(types, ws.sourceApiVersion)}`
  };
}
