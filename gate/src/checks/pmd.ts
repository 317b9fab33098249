import path from 'node:path';
import {
  CodeAnalyzer,
  CodeAnalyzerConfig,
  EventType,
  LogLevel,
  type EngineLogEvent,
  type LogEvent
} from '@salesforce/code-analyzer-core';
import * as pmdEngine from '@salesforce/code-analyzer-pmd-engine';
import * as regexEngine from '@salesforce/code-analyzer-regex-engine';
import type { CheckResult, Finding } from '../finding.ts';
import { filesEnding, rel, type Workspace } from '../workspace.ts';

/** Code Analyzer severities: 1 Critical, 2 High, 3 Moderate, 4 Low, 5 Info. */
const FAILING_SEVERITY = 2;

/**
 * PMD 7 (security, CRUD/FLS, governor-limit rules) and the regex engine, driven through
 * Salesforce Code Analyzer's own core library with the project's code-analyzer.yml. The `sf
 * code-analyzer` plugin does not install from the reachable registry, the core packages do.
 *
 * PMD reports a file it cannot parse only as an engine log event, not as a violation: an
 * unparsable class would otherwise pass with zero findings, so those events fail the check.
 */
export async function checkPmd(ws: Workspace): Promise<CheckResult> {
  const targets = filesEnding(ws, '.cls', '.trigger');
  if (targets.length === 0) return { findings: [], summary: 'no Apex' };

  const config = CodeAnalyzerConfig.fromFile(path.join(ws.toolRoot, 'code-analyzer.yml'));
  const analyzer = new CodeAnalyzer(config);
  const findings: Finding[] = [];
  const engineErrors: string[] = [];
  const onLog = (event: LogEvent | EngineLogEvent): void => {
    if (event.logLevel !== LogLevel.Error) return;
    const processing = /processing error for file '([^']+)':\s*([\s\S]*)/.exec(event.message);
    if (processing?.[1]) {
      findings.push({
        check: 'pmd',
        file: rel(ws, processing[1]),
        severity: 'error',
        rule: 'ProcessingError',
        message: `PMD could not analyse this file: ${(processing[2] ?? '').trim().split('\n')[0]}`
      });
    } else {
      engineErrors.push(event.message);
    }
  };
  analyzer.onEvent(EventType.LogEvent, onLog);
  analyzer.onEvent(EventType.EngineLogEvent, onLog);
  await analyzer.addEnginePlugin(pmdEngine.createEnginePlugin());
  await analyzer.addEnginePlugin(regexEngine.createEnginePlugin());

  const workspace = await analyzer.createWorkspace(ws.packageDirs, targets);
  const rules = await analyzer.selectRules(['pmd:Recommended:Apex', 'regex:Recommended'], {
    workspace
  });
  const results = await analyzer.run(rules, { workspace });
  if (engineErrors.length > 0) {
    throw new Error(`Code Analyzer engine failed:\n${engineErrors.join('\n')}`);
  }
  for (const violation of results.getViolations()) {
    const rule = violation.getRule();
    const location = violation.getPrimaryLocation();
    const file = location.getFile();
    findings.push({
      check: 'pmd',
      file: file ? rel(ws, file) : '(project)',
      line: location.getStartLine(),
      column: location.getStartColumn(),
      severity: rule.getSeverityLevel() <= FAILING_SEVERITY ? 'error' : 'warning',
      rule: `${rule.getEngineName()}:${rule.getName()}`,
      message: violation.getMessage().trim()
    });
  }
  return { findings, summary: `${rules.getCount()} rules on ${targets.length} files` };
}
