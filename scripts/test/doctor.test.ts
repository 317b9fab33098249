import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkDevHub,
  checkJava,
  checkNode,
  checkSfCli,
  checkTargetOrg,
  doctorExitCode,
  formatChecklist,
  parseJavaMajor,
  satisfiesRange,
  type CheckResult
} from '../lib/doctor.ts';
import { Sf } from '../lib/sf.ts';
import { FakeRunner } from './fixtures/fake-runner.ts';
import {
  CONFIG_GET_DEV_HUB_UNSET,
  CONFIG_GET_TARGET_ORG_GHOST,
  CONFIG_GET_TARGET_ORG_UNSET,
  NAMED_ORG_NOT_FOUND_GHOST,
  VERSION
} from './fixtures/sf-observed.ts';

describe('version checks', () => {
  it('engines range ">=20.18 <25"', () => {
    const range = '>=20.18 <25';
    assert.equal(satisfiesRange('20.20.2', range), true);
    assert.equal(satisfiesRange('20.18.0', range), true);
    assert.equal(satisfiesRange('20.17.9', range), false);
    assert.equal(satisfiesRange('24.9.0', range), true);
    assert.equal(satisfiesRange('25.0.0', range), false);
    assert.equal(satisfiesRange('18.19.0', range), false);
    assert.equal(satisfiesRange('v22.1.0', '>=18 <19 || >=22'), true);
    assert.throws(() => satisfiesRange('20.0.0', '^20'), /Unsupported version range/);
  });

  it('java -version output', () => {
    assert.equal(
      parseJavaMajor(
        'openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)'
      ),
      17
    );
    assert.equal(parseJavaMajor('java version "1.8.0_392"'), 8);
    assert.equal(parseJavaMajor('openjdk version "21" 2023-09-19'), 21);
    assert.equal(parseJavaMajor('nothing'), undefined);
  });

  it('node and java checks', () => {
    assert.equal(checkNode('20.20.2', '>=20.18 <25').ok, true);
    const old = checkNode('18.20.0', '>=20.18 <25');
    assert.equal(old.ok, false);
    assert.match(old.hint ?? '', /Install a Node\.js version matching >=20\.18 <25/);
    assert.deepEqual(
      [
        checkJava({ output: 'openjdk version "17.0.15"' }).ok,
        checkJava({ output: 'java version "1.8.0_392"' }).ok
      ],
      [true, false]
    );
    const missing = checkJava({});
    assert.equal(missing.ok, false);
    assert.equal(missing.detail, 'java not found on PATH');
    assert.match(missing.hint ?? '', /JDK\/JRE 17\+/);
  });
});

describe('sf and org checks', () => {
  it('sf version against the pinned version', async () => {
    const sf = new Sf(new FakeRunner([['version', VERSION]]));
    assert.equal((await checkSfCli(sf, '2.146.3')).ok, true);
    const other = await checkSfCli(sf, '2.150.0');
    assert.equal(other.ok, false);
    assert.match(other.detail, /2\.146\.3, but package\.json pins 2\.150\.0/);
    const broken = await checkSfCli(
      new Sf(
        new FakeRunner([['version', { exitCode: 1, stdout: '', stderr: 'Cannot find module' }]])
      ),
      '2.146.3'
    );
    assert.equal(broken.ok, false);
    assert.equal(broken.usable, false);
  });

  it('no orgs: optional failures with the login hints', async () => {
    const sf = new Sf(
      new FakeRunner([
        ['config get target-dev-hub', CONFIG_GET_DEV_HUB_UNSET],
        ['config get target-org', CONFIG_GET_TARGET_ORG_UNSET]
      ])
    );
    const hub = await checkDevHub(sf);
    const org = await checkTargetOrg(sf);
    assert.deepEqual(
      [hub.ok, hub.required, hub.detail, org.ok, org.required, org.detail],
      [false, false, 'none set', false, false, 'none set']
    );
    assert.match(hub.hint ?? '', /sf org login web --set-default-dev-hub --alias DevHub/);
    assert.match(org.hint ?? '', /sf org login web --alias my-org --set-default/);
  });

  it('configured but unauthorised target org', async () => {
    const sf = new Sf(
      new FakeRunner([
        ['config get target-org', CONFIG_GET_TARGET_ORG_GHOST],
        ['org display --target-org ghost', NAMED_ORG_NOT_FOUND_GHOST]
      ])
    );
    const org = await checkTargetOrg(sf);
    assert.equal(org.detail, 'not-authorised');
    assert.match(org.hint ?? '', /'ghost'.*sf org login web --alias ghost --set-default/);
  });
});

describe('checklist and exit code', () => {
  const node: CheckResult = { name: 'Node.js', ok: true, required: true, detail: '20.20.2' };
  const java: CheckResult = { name: 'Java', ok: true, required: true, detail: 'Java 17' };
  const noOrg: CheckResult = {
    name: 'Target org',
    ok: false,
    required: false,
    detail: 'none set',
    hint: 'login'
  };

  it('exit 0 without orgs, 1 without java', () => {
    assert.equal(doctorExitCode([node, java, noOrg]), 0);
    assert.equal(doctorExitCode([node, { ...java, ok: false }, noOrg]), 1);
    assert.equal(doctorExitCode([{ ...node, ok: false }, java]), 1);
  });

  it('prints ✓/✗ lines, optional marker and hints', () => {
    const text = formatChecklist([
      node,
      { ...java, ok: false, detail: 'java not found on PATH', hint: 'install' },
      noOrg
    ]);
    assert.deepEqual(text.split('\n'), [
      '✓ Node.js: 20.20.2',
      '✗ Java: java not found on PATH',
      '    -> install',
      '✗ Target org: none set (optional)',
      '    -> login',
      '',
      '1 required check failed.'
    ]);
  });
});
