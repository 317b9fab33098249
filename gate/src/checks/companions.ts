import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CheckResult, Finding } from '../finding.ts';
import { filesEnding, rel, type Workspace } from '../workspace.ts';

const LWC_NAME = /^[a-z][A-Za-z0-9_]*$/;

/**
 * Files a deploy needs in pairs or bundles. source-deploy-retrieve silently drops an Apex class
 * without its -meta.xml, so the org would simply never get it; a bundle without its .js or
 * .js-meta.xml is rejected by the deploy.
 */
export async function checkCompanions(ws: Workspace): Promise<CheckResult> {
  const findings: Finding[] = [];
  const present = new Set(ws.files);
  const fail = (file: string, message: string): void => {
    findings.push({ check: 'companions', file: rel(ws, file), severity: 'error', message });
  };

  for (const source of filesEnding(ws, '.cls', '.trigger')) {
    if (!present.has(`${source}-meta.xml`)) {
      fail(source, `missing ${path.basename(source)}-meta.xml: the CLI silently skips this file`);
    }
  }
  for (const meta of filesEnding(ws, '.cls-meta.xml', '.trigger-meta.xml')) {
    const source = meta.replace(/-meta\.xml$/, '');
    if (!present.has(source)) fail(meta, `no ${path.basename(source)} next to this -meta.xml`);
  }

  const bundles = new Set(
    ws.files
      .map((f) => f.split(path.sep))
      .filter(
        (parts) => parts.lastIndexOf('lwc') >= 0 && parts.lastIndexOf('lwc') < parts.length - 2
      )
      .map((parts) => parts.slice(0, parts.lastIndexOf('lwc') + 2).join(path.sep))
  );
  for (const bundle of bundles) {
    const name = path.basename(bundle);
    if (name === '__mocks__' || name.startsWith('.') || name.endsWith('.json')) continue;
    const main = path.join(bundle, name);
    if (!LWC_NAME.test(name) || name.includes('__') || name.endsWith('_')) {
      fail(
        bundle,
        `LWC bundle name "${name}" must start with a lowercase letter and use only letters, digits and single inner underscores`
      );
    }
    if (!present.has(`${main}.ts`) && !present.has(`${main}.js`)) {
      fail(bundle, `LWC bundle "${name}" has no ${name}.ts (or ${name}.js)`);
    }
    if (!present.has(`${main}.js-meta.xml`)) {
      fail(bundle, `LWC bundle "${name}" has no ${name}.js-meta.xml`);
    }
  }
  return { findings, summary: `${bundles.size} LWC bundles` };
}

/**
 * An LWC that imports `@salesforce/apex/Class.method` fails to deploy unless the class exists
 * and the method is `@AuraEnabled`. Checks every import against the project's Apex source.
 */
export async function checkApexImports(ws: Workspace): Promise<CheckResult> {
  const findings: Finding[] = [];
  const auraEnabled = new Map<string, Set<string>>();
  for (const cls of filesEnding(ws, '.cls')) {
    const source = await readFile(cls, 'utf8');
    const methods = new Set<string>();
    const pattern =
      /@AuraEnabled\b[^\n]*\s+(?:(?:public|global|static|override)\s+)+[\w<>,.\s[\]]+?\s+(\w+)\s*\(/gi;
    for (const match of source.matchAll(pattern)) if (match[1]) methods.add(match[1].toLowerCase());
    auraEnabled.set(path.basename(cls, '.cls').toLowerCase(), methods);
  }
  const components = ws.files.filter(
    (f) =>
      f.split(path.sep).includes('lwc') &&
      /\.(ts|js)$/.test(f) &&
      !f.includes(`${path.sep}__tests__${path.sep}`) &&
      !f.endsWith('.d.ts')
  );
  for (const file of components) {
    if (file.endsWith('.js') && existsSync(file.replace(/\.js$/, '.ts'))) continue; // compiled output
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((text, index) => {
      for (const match of text.matchAll(/['"]@salesforce\/apex\/(\w+)\.(\w+)['"]/g)) {
        const [, className = '', method = ''] = match;
        const methods = auraEnabled.get(className.toLowerCase());
        const problem = !methods
          ? `imports @salesforce/apex/${className}.${method} but the project has no class ${className}`
          : !methods.has(method.toLowerCase())
            ? `imports @salesforce/apex/${className}.${method} but ${className} has no @AuraEnabled method ${method}`
            : undefined;
        if (problem) {
          findings.push({
            check: 'lwc-apex',
            file: rel(ws, file),
            line: index + 1,
            severity: 'error',
            message: problem
          });
        }
      }
    });
  }
  return { findings, summary: `${components.length} LWC modules` };
}
