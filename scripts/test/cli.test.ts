import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { UsageError } from '../lib/args.ts';
import {
  ScriptError,
  StepReporter,
  formatDuration,
  knownFailureMessage,
  runMain,
  type Output
} from '../lib/cli.ts';
import { interpretSfProcess } from '../lib/sf.ts';
import { NAMED_ORG_NOT_FOUND_GHOST } from './fixtures/sf-observed.ts';

function capture(): Output & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, info: (l) => out.push(l), error: (l) => err.push(l) };
}

describe('runMain', () => {
  afterEach(() => {
    process.exitCode = 0;
  });

  it('known failures: one line, exit code 1, no stack', async () => {
    for (const [error, expected] of [
      [new ScriptError('No target org is set.\nDo this.'), 'error: No target org is set. Do this.'],
      [
        new UsageError('Unknown option --x.'),
        'error: Unknown option --x. Run with --help to see the options.'
      ]
    ] as const) {
      const output = capture();
      await runMain(() => Promise.reject(error), [], output);
      assert.equal(process.exitCode, 1);
      assert.deepEqual(output.err, [expected]);
    }
  });

  it('sf failures name the command, sf error and its hint on one line', async () => {
    let sfError: unknown;
    try {
      interpretSfProcess(
        ['org', 'display', '--target-org', 'ghost', '--json'],
        NAMED_ORG_NOT_FOUND_GHOST
      );
    } catch (error) {
      sfError = error;
    }
    assert.equal(
      knownFailureMessage(sfError),
      'sf org display failed: Parsing --target-org No authorization information found for ghost. See more help with --help (NamedOrgNotFoundError) Hint: It looks like you mistyped the username or alias. Did you mean "DevHub"?'
    );
  });

  it('unexpected errors keep their stack; the return value is the exit code', async () => {
    const output = capture();
    await runMain(() => Promise.reject(new TypeError('bug')), [], output);
    assert.equal(process.exitCode, 1);
    assert.match(output.err[0] ?? '', /^unexpected error: TypeError: bug\n\s+at /);
    await runMain(() => Promise.resolve(0), [], output);
    assert.equal(process.exitCode, 0);
    await runMain(() => Promise.resolve(1), [], output);
    assert.equal(process.exitCode, 1);
  });
});

describe('progress', () => {
  it('formatDuration', () => {
    assert.equal(formatDuration(4200), '4.2s');
    assert.equal(formatDuration(75_000), '1m 15s');
  });

  it('numbers steps and reports durations', async () => {
    const output = capture();
    let now = 0;
    const reporter = new StepReporter(2, output, { heartbeatMs: 0, now: () => now });
    const value = await reporter.step('Deploying source', () => {
      now += 61_000;
      return 42;
    });
    await assert.rejects(reporter.step('Running tests', () => Promise.reject(new Error('x'))));
    assert.equal(value, 42);
    assert.deepEqual(output.out, [
      '[1/2] Deploying source...',
      '      done in 1m 1s',
      '[2/2] Running tests...'
    ]);
  });

  it('prints a heartbeat during long steps', async () => {
    const output = capture();
    const reporter = new StepReporter(1, output, { heartbeatMs: 5 });
    await reporter.step(
      'Creating scratch org',
      () => new Promise((resolve) => setTimeout(resolve, 40))
    );
    assert.ok(
      output.out.some((l) => l.startsWith('      ... still running')),
      output.out.join('\n')
    );
  });
});
