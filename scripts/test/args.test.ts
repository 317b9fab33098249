import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError, formatHelp } from '../../toolkit/src/cli/args.ts';
import {
  DEPLOY_SPEC,
  ORG_CREATE_SPEC,
  parseDeployArgs,
  parseDoctorArgs,
  parseOrgCreateArgs,
  parseOrgTestArgs,
  parseSeedArgs
} from '../lib/options.ts';

function options<T>(parsed: { help: true; text: string } | { help: false; options: T }): T {
  assert.equal(parsed.help, false, 'expected options, got help');
  return (parsed as { options: T }).options;
}

function usageError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected UsageError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'usage errors are one line');
    return true;
  });
}

describe('org:create arguments', () => {
  it('defaults', () => {
    const o = options(parseOrgCreateArgs([]));
    assert.equal(o.alias, 'sis-scratch');
    assert.equal(o.durationDays, 7);
    assert.equal(o.devHub, undefined);
    assert.equal(o.definitionFile, 'config/project-scratch-def.json');
    assert.equal(o.seed, true);
    assert.equal(o.tests, true);
    assert.equal(o.setDefault, true);
    assert.deepEqual(o.permissionSets, ['Integration_Admin']);
    assert.equal(o.minCoverage, 85);
    assert.equal(o.seedPlan, 'data/seed/seed-plan.json');
  });

  it('reads every flag', () => {
    const o = options(
      parseOrgCreateArgs([
        '--alias',
        'feature-x',
        '--duration-days',
        '30',
        '--dev-hub',
        'MyHub',
        '--no-seed',
        '--no-tests',
        '--definition-file',
        'config/other.json',
        '--no-set-default',
        '--permset',
        'A,B',
        '--permset',
        'C',
        '--wait',
        '20'
      ])
    );
    assert.deepEqual(
      {
        alias: o.alias,
        d: o.durationDays,
        hub: o.devHub,
        seed: o.seed,
        tests: o.tests,
        def: o.definitionFile,
        sd: o.setDefault,
        ps: o.permissionSets,
        w: o.waitMinutes
      },
      {
        alias: 'feature-x',
        d: 30,
        hub: 'MyHub',
        seed: false,
        tests: false,
        def: 'config/other.json',
        sd: false,
        ps: ['A', 'B', 'C'],
        w: 20
      }
    );
  });

  it('short flags work', () => {
    const o = options(parseOrgCreateArgs(['-a', 'x1', '-y', '1', '-v', 'Hub']));
    assert.deepEqual([o.alias, o.durationDays, o.devHub], ['x1', 1, 'Hub']);
  });

  it('validates duration, alias, wait and unknown flags', () => {
    usageError(
      () => parseOrgCreateArgs(['--duration-days', '0']),
      /--duration-days must be from 1 to 30, got 0/
    );
    usageError(
      () => parseOrgCreateArgs(['--duration-days', '31']),
      /--duration-days must be from 1 to 30, got 31/
    );
    usageError(() => parseOrgCreateArgs(['--duration-days', 'week']), /whole number/);
    usageError(() => parseOrgCreateArgs(['--alias', 'my org']), /--alias must use letters/);
    usageError(() => parseOrgCreateArgs(['--alias', '']), /--alias needs a non-empty value/);
    usageError(() => parseOrgCreateArgs(['--wait', '1']), /--wait must be from 2 to 120/);
    usageError(() => parseOrgCreateArgs(['--seed']), /Unknown option --seed/);
    usageError(() => parseOrgCreateArgs(['--no-seed=false']), /does not take a value/);
  });

  it('--help returns the help text instead of options', () => {
    const parsed = parseOrgCreateArgs(['--help']);
    assert.equal(parsed.help, true);
    if (parsed.help) {
      for (const flag of [
        '--alias',
        '--duration-days',
        '--dev-hub',
        '--no-seed',
        '--no-tests',
        '--definition-file'
      ]) {
        assert.ok(parsed.text.includes(flag), `help mentions ${flag}`);
      }
      assert.match(parsed.text, /sf org login web --set-default-dev-hub --alias DevHub/);
      assert.equal(parsed.text, formatHelp(ORG_CREATE_SPEC));
    }
  });
});

describe('deploy arguments', () => {
  it('defaults: no target (use config), not a dry run, sf decides tests', () => {
    assert.deepEqual(options(parseDeployArgs([])), {
      dryRun: false,
      tests: [],
      waitMinutes: 33,
      skipLwcBuild: false,
      enableIntegrations: false,
      withSalesforceConnect: false
    });
  });

  it('--tests implies RunSpecifiedTests and accepts lists', () => {
    const o = options(
      parseDeployArgs(['-o', 'my-org', '--dry-run', '--tests', 'A,B.m', '--tests', 'C'])
    );
    assert.deepEqual(o, {
      targetOrg: 'my-org',
      dryRun: true,
      testLevel: 'RunSpecifiedTests',
      tests: ['A', 'B.m', 'C'],
      waitMinutes: 33,
      skipLwcBuild: false,
      enableIntegrations: false,
      withSalesforceConnect: false
    });
  });

  it('--with-salesforce-connect asks for force-app-connect too', () => {
    assert.equal(
      options(parseDeployArgs(['--with-salesforce-connect'])).withSalesforceConnect,
      true
    );
  });

  it('validates the test level and its pairing with --tests', () => {
    for (const level of ['NoTestRun', 'RunLocalTests', 'RunAllTestsInOrg']) {
      assert.equal(options(parseDeployArgs(['--test-level', level])).testLevel, level);
    }
    usageError(
      () => parseDeployArgs(['--test-level', 'RunSomeTests']),
      /must be one of NoTestRun, RunSpecifiedTests, RunLocalTests, RunAllTestsInOrg/
    );
    usageError(
      () => parseDeployArgs(['--test-level', 'RunSpecifiedTests']),
      /needs the tests to run: add --tests/
    );
    usageError(
      () => parseDeployArgs(['--test-level', 'RunLocalTests', '--tests', 'A']),
      /--tests only applies to --test-level RunSpecifiedTests/
    );
    usageError(() => parseDeployArgs(['--tests', 'A,,B']), /empty item/);
    usageError(() => parseDeployArgs(['--wait', '0']), /--wait must be from 1/);
    usageError(() => parseDeployArgs(['--check-only']), /Unknown option --check-only/);
  });

  it('--help', () => {
    const parsed = parseDeployArgs(['-h']);
    assert.equal(parsed.help, true);
    if (parsed.help) assert.equal(parsed.text, formatHelp(DEPLOY_SPEC));
  });
});

describe('org:test, seed and doctor arguments', () => {
  it('org:test defaults and validation', () => {
    assert.deepEqual(options(parseOrgTestArgs([])), {
      minCoverage: 85,
      basis: 'both',
      waitMinutes: 30,
      json: false
    });
    const o = options(
      parseOrgTestArgs([
        '--min-coverage',
        '90.5',
        '--coverage-basis',
        'run',
        '--test-run-id',
        '7078d00000AbCdE',
        '-o',
        'x'
      ])
    );
    assert.deepEqual(
      [o.minCoverage, o.basis, o.testRunId, o.targetOrg],
      [90.5, 'run', '7078d00000AbCdE', 'x']
    );
    usageError(() => parseOrgTestArgs(['--min-coverage', '120']), /from 0 to 100/);
    usageError(
      () => parseOrgTestArgs(['--coverage-basis', 'class']),
      /must be one of run, org, both/
    );
    usageError(() => parseOrgTestArgs(['--test-run-id', '12345']), /Apex test run id/);
    assert.equal(parseOrgTestArgs(['--help']).help, true);
  });

  it('seed defaults and flags', () => {
    assert.deepEqual(options(parseSeedArgs([])), {
      planFile: 'data/seed/seed-plan.json',
      force: false
    });
    assert.deepEqual(options(parseSeedArgs(['--plan', 'x.json', '--force', '-o', 'o1'])), {
      targetOrg: 'o1',
      planFile: 'x.json',
      force: true
    });
    usageError(() => parseSeedArgs(['--plan']), /--plan needs a value/);
  });

  it('doctor', () => {
    assert.deepEqual(options(parseDoctorArgs([])), { skipOrgs: false });
    assert.deepEqual(options(parseDoctorArgs(['--skip-orgs'])), { skipOrgs: true });
    usageError(() => parseDoctorArgs(['--fix']), /Unknown option --fix/);
  });
});
