import path from 'node:path';
import { ESLint } from 'eslint';
import type { CheckResult, Finding } from '../finding.ts';
import { rel, type Workspace } from '../workspace.ts';

/** ESLint with Salesforce's LWC rules on every TypeScript LWC module and its tests. */
export async function checkLint(ws: Workspace): Promise<CheckResult> {
  const files = ws.files.filter((f) => f.endsWith('.ts') && f.split(path.sep).includes('lwc'));
  if (files.length === 0) return { findings: [], summary: 'no LWC' };
  const eslint = new ESLint({
    cwd: ws.root,
    overrideConfigFile: path.join(ws.toolRoot, 'eslint.config.js'),
    errorOnUnmatchedPattern: false
  });
  const findings: Finding[] = [];
  for (const result of await eslint.lintFiles(files)) {
    for (const m of result.messages) {
      findings.push({
        check: 'eslint',
        file: rel(ws, result.filePath),
        line: m.line,
        column: m.column,
        severity: m.severity === 2 ? 'error' : 'warning',
        rule: m.ruleId ?? undefined,
        message: m.message
      });
    }
  }
  return { findings, summary: `${files.length} files` };
}
