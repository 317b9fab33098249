import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildApexTestArgs,
  evaluateTestRun,
  formatPercent,
  formatTestSummary,
  parsePercent,
  runApexTests
} from '../lib/apex-tests.ts';
import { ScriptError } from '../../toolkit/src/cli/main.ts';
import { Sf } from '../lib/sf.ts';
import {
  FAILING_RUN,
  PASSING_RUN,
  RUN_84_9,
  RUN_ORG_WIDE_LOW,
  RUN_PENDING,
  RUN_WITHOUT_COVERAGE
} from './fixtures/apex-results.ts';
import { FakeRunner, ok } from './fixtures/fake-runner.ts';

const DEFAULT = { minCoverage: 85, basis: 'both' } as const;

describe('evaluateTestRun', () => {
  it('passes a green run over the minimum, with exact coverage from line counts', () => {
    const e = evaluateTestRun(PASSING_RUN, DEFAULT);
    assert.equal(e.ok, true, e.problems.join('; '));
    assert.deepEqual(e.problems, []);
    assert.equal(e.testsRan, 4);
    assert.deepEqual(e.runCoverage, {
      covered: 85,
      total: 95,
      percent: (85 * 100) / 95,
      exact: true
    });
    assert.equal(e.orgWideCoverage, 89);
    assert.deepEqual(
      e.classes.map((c) => [c.name, c.covered, c.total]),
      [
        ['IntegrationLogger', 40, 45],
        ['AccountSyncService', 45, 50]
      ]
    );
  });

  it('fails on a failing test and reports class, method, message and stack', () => {
    const e = evaluateTestRun(FAILING_RUN, DEFAULT);
    assert.equal(e.ok, false);
    assert.deepEqual(e.problems, ['1 test failed']);
    assert.deepEqual(e.failures, [
      {
        className: 'AccountSyncServiceTest',
        methodName: 'writesBackSapNumber',
        outcome: 'Fail',
        message: 'System.AssertException: Assertion Failed: Expected: SAP-100042, Actual: null',
        stackTrace: 'Class.AccountSyncServiceTest.writesBackSapNumber: line 57, column 1'
      }
    ]);
  });

  it('84.9% fails at 85 although sf rounds testRunCoverage to "85%"', () => {
    assert.equal(RUN_84_9.summary.testRunCoverage, '85%', 'fixture mirrors sf rounding');
    const e = evaluateTestRun(RUN_84_9, DEFAULT);
    assert.equal(e.runCoverage?.percent, 84.9);
    assert.equal(e.ok, false);
    assert.deepEqual(e.problems, ['test-run coverage 84.9% is below the minimum 85%']);
    // and it passes at 84.9
    assert.equal(evaluateTestRun(RUN_84_9, { minCoverage: 84.9, basis: 'both' }).ok, true);
  });

  it('org-wide coverage counts untested classes: checked with basis both/org, not run', () => {
    assert.deepEqual(evaluateTestRun(RUN_ORG_WIDE_LOW, DEFAULT).problems, [
      'org-wide coverage 71% is below the minimum 85%'
    ]);
    assert.equal(evaluateTestRun(RUN_ORG_WIDE_LOW, { minCoverage: 85, basis: 'run' }).ok, true);
    assert.equal(evaluateTestRun(RUN_ORG_WIDE_LOW, { minCoverage: 85, basis: 'org' }).ok, false);
  });

  it('missing coverage data is a clear error, not a pass', () => {
    assert.throws(
      () => evaluateTestRun(RUN_WITHOUT_COVERAGE, DEFAULT),
      (error: unknown) => {
        assert.ok(error instanceof ScriptError);
        assert.match(error.message, /no coverage data: run the tests with --code-coverage/);
        return true;
      }
    );
  });

  it('an unfinished run (only a testRunId) says how to fetch it later', () => {
    assert.throws(
      () => evaluateTestRun(RUN_PENDING, DEFAULT),
      /had not finished.*npm run org:test -- --test-run-id 7078d00000AbCdE/
    );
  });

  it('rejects something that is not a test result', () => {
    assert.throws(() => evaluateTestRun({ status: 'Succeeded' }, DEFAULT), /no Apex test result/);
    assert.throws(() => evaluateTestRun(null, DEFAULT), /no Apex test result/);
  });

  it('a run that covered no lines fails', () => {
    const noLines = structuredClone(PASSING_RUN);
    noLines.coverage = {
      coverage: [],
      records: [],
      summary: { totalLines: 0, coveredLines: 0, orgWideCoverage: '0%', testRunCoverage: '0%' }
    };
    assert.deepEqual(evaluateTestRun(noLines, { minCoverage: 85, basis: 'run' }).problems, [
      'the tests covered no Apex lines'
    ]);
  });

  it('falls back to per-class sums, then to the rounded string', () => {
    const noTotals = structuredClone(RUN_84_9);
    if (noTotals.coverage) noTotals.coverage.summary = {};
    assert.equal(evaluateTestRun(noTotals, DEFAULT).runCoverage?.percent, 84.9);
    const onlyStrings = structuredClone(PASSING_RUN);
    delete onlyStrings.coverage;
    const e = evaluateTestRun(onlyStrings, DEFAULT);
    assert.deepEqual(e.runCoverage, { covered: 0, total: 0, percent: 89, exact: false });
  });
});

describe('formatTestSummary', () => {
  it('shows counts, failures with stack, coverage and the verdict', () => {
    const text = formatTestSummary(evaluateTestRun(FAILING_RUN, DEFAULT));
    assert.match(
      text,
      /^Apex tests: Failed - 3 ran, 2 passed, 1 failed, 0 skipped \(run 7078d00000AbCdE\)/
    );
    assert.match(
      text,
      /x AccountSyncServiceTest\.writesBackSapNumber \(Fail\)\n {6}System\.AssertException: Assertion Failed/
    );
    assert.match(text, /at Class\.AccountSyncServiceTest\.writesBackSapNumber: line 57, column 1/);
    assert.match(text, /test run: {2}89\.47% \(85\/95 lines\)/);
    assert.match(text, /org-wide: {2}89%/);
    assert.match(text, /IntegrationLogger\s+88\.88%\s+40\/45/);
    assert.match(text, /FAIL: 1 test failed$/);
  });

  it('never rounds up to the minimum in the display', () => {
    const text = formatTestSummary(evaluateTestRun(RUN_84_9, DEFAULT));
    assert.match(text, /test run: {2}84\.9% \(849\/1000 lines\)/);
    assert.match(text, /FAIL: test-run coverage 84\.9% is below the minimum 85%/);
    assert.equal(formatPercent(84.996), '84.99%');
    assert.equal(formatPercent(100), '100%');
    assert.equal(formatPercent(0.29), '0.29%');
    assert.equal(parsePercent('89%'), 89);
    assert.equal(parsePercent('n/a'), undefined);
  });

  it('PASS for a good run', () => {
    assert.match(formatTestSummary(evaluateTestRun(PASSING_RUN, DEFAULT)), /\nPASS$/);
  });
});

describe('running the tests', () => {
  it('builds the real sf flags', () => {
    assert.deepEqual(buildApexTestArgs({ targetOrg: 'sis-scratch', waitMinutes: 30 }), [
      'apex',
      'run',
      'test',
      '--test-level',
      'RunLocalTests',
      '--code-coverage',
      '--result-format',
      'json',
      '--wait',
      '30',
      '--target-org',
      'sis-scratch'
    ]);
    assert.deepEqual(
      buildApexTestArgs({ waitMinutes: 30, testRunId: '7078d00000AbCdE', outputDir: 'out' }),
      [
        'apex',
        'get',
        'test',
        '--test-run-id',
        '7078d00000AbCdE',
        '--code-coverage',
        '--result-format',
        'json',
        '--output-dir',
        'out'
      ]
    );
  });

  it('a run with failures (sf status 100) is a result, not an exception', async () => {
    const runner = new FakeRunner([['apex run test', ok(FAILING_RUN, 100)]]);
    const raw = await runApexTests(new Sf(runner), { targetOrg: 'x', waitMinutes: 30 });
    assert.equal(evaluateTestRun(raw, DEFAULT).failing, 1);
  });
});
