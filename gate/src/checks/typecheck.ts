import path from 'node:path';
import ts from 'typescript';
import type { CheckResult, Finding } from '../finding.ts';
import { rel, type Workspace } from '../workspace.ts';

/** The compiler options of the repository's force-app/tsconfig.check.json. */
export function lwcCompilerOptions(ws: Workspace): ts.CompilerOptions {
  const configPath = path.join(ws.toolRoot, 'force-app', 'tsconfig.check.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      }
    }
  );
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  return parsed.options;
}

/**
 * `tsc --noEmit` over every TypeScript LWC and its jest tests, with the compiler options of the
 * repository's force-app/tsconfig.check.json and its declarations for `@salesforce/apex/*`.
 * Jest runs .ts tests without type-checking them, so this is where a wrong type fails.
 */
export async function checkTypes(ws: Workspace): Promise<CheckResult> {
  const components = ws.files.filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f.split(path.sep).includes('lwc')
  );
  if (components.length === 0) return { findings: [], summary: 'no LWC' };
  // Declarations (e.g. the typed `@salesforce/apex/*` modules) come from the checked project.
  const declarations = ws.files.filter((f) => f.endsWith('.d.ts'));
  // `c/<bundle>` imports resolve to the bundle's own .ts, wherever its slice folder is.
  const paths: Record<string, string[]> = {};
  for (const file of components) {
    const [bundle, name] = [path.basename(path.dirname(file)), path.basename(file, '.ts')];
    if (bundle === name) paths[`c/${name}`] = [file];
  }
  const program = ts.createProgram({
    rootNames: [...components, ...declarations],
    options: { ...lwcCompilerOptions(ws), noEmit: true, paths }
  });
  const findings: Finding[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) {
      findings.push({
        check: 'types',
        file: 'force-app/tsconfig.check.json',
        severity: 'error',
        message
      });
      continue;
    }
    const pos = d.file.getLineAndCharacterOfPosition(d.start);
    findings.push({
      check: 'types',
      file: rel(ws, d.file.fileName),
      line: pos.line + 1,
      column: pos.character + 1,
      severity: d.category === ts.DiagnosticCategory.Error ? 'error' : 'warning',
      rule: `TS${d.code}`,
      message
    });
  }
  return { findings, summary: `${components.length} files` };
}
