import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { knownFailureMessage, type Output } from '../../toolkit/src/cli/main.ts';
import { StepReporter } from '../lib/cli.ts';
import { interpretSfProcess } from '../lib/sf.ts';
import { NAMED_ORG_NOT_FOUND_GHOST } from './fixtures/sf-observed.ts';

function capture(): Output & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, info: (l) => out.push(l), error: (l) => err.push(l) };
}

describe('sf failures', () => {
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
});

describe('progress', () => {
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
