import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { parseCommandLine } from '../../../toolkit/src/cli/args.ts';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import { CLI_SPEC, durationValue, fleetOptions } from '../src/cli.ts';
import { startAedes, type TestBroker } from './helpers/brokers.ts';

const CLI = resolve(import.meta.dirname, '../src/cli.ts');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEVICE_KEY_SECRET: '', ...env }
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => ({
    code: code as number | null,
    stdout,
    stderr
  }));
  return { child, exited };
}

const options = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const parsed = parseCommandLine(CLI_SPEC, argv);
  assert.equal(parsed.help, false);
  return fleetOptions(parsed.help ? {} : parsed.values, env);
};

describe('sim:devices flags', () => {
  it('reads durations, the simulated clock and fault fractions', () => {
    assert.equal(durationValue('90'), 90_000);
    assert.equal(durationValue('1d'), 86_400_000);
    assert.equal(durationValue('250ms'), 250);
    const fleet = options([
      '--devices',
      '3',
      '--speed',
      '1440',
      '--start',
      '2026-12-07',
      '--duration',
      '1d',
      '--late',
      '0.1'
    ]);
    assert.deepEqual(fleet.clock, { startMs: Date.parse('2026-12-07T00:00:00Z'), speed: 1440 });
    assert.equal(fleet.durationMs, 86_400_000);
    assert.equal(fleet.faults?.late, 0.1);
    assert.equal(fleet.password, undefined);
    const today = Date.now() - (Date.now() % 86_400_000);
    assert.equal(options(['--speed', '100']).clock?.startMs, today - 86_400_000);
    const keyed = options([], { DEVICE_KEY_SECRET: 'from-env' });
    assert.equal(keyed.password?.('dev-000001-a'), deriveDeviceKey('from-env', 'dev-000001-a'));
  });

  it('refuses bad values with a message naming the flag', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--devices', '0'], /--devices must be from 1/],
      [['--devices', '5', '--connections', '6'], /--connections must be from 1 to 5/],
      [['--interval-ms', '600000'], /--interval-ms must be from 1 to 300000/],
      [['--malformed', '1.5'], /--malformed must be from 0 to 1/],
      [['--malformed', '0.6', '--oversized', '0.6'], /add up to at most 1/],
      [['--duration', 'soon'], /--duration must look like/],
      [['--url', 'http://x'], /--url must be an mqtt/],
      [['--start', '7 Dec'], /--start must be a UTC date/],
      [['--id-prefix', 'a b'], /--id-prefix/]
    ];
    for (const [argv, message] of cases)
      assert.throws(() => options(argv), message, argv.join(' '));
  });
});

describe('sim:devices command', () => {
  let broker: TestBroker;
  before(async () => (broker = await startAedes({ deviceKeySecret: 'cli-secret' })));
  after(() => broker.close());

  it('runs to --max-messages with keys from DEVICE_KEY_SECRET, prints progress and totals, exits 0', async () => {
    const { exited } = run(
      [
        '--url',
        broker.url,
        '--devices',
        '3',
        '--interval-ms',
        '50',
        '--max-messages',
        '60',
        '--progress-ms',
        '200',
        '--duplicate',
        '0.2'
      ],
      { DEVICE_KEY_SECRET: 'cli-secret' }
    );
    const { code, stdout, stderr } = await exited;
    assert.equal(code, 0, stderr);
    assert.match(
      stdout,
      /^fleet: 3 devices dev-000001-a\.\.dev-000003-a -> mqtt:\/\/127\.0\.0\.1:\d+, a reading every 50 ms$/m
    );
    assert.match(stdout, /^progress: published \d+ \([\d.]+\/s\) acked \d+ failed 0 \|/m);
    assert.match(
      stdout,
      /^done: published 60, acked 60, failed 0, unacknowledged 0 \(late 0, duplicate \d+,.* expected \d+ readings/m
    );
    assert.ok(!stdout.includes('cli-secret') && !stderr.includes('cli-secret'));
    assert.deepEqual(broker.refused, []);
  });

  it('stops gracefully on SIGTERM with every message acknowledged', async () => {
    const { child, exited } = run([
      '--url',
      broker.url,
      '--devices',
      '2',
      '--interval-ms',
      '20',
      '--device-key-secret',
      'cli-secret'
    ]);
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    assert.match(String((await lines.next()).value), /^fleet: 2 devices/);
    await new Promise((wake) => setTimeout(wake, 500));
    child.kill('SIGTERM');
    const { code, stdout } = await exited;
    assert.equal(code, 0);
    const done = /done: published (\d+), acked (\d+), failed 0, unacknowledged 0/.exec(stdout);
    assert.ok(done, stdout);
    assert.equal(done[1], done[2]);
    assert.ok(Number(done[1]) > 10);
  });

  it('a wrong secret or a bad flag is one clear error line and exit code 1', async () => {
    const wrong = await run([
      '--url',
      broker.url,
      '--devices',
      '1',
      '--device-key-secret',
      'wrong-secret'
    ]).exited;
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.stderr,
      /^error: Device dev-000001-a could not connect to mqtt:\/\/127\.0\.0\.1:\d+: .*\.$/m
    );
    assert.ok(!wrong.stderr.includes('wrong-secret'));
    const flag = await run(['--rate', 'fast']).exited;
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /error: Option --rate must be a number .* Run with --help/);
  });
});
