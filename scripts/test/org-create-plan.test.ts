import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScriptError, type Output } from '../../toolkit/src/cli/main.ts';
import { StepReporter } from '../lib/cli.ts';
import { parseOrgCreateArgs } from '../lib/options.ts';
import {
  executeOrgCreate,
  gatherOrgCreateState,
  planOrgCreate,
  type OrgCreateOptions,
  type OrgCreateState
} from '../lib/org-create-plan.ts';
import { projectRoot } from '../../toolkit/src/project.ts';
import { Sf } from '../lib/sf.ts';
import { FAILING_RUN, PASSING_RUN } from './fixtures/apex-results.ts';
import { FakeRunner, ok } from './fixtures/fake-runner.ts';
import {
  CONFIG_GET_DEV_HUB_SET,
  CONFIG_GET_DEV_HUB_UNSET,
  ORG_LIST_WITH_DEV_HUB
} from './fixtures/sf-observed.ts';

const root = projectRoot();

function defaults(argv: string[] = []): OrgCreateOptions {
  const parsed = parseOrgCreateArgs(argv);
  assert.equal(parsed.help, false);
  return (parsed as { options: OrgCreateOptions }).options;
}

const READY: OrgCreateState = {
  devHub: {
    state: 'ok',
    name: 'DevHub',
    username: 'admin@devhub.example',
    source: { kind: 'config', location: 'Global' }
  },
  definitionFileExists: true,
  seedPlanExists: true,
  apexTestClassCount: 6,
  permissionSetsInSource: ['Integration_Admin', 'Integration_Portal_User']
};

describe('planOrgCreate', () => {
  it('default plan: create, build, deploy, permset, seed, tests - with exact sf arguments', () => {
    const plan = planOrgCreate(defaults(), READY);
    assert.deepEqual(
      plan.steps.map((s) => s.kind),
      ['create-scratch', 'build-lwc', 'deploy', 'assign-permsets', 'seed', 'run-tests']
    );
    assert.deepEqual(plan.notes, []);
    const [create, , deploy, permset, seed, tests] = plan.steps;
    assert.deepEqual(create?.kind === 'create-scratch' && create.args, [
      'org',
      'create',
      'scratch',
      '--definition-file',
      'config/project-scratch-def.json',
      '--alias',
      'sis-scratch',
      '--duration-days',
      '7',
      '--target-dev-hub',
      'DevHub',
      '--wait',
      '15',
      '--set-default'
    ]);
    assert.deepEqual(deploy?.kind === 'deploy' && deploy.deploy, {
      targetOrg: 'sis-scratch',
      dryRun: false,
      tests: [],
      waitMinutes: 33,
      sourceDirs: ['force-app']
    });
    assert.deepEqual(permset?.kind === 'assign-permsets' && permset.args, [
      'org',
      'assign',
      'permset',
      '--target-org',
      'sis-scratch',
      '--name',
      'Integration_Admin'
    ]);
    assert.deepEqual(seed?.kind === 'seed' && [seed.planFile, seed.targetOrg], [
      'data/seed/seed-plan.json',
      'sis-scratch'
    ]);
    assert.deepEqual(tests?.kind === 'run-tests' && [tests.run, tests.minCoverage, tests.basis], [
      { targetOrg: 'sis-scratch', waitMinutes: 30 },
      85,
      'both'
    ]);
  });

  it('--no-seed and --no-tests drop those steps and say so', () => {
    const plan = planOrgCreate(defaults(['--no-seed', '--no-tests']), READY);
    assert.deepEqual(
      plan.steps.map((s) => s.kind),
      ['create-scratch', 'build-lwc', 'deploy', 'assign-permsets']
    );
    assert.deepEqual(plan.notes, [
      'Seed data: skipped (--no-seed).',
      'Apex tests: skipped (--no-tests).'
    ]);
  });

  it('only --no-seed keeps the tests; only --no-tests keeps the seed', () => {
    assert.deepEqual(
      planOrgCreate(defaults(['--no-seed']), READY)
        .steps.map((s) => s.kind)
        .slice(-1),
      ['run-tests']
    );
    assert.deepEqual(
      planOrgCreate(defaults(['--no-tests']), READY)
        .steps.map((s) => s.kind)
        .slice(-1),
      ['seed']
    );
  });

  it('alias, duration, Dev Hub name, wait and --no-set-default reach the create command', () => {
    const state: OrgCreateState = {
      ...READY,
      devHub: { state: 'ok', name: 'MyHub', username: 'h@x', source: { kind: 'flag' } }
    };
    const plan = planOrgCreate(
      defaults([
        '--alias',
        'feat',
        '--duration-days',
        '2',
        '--dev-hub',
        'MyHub',
        '--no-set-default',
        '--wait',
        '30'
      ]),
      state
    );
    const create = plan.steps[0];
    assert.ok(create?.kind === 'create-scratch');
    assert.deepEqual(create.args, [
      'org',
      'create',
      'scratch',
      '--definition-file',
      'config/project-scratch-def.json',
      '--alias',
      'feat',
      '--duration-days',
      '2',
      '--target-dev-hub',
      'MyHub',
      '--wait',
      '30'
    ]);
    assert.ok(plan.steps.every((s) => !('targetOrg' in s) || s.targetOrg === 'feat'));
  });

  it('no Dev Hub: refuses before any step, with the login command', () => {
    for (const devHub of [
      { state: 'not-set' as const },
      {
        state: 'not-authorised' as const,
        name: 'Gone',
        source: { kind: 'config' as const, location: 'Global' }
      }
    ]) {
      assert.throws(
        () => planOrgCreate(defaults(), { ...READY, devHub }),
        (error: unknown) => {
          assert.ok(error instanceof ScriptError);
          assert.match(
            error.message,
            /sf org login web --set-default-dev-hub --alias (DevHub|Gone)/
          );
          return true;
        }
      );
    }
  });

  it('missing definition file or seed plan stop the plan; --no-seed lifts the seed requirement', () => {
    assert.throws(
      () => planOrgCreate(defaults(), { ...READY, definitionFileExists: false }),
      /definition file not found: config\/project-scratch-def\.json/
    );
    assert.throws(
      () => planOrgCreate(defaults(), { ...READY, seedPlanExists: false }),
      /Seed plan not found.*--no-seed/
    );
    assert.doesNotThrow(() =>
      planOrgCreate(defaults(['--no-seed']), { ...READY, seedPlanExists: false })
    );
  });

  it('permission sets not in force-app are skipped with a note; no test classes skip the tests', () => {
    const plan = planOrgCreate(defaults(['--permset', 'Integration_Admin,Missing_Set']), {
      ...READY,
      apexTestClassCount: 0
    });
    const permset = plan.steps.find((s) => s.kind === 'assign-permsets');
    assert.deepEqual(permset?.kind === 'assign-permsets' && permset.args.slice(-2), [
      '--name',
      'Integration_Admin'
    ]);
    assert.ok(plan.steps.every((s) => s.kind !== 'run-tests'));
    assert.deepEqual(plan.notes, [
      'Permission set Missing_Set is not in force-app, so it cannot be assigned: skipped.',
      'Apex tests: skipped (no @isTest classes in force-app yet).'
    ]);
  });
});

describe('gatherOrgCreateState', () => {
  it('no Dev Hub: stops after the config check, before anything else', async () => {
    const runner = new FakeRunner([['config get target-dev-hub', CONFIG_GET_DEV_HUB_UNSET]]);
    await assert.rejects(
      gatherOrgCreateState(new Sf(runner), defaults(), root),
      /No Dev Hub is set.*sf org login web --set-default-dev-hub --alias DevHub/
    );
    assert.deepEqual(runner.commandLines, ['sf config get target-dev-hub']);
  });

  it('reads the project: definition file, seed plan, test classes, permission sets', async () => {
    const runner = new FakeRunner([
      ['config get target-dev-hub', CONFIG_GET_DEV_HUB_SET],
      ['org list', ORG_LIST_WITH_DEV_HUB]
    ]);
    const state = await gatherOrgCreateState(
      new Sf(runner),
      defaults(['--definition-file', 'no/such.json']),
      root
    );
    assert.equal(state.devHub.state, 'ok');
    assert.equal(state.definitionFileExists, false);
    assert.equal(state.seedPlanExists, true);
    assert.ok(state.apexTestClassCount >= 0);
  });
});

function capture(): Output & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (l) => lines.push(l), error: (l) => lines.push(`ERR ${l}`) };
}

const CREATED = ok({
  username: 'test-abc123@example.com',
  orgId: '00DDn000001AbCdMAK',
  warnings: []
});

describe('executeOrgCreate', () => {
  it('runs every step in order with progress lines and returns 0', async () => {
    const runner = new FakeRunner([
      ['org create scratch', CREATED],
      ['project deploy start', ok({ status: 'Succeeded', numberComponentsTotal: 40, files: [] })],
      [
        'org assign permset',
        ok({
          successes: [{ name: 'test-abc123@example.com', value: 'Integration_Admin' }],
          failures: []
        })
      ],
      ['data query', ok({ records: [], totalSize: 0, done: true })],
      ['data import tree', ok([{ refId: 'AccountRef1', type: 'Account', id: '001' }])],
      ['apex run test', ok(PASSING_RUN)]
    ]);
    const out = capture();
    const built: string[] = [];
    const plan = planOrgCreate(defaults(), READY);
    const code = await executeOrgCreate(plan, {
      sf: new Sf(runner),
      root,
      buildLwc: (dir) => (built.push(dir), Promise.resolve(['a.js', 'b.js'])),
      output: out,
      reporter: new StepReporter(plan.steps.length, out, { heartbeatMs: 0 })
    });
    assert.equal(code, 0);
    assert.deepEqual(built, [root]);
    assert.deepEqual(
      runner.commandLines.map((l) => l.split(' ').slice(0, 4).join(' ')),
      [
        'sf org create scratch',
        'sf project deploy start',
        'sf org assign permset',
        'sf data query --query',
        'sf data import tree',
        'sf apex run test'
      ]
    );
    const progress = out.lines.filter((l) => /^\[\d\/\d\]/.test(l));
    assert.deepEqual(
      progress.map((l) => l.slice(0, 6)),
      ['[1/6] ', '[2/6] ', '[3/6] ', '[4/6] ', '[5/6] ', '[6/6] ']
    );
    assert.match(progress[2]!, /^\[3\/6\] Deploying force-app to 'sis-scratch'\.\.\.$/);
    assert.ok(out.lines.includes('      compiled 2 TypeScript LWC modules'));
    assert.match(out.lines.at(-1)!, /Scratch org 'sis-scratch' is ready/);
  });

  it('failing Apex tests: every step still runs, summary printed, exit code 1', async () => {
    const runner = new FakeRunner([
      ['org create scratch', CREATED],
      ['project deploy start', ok({ status: 'Succeeded', files: [] })],
      ['org assign permset', ok({ successes: [], failures: [] })],
      ['apex run test', ok(FAILING_RUN, 100)]
    ]);
    const out = capture();
    const plan = planOrgCreate(defaults(['--no-seed']), READY);
    const code = await executeOrgCreate(plan, {
      sf: new Sf(runner),
      root,
      buildLwc: () => Promise.resolve([]),
      output: out,
      reporter: new StepReporter(plan.steps.length, out, { heartbeatMs: 0 })
    });
    assert.equal(code, 1);
    assert.ok(
      out.lines.some((l) => l.includes('x AccountSyncServiceTest.writesBackSapNumber (Fail)'))
    );
  });

  it('a failed deploy stops the run and says the scratch org still exists', async () => {
    const failed = {
      status: 'Failed',
      id: '0Af1',
      files: [
        {
          fullName: 'X',
          type: 'ApexClass',
          state: 'Failed',
          error: 'Invalid type: Foo',
          problemType: 'Error'
        }
      ]
    };
    const runner = new FakeRunner([
      ['org create scratch', CREATED],
      ['project deploy start', ok(failed, 1)]
    ]);
    const out = capture();
    const plan = planOrgCreate(defaults(), READY);
    await assert.rejects(
      executeOrgCreate(plan, {
        sf: new Sf(runner),
        root,
        buildLwc: () => Promise.resolve([]),
        output: out,
        reporter: new StepReporter(plan.steps.length, out, { heartbeatMs: 0 })
      }),
      (error: unknown) =>
        error instanceof ScriptError && /Deploy failed \(status Failed\)/.test(error.message)
    );
    assert.ok(out.lines.includes('ERR   ApexClass X: Invalid type: Foo'));
    assert.ok(
      out.lines.some((l) =>
        /scratch org 'sis-scratch' was created and is still there.*npm run deploy -- --target-org sis-scratch/.test(
          l
        )
      )
    );
    assert.equal(runner.calls.length, 2, 'nothing runs after the failed deploy');
  });

  it('permission set failures (sf status 1 with failures) become one clear error', async () => {
    const runner = new FakeRunner([
      ['org create scratch', CREATED],
      ['project deploy start', ok({ status: 'Succeeded', files: [] })],
      [
        'org assign permset',
        ok(
          {
            successes: [],
            failures: [
              {
                name: 'test-abc123@example.com',
                message: 'Permission set not found: Integration_Admin'
              }
            ]
          },
          1
        )
      ]
    ]);
    const out = capture();
    const plan = planOrgCreate(defaults(), READY);
    await assert.rejects(
      executeOrgCreate(plan, {
        sf: new Sf(runner),
        root,
        buildLwc: () => Promise.resolve([]),
        output: out,
        reporter: new StepReporter(plan.steps.length, out, { heartbeatMs: 0 })
      }),
      /Permission set assignment failed: test-abc123@example\.com: Permission set not found: Integration_Admin/
    );
  });
});
