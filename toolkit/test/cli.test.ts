import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  UsageError,
  choice,
  formatHelp,
  intInRange,
  numberInRange,
  parseCommandLine,
  type CommandSpec
} from '../src/cli/args.ts';
import {
  ScriptError,
  formatDuration,
  knownFailureMessage,
  runMain,
  type Output
} from '../src/cli/main.ts';

function capture(): Output & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, info: (l) => out.push(l), error: (l) => err.push(l) };
}

function usageError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected UsageError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'usage errors are one line');
    return true;
  });
}

describe('generic parsing', () => {
  const spec: CommandSpec = {
    usage: 'npm run x --',
    summary: 'Test command.',
    options: {
      name: { type: 'string', short: 'n', description: 'A name.', defaultText: 'bob' },
      flag: { type: 'boolean', description: 'A flag.' }
    }
  };

  it('rewrites node errors into one-line messages', () => {
    usageError(() => parseCommandLine(spec, ['--nope']), /^Unknown option --nope\.$/);
    usageError(() => parseCommandLine(spec, ['stray']), /Unexpected argument 'stray'/);
    usageError(() => parseCommandLine(spec, ['--name']), /Option --name needs a value/);
    usageError(() => parseCommandLine(spec, ['--name', '--flag']), /Option --name needs a value/);
    usageError(() => parseCommandLine(spec, ['--flag=yes']), /Option --flag does not take a value/);
  });

  it('--help and -h win even next to an unknown flag', () => {
    for (const argv of [['--help'], ['-h'], ['--nope', '--help']]) {
      const parsed = parseCommandLine(spec, argv);
      assert.equal(parsed.help, true);
    }
    // after `--` it is not a help request
    usageError(() => parseCommandLine(spec, ['--', '--help']), /Unexpected argument/);
  });

  it('help lists every option with its default and the help flag', () => {
    const text = formatHelp(spec);
    assert.match(text, /^Usage: npm run x -- \[options\]/);
    assert.match(text, /-n, --name <value>\s+A name\. \(default: bob\)/);
    assert.match(text, /--flag\s+A flag\./);
    assert.match(text, /-h, --help/);
  });

  it('validators name the flag and the accepted values', () => {
    assert.equal(intInRange('d', '30', 1, 30), 30);
    usageError(() => intInRange('d', '0', 1, 30), /--d must be from 1 to 30, got 0/);
    usageError(() => intInRange('d', '2.5', 1, 30), /whole number/);
    usageError(() => intInRange('d', '7days', 1, 30), /whole number/);
    assert.equal(numberInRange('m', '84.9', 0, 100), 84.9);
    usageError(() => numberInRange('m', '101', 0, 100), /from 0 to 100/);
    usageError(() => numberInRange('m', 'NaN', 0, 100), /must be a number/);
    assert.equal(choice('l', 'RunLocalTests', ['NoTestRun', 'RunLocalTests']), 'RunLocalTests');
    usageError(
      () => choice('l', 'runlocaltests', ['NoTestRun', 'RunLocalTests']),
      /did you mean RunLocalTests\?/
    );
  });
});

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

describe('durations', () => {
  it('formatDuration', () => {
    assert.equal(formatDuration(4200), '4.2s');
    assert.equal(formatDuration(75_000), '1m 15s');
  });

  it('a failure that describes itself is a known failure', () => {
    const failure = Object.assign(new Error('x'), {
      describeFailure: () => 'sf org display failed: ...'
    });
    assert.equal(knownFailureMessage(failure), 'sf org display failed: ...');
    assert.equal(knownFailureMessage(new Error('x')), undefined);
  });
});
