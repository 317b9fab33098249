import path from 'node:path';
import { apexLsClasspath } from '../apex-ls.ts';
import type { CheckResult, Finding } from '../finding.ts';
import { run } from '../run-process.ts';
import type { Workspace } from '../workspace.ts';

interface ApexLsReport {
  files: {
    path: string;
    messages: { start: { line: number; offset: number }; category: string; message: string }[];
  }[];
}

/** apex-ls categories that a deploy would reject; the rest (Warning, Unused) are advice. */
const BLOCKING = new Set(['Syntax', 'Error', 'Missing']);
const MAX_MESSAGE = 240;

/**
 * The compile-style check: apex-ls resolves every Apex type, method, field and platform-event
 * field against the project's own object metadata and the standard library, like the org's
 * compiler does on deploy.
 */
export async function checkApexSemantics(ws: Workspace): Promise<CheckResult> {
  const classpath = await apexLsClasspath();
  const result = await run('java', [
    '-Xss8m',
    '-cp',
    classpath,
    'io.github.apexdevtools.apexls.CheckForIssues',
    '--nocache',
    '--format',
    'json',
    '--detail',
    'warnings',
    '--workspace',
    ws.root
  ]);
  // Exit 0 = clean, 4 = issues found; anything else means the checker itself failed.
  if (result.code !== 0 && result.code !== 4) {
    throw new Error(
      `apex-ls exited ${result.code}: ${(result.stderr || result.stdout).slice(0, 2000)}`
    );
  }
  const jsonStart = result.stdout.indexOf('{');
  const report: ApexLsReport =
    jsonStart >= 0 ? JSON.parse(result.stdout.slice(jsonStart)) : { files: [] };
  const findings: Finding[] = [];
  for (const file of report.files) {
    for (const m of file.messages) {
      const text =
        m.message.length > MAX_MESSAGE ? `${m.message.slice(0, MAX_MESSAGE)}...` : m.message;
      findings.push({
        check: 'apex',
        file: path.relative(ws.root, file.path).split(path.sep).join('/'),
        line: m.start.line,
        column: m.start.offset + 1,
        severity: BLOCKING.has(m.category) ? 'error' : 'warning',
        rule: m.category,
        message: text
      });
    }
  }
  if (result.code === 4 && !findings.some((f) => f.severity === 'error')) {
    throw new Error(`apex-ls reported errors it did not list: ${result.stdout.slice(0, 2000)}`);
  }
  return { findings };
}
