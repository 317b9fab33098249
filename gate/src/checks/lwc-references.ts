import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Finding } from '../finding.ts';
import type { SchemaRefs } from '../schema-refs.ts';
import { rel, type Workspace } from '../workspace.ts';
import { lineAt } from '../xml-text.ts';

/** `@salesforce/schema/Account.Owner.Name` or `@salesforce/schema/Invoice__c`. */
const SCHEMA_IMPORT = /['"]@salesforce\/schema\/([\w.]+)['"]/g;

/**
 * LWC `@salesforce/schema/...` imports: the deploy resolves each to an object or field and
 * rejects the bundle when it does not exist. Read from the TypeScript source where there is one
 * (the compiled .js says the same), from the .js otherwise; tests do not deploy.
 */
export async function lwcReferenceFindings(ws: Workspace, refs: SchemaRefs): Promise<Finding[]> {
  const findings: Finding[] = [];
  const modules = ws.files.filter(
    (f) =>
      /\/lwc\/[^/]+\/[^/]+\.(ts|js)$/.test(f.split('\\').join('/')) &&
      !f.endsWith('.d.ts') &&
      !(f.endsWith('.js') && existsSync(f.replace(/\.js$/, '.ts')))
  );
  for (const file of modules) {
    const source = await readFile(file, 'utf8');
    for (const match of source.matchAll(SCHEMA_IMPORT)) {
      const [objectName = '', ...segments] = (match[1] ?? '').split('.');
      const verdict =
        segments.length === 0
          ? refs.checkObject(objectName)
          : refs.checkPath(objectName, segments, { lastMayBeRelationship: false });
      if (!verdict) continue;
      findings.push({
        check: 'references',
        file: rel(ws, file),
        line: lineAt(source, match.index),
        severity: verdict.severity,
        message: `@salesforce/schema/${match[1]}: ${verdict.message}`
      });
    }
  }
  return findings;
}
