/**
 * Running Apex tests in an org and judging the result: outcome, failures, coverage threshold.
 *
 * The JSON shape is what `sf apex run test --code-coverage --json` prints as `result`. It is
 * produced by @salesforce/plugin-apex 3.9.40 `JsonReporter.format()`
 * (node_modules/@salesforce/plugin-apex/lib/reporters/jsonReporter.{d.ts,js}: type RunResult)
 * from @salesforce/apex-node 8.4.39's `TestResult`
 * (node_modules/@salesforce/apex-node/lib/src/tests/types.d.ts). Facts from that code that
 * matter here:
 * - `summary.testRunCoverage` is `calculatePercentage(covered, total)` = `(c/t*100).toFixed()`:
 *   ROUNDED TO A WHOLE PERCENT ("85%" for 84.9%). The exact figure comes from
 *   `coverage.summary.coveredLines / totalLines` (ApexCodeCoverageAggregate line counts).
 * - The test-run coverage only counts classes that at least one test touched; a class with no
 *   test at all is invisible to it. `summary.orgWideCoverage` ("NN%", ApexOrgWideCoverage
 *   .PercentCovered, whole percent) includes it. So the default gate checks both.
 * - `coverage.coverage[].coveredPercent` is `parseInt` of a rounded percentage; recompute from
 *   `totalCovered / totalLines`.
 * - With failing tests sf exits 100 and the envelope's `status` is 100 (TestReporter sets
 *   process.exitCode = 100) - a normal result, not an error.
 * - When `--wait` runs out, `result` is only `{ "testRunId": "707..." }`.
 */
import { ScriptError } from '../../toolkit/src/cli/main.ts';
import type { Sf } from './sf.ts';

// ---- the JSON shape (mirrors plugin-apex RunResult; optional where the code makes it so) ----

export interface ApexTestRunSummary {
  outcome: string;
  testsRan: number;
  passing: number;
  failing: number;
  skipped: number;
  passRate?: string;
  failRate?: string;
  testStartTime?: string;
  testExecutionTime?: string;
  testTotalTime?: string;
  commandTime?: string;
  hostname?: string;
  orgId?: string;
  username?: string;
  testRunId?: string;
  userId?: string;
  orgWideCoverage?: string;
  testRunCoverage?: string;
}

export interface ApexTestCase {
  Id?: string;
  QueueItemId?: string;
  StackTrace: string | null;
  Message: string | null;
  AsyncApexJobId?: string;
  MethodName: string;
  /** "Pass" | "Fail" | "CompileFail" | "Skip" */
  Outcome: string;
  ApexClass: { Id?: string; Name: string; NamespacePrefix?: string | null };
  RunTime?: number;
  FullName?: string;
}

export interface ApexClassCoverage {
  id: string;
  name: string;
  totalLines: number;
  lines?: Record<string, number>;
  totalCovered: number;
  coveredPercent: number;
}

export interface ApexCoverageBlock {
  coverage: ApexClassCoverage[];
  records?: unknown[];
  summary: {
    totalLines?: number;
    coveredLines?: number;
    testRunCoverage?: string;
    orgWideCoverage?: string;
  };
}

export interface ApexTestRunResult {
  summary: ApexTestRunSummary;
  tests: ApexTestCase[];
  coverage?: ApexCoverageBlock;
}

/** `result` when `--wait` ran out before the run finished. */
export interface ApexTestRunPending {
  testRunId: string;
}

// ---- evaluation ---------------------------------------------------------------------------

/** Which coverage figure(s) must reach the minimum. */
export type CoverageBasis = 'run' | 'org' | 'both';
export const COVERAGE_BASES: readonly CoverageBasis[] = ['run', 'org', 'both'];

export interface TestFailure {
  className: string;
  methodName: string;
  outcome: string;
  message: string;
  stackTrace: string;
}

export interface ClassCoverageLine {
  name: string;
  covered: number;
  total: number;
  /** Exact percentage (not rounded). */
  percent: number;
}

export interface TestRunEvaluation {
  ok: boolean;
  outcome: string;
  testsRan: number;
  passing: number;
  failing: number;
  skipped: number;
  testRunId?: string;
  failures: TestFailure[];
  /** Per class, lowest coverage first. */
  classes: ClassCoverageLine[];
  /** Exact test-run coverage from line counts (undefined if sf gave only the rounded string). */
  runCoverage?: { covered: number; total: number; percent: number; exact: boolean };
  /** Org-wide coverage, a whole percent as the platform reports it. */
  orgWideCoverage?: number;
  minCoverage: number;
  basis: CoverageBasis;
  /** Why the run does not pass (empty when ok). */
  problems: string[];
}

function percentOf(covered: number, total: number): number {
  return total === 0 ? 0 : (covered * 100) / total;
}

/** "85%" -> 85; undefined for anything else. */
export function parsePercent(text: string | undefined): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Shows a percentage truncated (never rounded up) to 2 decimals: 84.996 -> "84.99%". */
export function formatPercent(value: number): string {
  // The epsilon absorbs binary noise (0.29 * 100 = 28.999...), far below the shown precision.
  const truncated = Math.floor(value * 100 + 1e-9) / 100;
  return `${truncated.toFixed(2).replace(/\.?0+$/, '')}%`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks the shape of `sf apex run test --code-coverage --json`'s result and returns it typed.
 * @throws ScriptError when the run has not finished (only a testRunId) or the data is not a test result.
 */
export function asTestRunResult(result: unknown): ApexTestRunResult {
  if (isRecord(result) && !('summary' in result) && typeof result.testRunId === 'string') {
    throw new ScriptError(
      `The test run ${result.testRunId} had not finished when the wait ran out. Get its result later with: npm run org:test -- --test-run-id ${result.testRunId} (or raise --wait).`
    );
  }
  if (!isRecord(result) || !isRecord(result.summary) || !Array.isArray(result.tests)) {
    throw new ScriptError(
      'sf returned no Apex test result (expected "summary" and "tests" in its JSON).'
    );
  }
  return result as unknown as ApexTestRunResult;
}

/**
 * Judges a finished test run: every test passes, the platform outcome is not a failure, and
 * coverage (per `basis`) is at least `minCoverage` percent, compared exactly (84.9 < 85).
 * @throws ScriptError when coverage data is missing entirely (sf was run without --code-coverage).
 */
export function evaluateTestRun(
  raw: unknown,
  options: { minCoverage: number; basis: CoverageBasis }
): TestRunEvaluation {
  const result = asTestRunResult(raw);
  const { summary } = result;
  const failures: TestFailure[] = result.tests
    .filter((test) => test.Outcome !== 'Pass' && test.Outcome !== 'Skip')
    .map((test) => ({
      className: test.ApexClass?.Name ?? '(unknown class)',
      methodName: test.MethodName,
      outcome: test.Outcome,
      message: test.Message ?? '',
      stackTrace: test.StackTrace ?? ''
    }));

  const coverageBlock = result.coverage;
  const orgWideText = summary.orgWideCoverage ?? coverageBlock?.summary.orgWideCoverage;
  const runText = summary.testRunCoverage ?? coverageBlock?.summary.testRunCoverage;
  if (!coverageBlock && orgWideText === undefined && runText === undefined) {
    throw new ScriptError(
      'The test result has no coverage data: run the tests with --code-coverage (sf apex run test --code-coverage).'
    );
  }

  const classes: ClassCoverageLine[] = (coverageBlock?.coverage ?? [])
    .map((c) => ({
      name: c.name,
      covered: c.totalCovered,
      total: c.totalLines,
      percent: percentOf(c.totalCovered, c.totalLines)
    }))
    .sort((a, b) => a.percent - b.percent || a.name.localeCompare(b.name));

  let runCoverage: TestRunEvaluation['runCoverage'];
  const totals = coverageBlock?.summary;
  if (typeof totals?.totalLines === 'number' && typeof totals.coveredLines === 'number') {
    runCoverage = {
      covered: totals.coveredLines,
      total: totals.totalLines,
      percent: percentOf(totals.coveredLines, totals.totalLines),
      exact: true
    };
  } else if (classes.length > 0) {
    const covered = classes.reduce((sum, c) => sum + c.covered, 0);
    const total = classes.reduce((sum, c) => sum + c.total, 0);
    runCoverage = { covered, total, percent: percentOf(covered, total), exact: true };
  } else {
    const percent = parsePercent(runText);
    if (percent !== undefined) runCoverage = { covered: 0, total: 0, percent, exact: false };
  }
  const orgWideCoverage = parsePercent(orgWideText);

  const problems: string[] = [];
  if (failures.length > 0 || summary.failing > 0) {
    const count = Math.max(failures.length, summary.failing);
    problems.push(`${count} test${count === 1 ? '' : 's'} failed`);
  } else if (summary.outcome === 'Failed' || summary.outcome === 'Aborted') {
    problems.push(`the test run's outcome is ${summary.outcome}`);
  }
  if (summary.testsRan === 0) problems.push('no tests ran');

  const min = options.minCoverage;
  if (options.basis === 'run' || options.basis === 'both') {
    if (!runCoverage) problems.push('the result has no test-run coverage figure');
    else if (runCoverage.exact && runCoverage.total === 0)
      problems.push('the tests covered no Apex lines');
    else if (runCoverage.percent < min)
      problems.push(
        `test-run coverage ${formatPercent(runCoverage.percent)} is below the minimum ${formatPercent(min)}`
      );
  }
  if (options.basis === 'org' || options.basis === 'both') {
    if (orgWideCoverage === undefined) problems.push('the result has no org-wide coverage figure');
    else if (orgWideCoverage < min)
      problems.push(
        `org-wide coverage ${formatPercent(orgWideCoverage)} is below the minimum ${formatPercent(min)}`
      );
  }

  return {
    ok: problems.length === 0,
    outcome: summary.outcome,
    testsRan: summary.testsRan,
    passing: summary.passing,
    failing: summary.failing,
    skipped: summary.skipped,
    ...(summary.testRunId ? { testRunId: summary.testRunId } : {}),
    failures,
    classes,
    ...(runCoverage ? { runCoverage } : {}),
    ...(orgWideCoverage !== undefined ? { orgWideCoverage } : {}),
    minCoverage: min,
    basis: options.basis,
    problems
  };
}

function indent(text: string, prefix: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .map((line) => `${prefix}${line}`);
}

/** A readable multi-line summary of an evaluated run (no colours: it goes to logs and CI). */
export function formatTestSummary(
  evaluation: TestRunEvaluation,
  options: { maxClasses?: number } = {}
): string {
  const lines: string[] = [];
  lines.push(
    `Apex tests: ${evaluation.outcome} - ${evaluation.testsRan} ran, ${evaluation.passing} passed, ${evaluation.failing} failed, ${evaluation.skipped} skipped${evaluation.testRunId ? ` (run ${evaluation.testRunId})` : ''}`
  );
  if (evaluation.failures.length > 0) {
    lines.push('', 'Failures:');
    for (const failure of evaluation.failures) {
      lines.push(`  x ${failure.className}.${failure.methodName} (${failure.outcome})`);
      lines.push(...indent(failure.message, '      '));
      lines.push(...indent(failure.stackTrace, '      at '));
    }
  }
  lines.push('', 'Coverage:');
  const run = evaluation.runCoverage;
  if (run) {
    lines.push(
      run.exact
        ? `  test run:  ${formatPercent(run.percent)} (${run.covered}/${run.total} lines)`
        : `  test run:  ${formatPercent(run.percent)} (rounded by sf; no line counts)`
    );
  } else {
    lines.push('  test run:  n/a');
  }
  lines.push(
    `  org-wide:  ${evaluation.orgWideCoverage === undefined ? 'n/a' : formatPercent(evaluation.orgWideCoverage)}`
  );
  lines.push(
    `  minimum:   ${formatPercent(evaluation.minCoverage)} (checked on: ${evaluation.basis === 'both' ? 'test run and org-wide' : evaluation.basis === 'run' ? 'test run' : 'org-wide'})`
  );
  if (evaluation.classes.length > 0) {
    const max = options.maxClasses ?? 50;
    const shown = evaluation.classes.slice(0, max);
    const width = Math.max(...shown.map((c) => c.name.length));
    lines.push('', 'Per class (lowest first):');
    for (const c of shown) {
      const flag = c.percent < evaluation.minCoverage ? '  < minimum' : '';
      lines.push(
        `  ${c.name.padEnd(width)}  ${formatPercent(c.percent).padStart(7)}  ${String(c.covered).padStart(5)}/${c.total}${flag}`
      );
    }
    if (evaluation.classes.length > max)
      lines.push(`  ... and ${evaluation.classes.length - max} more`);
  }
  lines.push('', evaluation.ok ? 'PASS' : `FAIL: ${evaluation.problems.join('; ')}`);
  return lines.join('\n');
}

// ---- running -------------------------------------------------------------------------------

export interface ApexTestRunOptions {
  targetOrg?: string;
  /** Minutes sf waits for the run (sf `--wait`). */
  waitMinutes: number;
  /** Evaluate an earlier run instead of starting one. */
  testRunId?: string;
  /** Where sf writes result files (sf `--output-dir`), e.g. for CI's JUnit. */
  outputDir?: string;
}

/** The sf arguments for running (or fetching) a RunLocalTests run with coverage. */
export function buildApexTestArgs(options: ApexTestRunOptions): string[] {
  const args = options.testRunId
    ? [
        'apex',
        'get',
        'test',
        '--test-run-id',
        options.testRunId,
        '--code-coverage',
        '--result-format',
        'json'
      ]
    : [
        'apex',
        'run',
        'test',
        '--test-level',
        'RunLocalTests',
        '--code-coverage',
        '--result-format',
        'json',
        '--wait',
        String(options.waitMinutes)
      ];
  if (options.targetOrg) args.push('--target-org', options.targetOrg);
  if (options.outputDir) args.push('--output-dir', options.outputDir);
  return args;
}

/** sf statuses that still carry a complete test result: 0 all passed, 100 some failed. */
export const APEX_TEST_OK_STATUSES = [0, 100] as const;

/** Runs the tests and returns sf's raw result (evaluate it with {@link evaluateTestRun}). */
export async function runApexTests(sf: Sf, options: ApexTestRunOptions): Promise<unknown> {
  return sf.result<unknown>(buildApexTestArgs(options), { okStatuses: APEX_TEST_OK_STATUSES });
}
