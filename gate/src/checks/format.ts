import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as prettier from 'prettier';
import type { CheckResult, Finding } from '../finding.ts';
import { rel, type Workspace } from '../workspace.ts';
import { VENDORED } from './vendored.ts';

const FORMATTED = /\.(cls|trigger|xml|ts|js|html|css|json|md)$/;

/**
 * Prettier with prettier-plugin-apex's native parser is the Apex syntax check (a class that does
 * not parse cannot deploy) and the formatting rule for Apex, metadata XML, TypeScript, HTML,
 * JSON and Markdown. Uses the repository's .prettierrc whatever project is checked.
 */
export async function checkFormat(ws: Workspace): Promise<CheckResult> {
  const configFile = path.join(ws.toolRoot, '.prettierrc');
  const findings: Finding[] = [];
  // A vendored copy ships as its package wrote it (minified); the vendored check owns it.
  const vendored = new Set(VENDORED.map((v) => v.copy));
  const files = ws.files.filter(
    (f) =>
      FORMATTED.test(f) &&
      !(f.endsWith('.js') && existsSync(f.replace(/\.js$/, '.ts'))) &&
      !vendored.has(rel(ws, f))
  );
  for (const file of files) {
    const options = await prettier.resolveConfig(file, { config: configFile });
    const source = await readFile(file, 'utf8');
    try {
      if (!(await prettier.check(source, { ...options, filepath: file }))) {
        findings.push({
          check: 'format',
          file: rel(ws, file),
          severity: 'error',
          message: 'not formatted: run `npm run format`'
        });
      }
    } catch (error) {
      const e = error as Error & { loc?: { start?: { line?: number; column?: number } } };
      findings.push({
        check: 'syntax',
        file: rel(ws, file),
        line: finite(e.loc?.start?.line),
        column: finite(e.loc?.start?.column),
        severity: 'error',
        message: `does not parse: ${e.message.split(/\r?\n/)[0]}`
      });
    }
  }
  return { findings, summary: `${files.length} files` };
}

function finite(n: number | undefined): number | undefined {
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}
