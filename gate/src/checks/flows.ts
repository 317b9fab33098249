import { readFile } from 'node:fs/promises';
import path from 'node:path';
import flowScanner, { type IRulesConfig } from '@flow-scanner/lightning-flow-scanner-core';
import type { CheckResult, Finding } from '../finding.ts';
import { filesEnding, rel, type Workspace } from '../workspace.ts';

// The scanner ships as a UMD/CommonJS bundle: Node's ESM loader sees only its default export.
const { exportDetails, getRules, parse, scan } = flowScanner;

/**
 * Lightning Flow Scanner over every flow: missing fault paths, hard-coded ids and URLs, DML and
 * SOQL in loops, inactive flows, outdated API versions... with the severities of the project's
 * .flow-scanner.json. The scanner does not validate XML; the xml check does.
 */
export async function checkFlows(ws: Workspace): Promise<CheckResult> {
  const files = filesEnding(ws, '.flow-meta.xml');
  if (files.length === 0) return { findings: [], summary: 'no flows' };
  const config = JSON.parse(
    await readFile(path.join(ws.toolRoot, '.flow-scanner.json'), 'utf8')
  ) as IRulesConfig;
  const parsed = await parse(files);
  const labels = new Map(getRules().map((r) => [r.name, r.label]));
  const findings: Finding[] = [];
  for (const flow of parsed) {
    if (!flow.flow) {
      findings.push({
        check: 'flow',
        file: rel(ws, flow.uri),
        severity: 'error',
        message: `flow scanner could not read this flow: ${flow.errorMessage ?? 'unknown error'}`
      });
    }
  }
  for (const v of exportDetails(
    scan(
      parsed.filter((p) => p.flow),
      config
    )
  )) {
    findings.push({
      check: 'flow',
      file: rel(ws, v.flowFile),
      line: v.lineNumber > 0 ? v.lineNumber : undefined,
      column: v.columnNumber > 0 ? v.columnNumber : undefined,
      severity: v.severity === 'error' ? 'error' : 'warning',
      rule: v.ruleName,
      message:
        v.name === v.ruleName
          ? (labels.get(v.ruleName) ?? v.ruleName)
          : `${labels.get(v.ruleName) ?? v.ruleName}: ${v.type} "${v.name}"`
    });
  }
  return { findings, summary: `${files.length} flows` };
}
