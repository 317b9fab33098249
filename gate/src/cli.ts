import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../toolkit/src/project.ts';
import { formatFinding } from './finding.ts';
import { CHECKS, runGate, type CheckOutcome } from './gate.ts';

const HELP = `Usage: npm run verify -- [options]

The no-org verification gate: fails, with file and line, on anything a deploy would reject
or that the project forbids.

Options:
  --project <dir>   SFDX project to check (default: this repository)
  --only <names>    comma-separated subset of checks: ${CHECKS.map((c) => c.name).join(', ')}
  --warnings        also print warnings (always counted)
  --json            print the full report as JSON instead of text
  -h, --help        show this help

Checks:
${CHECKS.map((c) => `  ${c.name.padEnd(11)} ${c.description}`).join('\n')}
`;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function statusLine(o: CheckOutcome): string {
  const errors = o.findings.filter((f) => f.severity === 'error').length;
  const warnings = o.findings.length - errors;
  const mark = o.crashed ? '!' : errors > 0 ? '✗' : '✓';
  const counts = o.crashed
    ? `could not run: ${o.crashed.split('\n')[0]}`
    : `${errors} error(s), ${warnings} warning(s)${o.summary ? ` - ${o.summary}` : ''}`;
  return `${mark} ${o.name.padEnd(11)} ${counts} (${seconds(o.durationMs)})`;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        project: { type: 'string' },
        only: { type: 'string' },
        warnings: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      },
      strict: true
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const toolRoot = projectRoot();
  const projectDir = path.resolve(values.project ?? toolRoot);
  const only = values.only
    ? values.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
  const progress = !values.json;
  if (progress) console.log(`verify: checking ${projectDir}`);

  const report = await runGate({
    projectDir,
    toolRoot,
    only,
    onOutcome: progress ? (o) => console.log(statusLine(o)) : undefined
  });

  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    const shown = report.outcomes.flatMap((o) =>
      o.findings.filter((f) => values.warnings || f.severity === 'error')
    );
    const build = report.outcomes.find((o) => o.name === 'lwc-build');
    if (build) console.log(statusLine(build));
    if (shown.length > 0) console.log('');
    for (const finding of shown) console.log(formatFinding(finding));
    for (const o of report.outcomes.filter((x) => x.crashed)) {
      console.log(`\n[${o.name}] could not run:\n${o.crashed}`);
    }
    console.log(
      `\nverify: ${report.passed ? 'PASSED' : 'FAILED'} - ${report.errors} error(s), ${report.warnings} warning(s) in ${seconds(report.durationMs)}`
    );
  }
  return report.passed ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`verify: ${(error as Error).message}`);
    process.exitCode = 2;
  }
);
