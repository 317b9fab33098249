import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildDeployArgs,
  deploySourceDirs,
  describeDeployFailure,
  runDeploy,
  type DeployOptions
} from '../lib/deploy.ts';
import { Sf, SfCommandError } from '../lib/sf.ts';
import { FakeRunner, ok } from './fixtures/fake-runner.ts';
import { NO_DEFAULT_ENV } from './fixtures/sf-observed.ts';

const BASE: DeployOptions = {
  dryRun: false,
  tests: [],
  waitMinutes: 33,
  sourceDirs: ['force-app']
};

describe('which package directories npm run deploy sends', () => {
  it('force-app alone unless Salesforce Connect is asked for (flag or environment)', () => {
    assert.deepEqual(deploySourceDirs(false, {}), ['force-app']);
    assert.deepEqual(deploySourceDirs(false, { ACTIVITY_SALESFORCE_CONNECT: 'false' }), [
      'force-app'
    ]);
    assert.deepEqual(deploySourceDirs(true, {}), ['force-app', 'force-app-connect']);
    assert.deepEqual(deploySourceDirs(false, { ACTIVITY_SALESFORCE_CONNECT: 'true' }), [
      'force-app',
      'force-app-connect'
    ]);
    assert.deepEqual(
      buildDeployArgs({ ...BASE, sourceDirs: deploySourceDirs(true, {}) }).slice(3, 7),
      ['--source-dir', 'force-app', '--source-dir', 'force-app-connect']
    );
  });

  it('refuses an ACTIVITY_SALESFORCE_CONNECT that is not true or false', () => {
    assert.throws(
      () => deploySourceDirs(false, { ACTIVITY_SALESFORCE_CONNECT: 'yes' }),
      /must be true or false/
    );
  });
});

describe('deploy command construction', () => {
  it('plain deploy to the configured org', () => {
    assert.deepEqual(buildDeployArgs(BASE), [
      'project',
      'deploy',
      'start',
      '--source-dir',
      'force-app',
      '--wait',
      '33'
    ]);
  });

  it('dry run (check-only) with a test level and an explicit org', () => {
    assert.deepEqual(
      buildDeployArgs({ ...BASE, targetOrg: 'my-org', dryRun: true, testLevel: 'RunLocalTests' }),
      [
        'project',
        'deploy',
        'start',
        '--source-dir',
        'force-app',
        '--target-org',
        'my-org',
        '--dry-run',
        '--test-level',
        'RunLocalTests',
        '--wait',
        '33'
      ]
    );
  });

  it('specified tests are repeated --tests flags', () => {
    const args = buildDeployArgs({
      ...BASE,
      testLevel: 'RunSpecifiedTests',
      tests: ['PaymentServiceTest', 'AccountSyncTest.publishes']
    });
    assert.deepEqual(args.slice(5), [
      '--test-level',
      'RunSpecifiedTests',
      '--tests',
      'PaymentServiceTest',
      '--tests',
      'AccountSyncTest.publishes',
      '--wait',
      '33'
    ]);
    assert.ok(!args.includes('--dry-run'));
  });
});

const FAILED_DEPLOY = {
  checkOnly: false,
  id: '0Af8d00000XyZ12CAB',
  status: 'Failed',
  success: false,
  numberComponentErrors: 1,
  numberComponentsDeployed: 0,
  numberComponentsTotal: 12,
  numberTestErrors: 1,
  files: [
    {
      fullName: 'PaymentService',
      type: 'ApexClass',
      state: 'Failed',
      filePath: '/p/force-app/main/payments/classes/PaymentService.cls',
      error: 'Variable does not exist: amount (16:9)',
      problemType: 'Error',
      lineNumber: 16,
      columnNumber: 9
    },
    {
      fullName: 'AccountSync',
      type: 'ApexClass',
      state: 'Changed',
      filePath: '/p/force-app/main/account-sync/classes/AccountSync.cls'
    }
  ],
  details: {
    componentFailures: {
      componentType: 'ApexClass',
      fullName: 'PaymentService',
      problem: 'Variable does not exist: amount',
      problemType: 'Error',
      lineNumber: '16'
    },
    runTestResult: {
      numFailures: '1',
      numTestsRun: '3',
      totalTime: '812',
      failures: {
        name: 'PaymentServiceTest',
        methodName: 'declinesCard',
        message: 'System.AssertException: Assertion Failed',
        stackTrace: 'Class.PaymentServiceTest.declinesCard: line 30',
        id: '01p',
        packageName: 'PaymentServiceTest',
        time: '40',
        type: 'Class'
      },
      codeCoverageWarnings: {
        id: '01p',
        name: 'PaymentService',
        message:
          'Test coverage of selected Apex Class is 60%, at least 75% test coverage is required',
        namespace: ''
      }
    }
  }
};

describe('deploy outcome', () => {
  it('explains a rejected deploy from sf JSON (status 1 with a result)', async () => {
    const runner = new FakeRunner([['project deploy start', ok(FAILED_DEPLOY, 1)]]);
    const outcome = await runDeploy(new Sf(runner), { ...BASE, targetOrg: 'my-org' });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.summary, 'Deploy failed (status Failed), deploy id 0Af8d00000XyZ12CAB.');
    assert.deepEqual(outcome.details, [
      '  ApexClass PaymentService: Variable does not exist: amount (16:9) (/p/force-app/main/payments/classes/PaymentService.cls:16:9)',
      '  1 Apex test failure(s):',
      '    PaymentServiceTest.declinesCard: System.AssertException: Assertion Failed',
      '  coverage: PaymentService: Test coverage of selected Apex Class is 60%, at least 75% test coverage is required'
    ]);
  });

  it('uses componentFailures when files carry no failure', () => {
    const lines = describeDeployFailure({
      ...FAILED_DEPLOY,
      files: [],
      details: { componentFailures: [FAILED_DEPLOY.details.componentFailures] }
    });
    assert.deepEqual(lines, [
      '  ApexClass PaymentService: Variable does not exist: amount (line 16)'
    ]);
  });

  it('success and dry-run success', async () => {
    const result = {
      status: 'Succeeded',
      success: true,
      numberComponentsTotal: 12,
      numberTestsCompleted: 0,
      files: []
    };
    const runner = new FakeRunner([['project deploy start', ok(result)]]);
    assert.deepEqual(await runDeploy(new Sf(runner), BASE), {
      ok: true,
      status: 'Succeeded',
      details: [],
      summary: 'Deployed 12 components.'
    });
    const dry = await runDeploy(new Sf(runner), { ...BASE, dryRun: true });
    assert.match(
      dry.summary,
      /^Validation \(dry run\) succeeded: 12 components checked; nothing was saved\.$/
    );
  });

  it('a deploy still running after --wait says how to follow it', async () => {
    const runner = new FakeRunner([
      ['project deploy start', ok({ status: 'InProgress', id: '0Af1', files: [] }, 69)]
    ]);
    const outcome = await runDeploy(new Sf(runner), BASE);
    assert.equal(outcome.ok, false);
    assert.match(
      outcome.summary,
      /still InProgress after 33 minutes; follow it with: sf project deploy report --job-id 0Af1/
    );
  });

  it('sf errors without a deploy result (no org) are thrown, not reported as a failed deploy', async () => {
    const runner = new FakeRunner([['project deploy start', NO_DEFAULT_ENV('DeployMetadata')]]);
    await assert.rejects(
      runDeploy(new Sf(runner), BASE),
      (e: unknown) => e instanceof SfCommandError && e.sfName === 'NoDefaultEnvError'
    );
  });
});
