import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { checkRequest, jpegBytes, startCallbackReceiver } from './helpers/backcheck.ts';

const CLI = resolve(import.meta.dirname, '../src/cli.ts');

describe('BackCheck simulator CLI', () => {
  it('prints the BACKCHECK_ variables, serves, calls back, stops on SIGTERM', async () => {
    const receiver = await startCallbackReceiver();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        '--port',
        '0',
        '--api-key',
        'cli-key',
        '--webhook-secret',
        'cli-webhook',
        '--callback-url',
        receiver.url,
        '--min-delay-ms',
        '1000',
        '--max-delay-ms',
        '1000',
        '--driver-secret',
        'cli-driver'
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const line = String((await lines.next()).value);
      const match =
        /^BACKCHECK_BASE_URL=(http:\/\/127\.0\.0\.1:\d+) BACKCHECK_API_KEY=cli-key BACKCHECK_WEBHOOK_SECRET=cli-webhook$/.exec(
          line
        );
      assert.ok(match?.[1], line);
      const url = match[1];
      assert.equal((await lines.next()).value, 'BACKCHECK_DRIVER_SECRET=cli-driver');
      assert.equal((await fetch(`${url}/__sim/checks`)).status, 401);

      const form = new FormData();
      const request = checkRequest({ passportNumber: 'QQ55555559' });
      form.append('request', new Blob([JSON.stringify(request)], { type: 'application/json' }));
      form.append('photo', new Blob([jpegBytes()], { type: 'image/jpeg' }), 'p.jpg');
      const submitted = await fetch(`${url}/v1/checks`, {
        method: 'POST',
        headers: { authorization: 'Bearer cli-key', 'idempotency-key': 'cli-1' },
        body: form
      });
      assert.equal(submitted.status, 202);
      const advanced = await fetch(`${url}/__sim/clock/advance`, {
        method: 'POST',
        headers: { authorization: 'Bearer cli-driver', 'content-type': 'application/json' },
        body: JSON.stringify({ ms: 1000 })
      });
      assert.equal(advanced.status, 200);
      for (let i = 0; i < 200 && receiver.received.length === 0; i++) {
        await new Promise((wake) => setTimeout(wake, 25));
      }
      assert.equal(receiver.received[0]?.json.result, 'not_clear');

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
      assert.match(stderr, /\/v1\/checks/, 'requests are logged on stderr');
      for (const secret of ['QQ55555559', 'Lovelace', 'cli-key']) {
        assert.ok(!stderr.includes(secret), `stderr shows ${secret}`);
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('prints help and rejects bad flags', () => {
    const run = (args: string[]) => {
      const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
        encoding: 'utf8',
        timeout: 30_000
      });
      return { code: result.status, output: `${result.stdout}${result.stderr}` };
    };
    const help = run(['--help']);
    assert.equal(help.code, 0);
    for (const flag of [
      '--port',
      '--host',
      '--api-key',
      '--webhook-secret',
      '--callback-url',
      '--min-delay-ms',
      '--max-delay-ms',
      '--latency-ms',
      '--timeout-hold-ms',
      '--driver-secret'
    ]) {
      assert.match(help.output, new RegExp(flag));
    }
    assert.match(help.output, /8784/);
    for (const args of [
      ['--callback-url', 'not a url'],
      ['--min-delay-ms', '5', '--max-delay-ms', '1'],
      ['--api-key', 'two words']
    ]) {
      const bad = run(['--port', '0', ...args]);
      assert.equal(bad.code, 1, args.join(' '));
      assert.match(bad.output, new RegExp(args[0]!));
    }
  });
});
