import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RegistryAccess } from '@salesforce/source-deploy-retrieve';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { CheckResult, Finding } from '../finding.ts';
import { filesEnding, rel, type Workspace } from '../workspace.ts';

const METADATA_NAMESPACE = 'http://soap.sforce.com/2006/04/metadata';

/**
 * Maps a source suffix (`cls`, `field`, `permissionset`...) to the metadata type whose element
 * must be the file's root. Built from source-deploy-retrieve's registry so it knows every type
 * the CLI knows, including child types such as CustomField.
 */
function rootElementsBySuffix(): Map<string, string> {
  const registry = new RegistryAccess().getRegistry();
  const bySuffix = new Map<string, string>();
  for (const type of Object.values(registry.types)) {
    if (type.suffix) bySuffix.set(type.suffix, type.name);
    for (const child of Object.values(type.children?.types ?? {})) {
      if (child.suffix) bySuffix.set(child.suffix, child.name);
    }
  }
  // Bundle types are resolved by folder, not suffix, so the registry has no entry for these.
  bySuffix.set('js', 'LightningComponentBundle');
  bySuffix.set('resource', 'StaticResource');
  return bySuffix;
}

/**
 * Every XML file must be well-formed (source-deploy-retrieve silently repairs or drops broken
 * XML; a deploy then fails or, worse, deploys something else). Metadata files must also use the
 * metadata namespace and the root element of the type their suffix names.
 */
export async function checkXml(ws: Workspace): Promise<CheckResult> {
  const findings: Finding[] = [];
  const expectedRoot = rootElementsBySuffix();
  const parser = new XMLParser({ ignoreAttributes: false, ignoreDeclaration: true });
  const files = filesEnding(ws, '.xml');
  for (const file of files) {
    const xml = await readFile(file, 'utf8');
    const result = XMLValidator.validate(xml, { allowBooleanAttributes: false });
    if (result !== true) {
      findings.push({
        check: 'xml',
        file: rel(ws, file),
        line: result.err.line,
        column: result.err.col,
        severity: 'error',
        message: `malformed XML: ${result.err.msg}`
      });
      continue;
    }
    if (!file.endsWith('-meta.xml')) continue;
    const document = parser.parse(xml) as Record<string, Record<string, unknown>>;
    const roots = Object.keys(document).filter((k) => !k.startsWith('?') && !k.startsWith('#'));
    const root = roots[0];
    const suffix =
      path
        .basename(file)
        .replace(/-meta\.xml$/, '')
        .split('.')
        .pop() ?? '';
    const wanted = expectedRoot.get(suffix);
    if (roots.length !== 1 || root === undefined) {
      findings.push(error(ws, file, 'metadata file must have exactly one root element'));
    } else if (wanted && root !== wanted) {
      findings.push(
        error(ws, file, `root element <${root}> but a .${suffix} file holds <${wanted}>`)
      );
    } else if (document[root]?.['@_xmlns'] !== METADATA_NAMESPACE) {
      findings.push(
        error(ws, file, `root element <${root}> must declare xmlns="${METADATA_NAMESPACE}"`)
      );
    }
  }
  return { findings, summary: `${files.length} XML files` };
}

function error(ws: Workspace, file: string, message: string): Finding {
  return { check: 'xml', file: rel(ws, file), line: 1, severity: 'error', message };
}
