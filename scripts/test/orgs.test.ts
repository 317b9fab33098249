import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScriptError } from '../../toolkit/src/cli/main.ts';
import {
  devHubProblemMessage,
  explainOrgError,
  requireDevHub,
  requireTargetOrg,
  resolveDevHub,
  resolveTargetOrg
} from '../lib/orgs.ts';
import { Sf, SfCommandError, interpretSfProcess } from '../lib/sf.ts';
import { FakeRunner } from './fixtures/fake-runner.ts';
import {
  CONFIG_GET_DEV_HUB_FROM_ENV,
  CONFIG_GET_DEV_HUB_SET,
  CONFIG_GET_DEV_HUB_UNSET,
  CONFIG_GET_TARGET_ORG_GHOST,
  CONFIG_GET_TARGET_ORG_UNSET,
  NAMED_ORG_NOT_FOUND_GHOST,
  NO_DEFAULT_DEV_HUB,
  NO_DEFAULT_ENV,
  ORG_DISPLAY_DEV_HUB,
  ORG_LIST_EMPTY,
  ORG_LIST_NOT_A_HUB,
  ORG_LIST_WITH_DEV_HUB,
  orgDisplayScratch
} from './fixtures/sf-observed.ts';

describe('target org detection (observed sf JSON)', () => {
  it('nothing configured: not-set, without calling org display', async () => {
    const runner = new FakeRunner([['config get target-org', CONFIG_GET_TARGET_ORG_UNSET]]);
    assert.deepEqual(await resolveTargetOrg(new Sf(runner)), { state: 'not-set' });
    assert.deepEqual(runner.commandLines, ['sf config get target-org']);
  });

  it('not-set stops with the exact commands to run', async () => {
    const runner = new FakeRunner([['config get target-org', CONFIG_GET_TARGET_ORG_UNSET]]);
    await assert.rejects(requireTargetOrg(new Sf(runner)), (error: unknown) => {
      assert.ok(error instanceof ScriptError);
      assert.match(error.message, /No target org is set/);
      assert.match(error.message, /sf org login web --alias my-org --set-default/);
      assert.match(error.message, /npm run org:create/);
      return true;
    });
  });

  it('configured but not authorised: sf says NoDefaultEnvError, we name the org and where it came from', async () => {
    const runner = new FakeRunner([
      ['config get target-org', CONFIG_GET_TARGET_ORG_GHOST],
      ['org display --target-org ghost', NAMED_ORG_NOT_FOUND_GHOST]
    ]);
    const status = await resolveTargetOrg(new Sf(runner));
    assert.deepEqual(status, {
      state: 'not-authorised',
      name: 'ghost',
      source: { kind: 'config', location: 'Global' }
    });
    await assert.rejects(
      requireTargetOrg(new Sf(runner)),
      /The target org 'ghost' \(target-org in Global config\) is not authorised on this machine\. Authorise it with: sf org login web --alias ghost --set-default/
    );
  });

  it('an explicit --target-org skips the config and is checked with org display', async () => {
    const runner = new FakeRunner([['org display --target-org DevHub', ORG_DISPLAY_DEV_HUB]]);
    const status = await resolveTargetOrg(new Sf(runner), 'DevHub');
    assert.equal(status.state, 'ok');
    if (status.state === 'ok') {
      assert.equal(status.username, 'admin@devhub.example');
      assert.equal(status.connectionProblem, undefined);
    }
    assert.deepEqual(runner.commandLines, ['sf org display --target-org DevHub']);
  });

  it('an expired scratch org is not usable', async () => {
    const runner = new FakeRunner([
      ['org display --target-org sis-scratch', orgDisplayScratch('Expired')]
    ]);
    await assert.rejects(
      requireTargetOrg(new Sf(runner), 'sis-scratch'),
      /scratch org with status Expired\. Create a new one with: npm run org:create/
    );
    const active = new FakeRunner([
      ['org display --target-org sis-scratch', orgDisplayScratch('Active')]
    ]);
    assert.equal(
      (await requireTargetOrg(new Sf(active), 'sis-scratch')).username,
      'test-abc123@example.com'
    );
  });

  it('an unexpected sf failure is not mistaken for "no org"', async () => {
    const runner = new FakeRunner([['config get', { exitCode: 1, stdout: '', stderr: 'boom' }]]);
    await assert.rejects(
      resolveTargetOrg(new Sf(runner)),
      (e: unknown) => e instanceof SfCommandError && e.sfName === 'SfOutputError'
    );
  });
});

describe('Dev Hub detection (observed sf JSON)', () => {
  it('nothing configured: not-set, and the message says what to authorise', async () => {
    const runner = new FakeRunner([['config get target-dev-hub', CONFIG_GET_DEV_HUB_UNSET]]);
    assert.deepEqual(await resolveDevHub(new Sf(runner)), { state: 'not-set' });
    await assert.rejects(requireDevHub(new Sf(runner)), (error: unknown) => {
      assert.ok(error instanceof ScriptError);
      assert.match(error.message, /No Dev Hub is set/);
      assert.ok(error.message.includes('sf org login web --set-default-dev-hub --alias DevHub'));
      return true;
    });
  });

  it('configured and listed as a Dev Hub: ok', async () => {
    const runner = new FakeRunner([
      ['config get target-dev-hub', CONFIG_GET_DEV_HUB_SET],
      ['org list --skip-connection-status', ORG_LIST_WITH_DEV_HUB]
    ]);
    assert.deepEqual(await resolveDevHub(new Sf(runner)), {
      state: 'ok',
      name: 'DevHub',
      username: 'admin@devhub.example',
      source: { kind: 'config', location: 'Global' }
    });
  });

  it('found by username too', async () => {
    const runner = new FakeRunner([['org list', ORG_LIST_WITH_DEV_HUB]]);
    const status = await resolveDevHub(new Sf(runner), 'admin@devhub.example');
    assert.equal(status.state, 'ok');
  });

  it('configured (here from the environment) but not authorised', async () => {
    const runner = new FakeRunner([
      ['config get target-dev-hub', CONFIG_GET_DEV_HUB_FROM_ENV],
      ['org list', ORG_LIST_EMPTY],
      ['org display --target-org nope', NO_DEFAULT_ENV()]
    ]);
    const status = await resolveDevHub(new Sf(runner));
    assert.deepEqual(status, {
      state: 'not-authorised',
      name: 'nope',
      source: { kind: 'config', location: 'Environment' }
    });
    assert.match(
      devHubProblemMessage(status as never),
      /'nope' \(target-dev-hub in Environment config\) is not authorised.*sf org login web --set-default-dev-hub --alias nope/
    );
  });

  it('authorised but not a Dev Hub', async () => {
    const runner = new FakeRunner([['org list', ORG_LIST_NOT_A_HUB]]);
    const status = await resolveDevHub(new Sf(runner), 'MyOrg');
    assert.equal(status.state, 'not-a-dev-hub');
    await assert.rejects(
      requireDevHub(new Sf(runner), 'MyOrg'),
      /is authorised but is not a Dev Hub\. Enable Dev Hub/
    );
  });

  it('a second alias of an authorised hub is resolved through org display', async () => {
    const runner = new FakeRunner([
      ['org list', ORG_LIST_WITH_DEV_HUB],
      ['org display --target-org Hub2', ORG_DISPLAY_DEV_HUB]
    ]);
    const status = await resolveDevHub(new Sf(runner), 'Hub2');
    assert.equal(status.state, 'ok');
  });
});

describe('explainOrgError', () => {
  it('turns sf org errors that slip through into the same clear message', () => {
    const noEnv = sfError(NO_DEFAULT_ENV('DeployMetadata'), ['project', 'deploy', 'start']);
    assert.match(String((explainOrgError(noEnv) as Error).message), /No target org is set/);
    assert.match(
      String((explainOrgError(noEnv, 'sis-scratch') as Error).message),
      /'sis-scratch' is not authorised/
    );
    const noHub = sfError(NO_DEFAULT_DEV_HUB, ['org', 'create', 'scratch']);
    assert.match(String((explainOrgError(noHub) as Error).message), /No Dev Hub is set/);
    const other = new Error('x');
    assert.equal(explainOrgError(other), other);
  });
});

function sfError(result: Parameters<typeof interpretSfProcess>[1], args: string[]): SfCommandError {
  try {
    interpretSfProcess(args, result);
  } catch (error) {
    return error as SfCommandError;
  }
  throw new Error('expected an error');
}
