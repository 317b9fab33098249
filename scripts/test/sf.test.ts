import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SF_ENV, Sf, SfCommandError, interpretSfProcess, parseSfJson } from '../lib/sf.ts';
import { FakeRunner, ok } from './fixtures/fake-runner.ts';
import {
  DURATION_BOUNDS,
  NAMED_ORG_NOT_FOUND_GHOST,
  NO_DEFAULT_ENV,
  VERSION
} from './fixtures/sf-observed.ts';

describe('sf JSON envelope', () => {
  it('returns result and warnings of a success', () => {
    const out = interpretSfProcess<{ a: number }>(['x', '--json'], ok({ a: 1 }, 0, ['w1']));
    assert.deepEqual(out, { status: 0, result: { a: 1 }, warnings: ['w1'] });
  });

  it('throws SfCommandError with sf name, message and exit code (observed NoDefaultEnvError)', () => {
    assert.throws(
      () =>
        interpretSfProcess(
          ['project', 'deploy', 'start', '--source-dir', 'force-app', '--json'],
          NO_DEFAULT_ENV('DeployMetadata')
        ),
      (error: unknown) => {
        assert.ok(error instanceof SfCommandError);
        assert.equal(error.sfName, 'NoDefaultEnvError');
        assert.equal(error.exitCode, 1);
        assert.match(error.message, /^No default environment found/);
        assert.equal(error.command, 'sf project deploy start');
        return true;
      }
    );
  });

  it('keeps sf actions (observed NamedOrgNotFoundError, exit code 2)', () => {
    const error = catchError(() =>
      interpretSfProcess(
        ['org', 'display', '--target-org', 'ghost', '--json'],
        NAMED_ORG_NOT_FOUND_GHOST
      )
    );
    assert.equal(error.sfName, 'NamedOrgNotFoundError');
    assert.equal(error.exitCode, 2);
    assert.match(error.actions[0] ?? '', /Did you mean "DevHub"/);
  });

  it('a non-zero status with a result is an error unless accepted; the result travels along', () => {
    const failedDeploy = ok({ status: 'Failed', files: [] }, 1);
    const error = catchError(() =>
      interpretSfProcess(['project', 'deploy', 'start', '--json'], failedDeploy)
    );
    assert.deepEqual(error.result, { status: 'Failed', files: [] });
    const tests = interpretSfProcess(
      ['apex', 'run', 'test', '--json'],
      ok({ summary: {} }, 100),
      [0, 100]
    );
    assert.equal(tests.status, 100);
  });

  it('parses JSON after stray text, reports missing JSON and timeouts clearly', () => {
    assert.deepEqual(parseSfJson('Warning: something\n{"status":0,"result":1}\n'), {
      status: 0,
      result: 1
    });
    assert.equal(parseSfJson('not json'), undefined);
    const noJson = catchError(() =>
      interpretSfProcess(['org', 'list', '--json'], {
        exitCode: 127,
        stdout: '',
        stderr: 'sh: sf: not found'
      })
    );
    assert.equal(noJson.sfName, 'SfOutputError');
    assert.match(noJson.message, /exited with code 127 without JSON output: sh: sf: not found/);
    const timeout = catchError(() =>
      interpretSfProcess(['apex', 'run', 'test', '--json'], {
        exitCode: null,
        stdout: '',
        stderr: '',
        timedOut: true
      })
    );
    assert.equal(timeout.sfName, 'SfTimeout');
  });

  it('Sf.json adds --json once and passes okStatuses; plainJson reads unenveloped output', async () => {
    const runner = new FakeRunner([
      ['org create scratch', DURATION_BOUNDS],
      ['version', VERSION],
      ['config get', ok([])]
    ]);
    const sf = new Sf(runner);
    await sf.json(['config', 'get', 'target-org']);
    await sf.json(['config', 'get', 'target-org', '--json']);
    assert.deepEqual(runner.calls, [
      ['config', 'get', 'target-org', '--json'],
      ['config', 'get', 'target-org', '--json']
    ]);
    await assert.rejects(
      sf.json(['org', 'create', 'scratch', '--duration-days', '31']),
      (e: unknown) => e instanceof SfCommandError && e.sfName === 'DurationBoundsError'
    );
    assert.deepEqual(await sf.plainJson(['version']), {
      architecture: 'linux-x64',
      cliVersion: '@salesforce/cli/2.146.3',
      nodeVersion: 'node-v20.20.2'
    });
  });

  it('runs sf without auto-update', () => {
    assert.equal(SF_ENV.SF_DISABLE_AUTOUPDATE, 'true');
    assert.equal(SF_ENV.SF_AUTOUPDATE_DISABLE, 'true');
  });
});

function catchError(fn: () => unknown): SfCommandError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SfCommandError, `expected SfCommandError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an error');
}
