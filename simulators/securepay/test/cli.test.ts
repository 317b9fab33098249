import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

const CLI = resolve(import.meta.dirname, '../src/cli.ts');

describe('SecurePay simulator CLI', () => {
  it('prints the four SECUREPAY_ variables on one line, serves, stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        '--port',
        '0',
        '--client-id',
        'cli-client',
        '--client-secret',
        'cli-secret',
        '--merchant-code',
        'CLI0001',
        '--timeout-hold-ms',
        '100',
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
        /^SECUREPAY_BASE_URL=(http:\/\/127\.0\.0\.1:\d+) SECUREPAY_CLIENT_ID=cli-client SECUREPAY_CLIENT_SECRET=cli-secret SECUREPAY_MERCHANT_CODE=CLI0001$/.exec(
          line
        );
      assert.ok(match?.[1], line);
      assert.equal((await lines.next()).value, 'SECUREPAY_DRIVER_SECRET=cli-driver');
      const charges = `${match[1]}/__sim/charges`;
      assert.equal((await fetch(charges)).status, 401, 'the control API needs the secret');
      const listed = await fetch(charges, { headers: { authorization: 'Bearer cli-driver' } });
      assert.equal(listed.status, 200);
      const response = await fetch(`${match[1]}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('cli-client:cli-secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded'
        },
        body: 'grant_type=client_credentials'
      });
      assert.equal(response.status, 200);
      const tokenized = await fetch(`${match[1]}/v2/tokens`, {
        method: 'POST',
        headers: { 'x-merchant-code': 'CLI0001', 'content-type': 'application/json' },
        body: JSON.stringify({
          cardNumber: '4111111111111111',
          expiryMonth: 12,
          expiryYear: new Date().getUTCFullYear() + 1,
          cvv: '847'
        })
      });
      assert.equal(tokenized.status, 201);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
      assert.match(stderr, /\/v2\/tokens/, 'requests are logged on stderr');
      assert.ok(!stderr.includes('4111111111111111'));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('guards the control API with a random secret by default and prints it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'ignore']
    });
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const url = /^SECUREPAY_BASE_URL=(\S+) /.exec(String((await lines.next()).value))?.[1];
      const secret = /^SECUREPAY_DRIVER_SECRET=([0-9a-f]{48})$/.exec(
        String((await lines.next()).value)
      );
      assert.ok(url && secret?.[1]);
      const reset = `${url}/__sim/reset`;
      assert.equal((await fetch(reset, { method: 'POST' })).status, 401);
      const done = await fetch(reset, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret[1]}` }
      });
      assert.equal(done.status, 200);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
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
      '--latency-ms',
      '--timeout-hold-ms',
      '--client-id',
      '--client-secret',
      '--merchant-code',
      '--driver-secret'
    ]) {
      assert.match(help.output, new RegExp(flag));
    }
    assert.match(help.output, /Authorization: Bearer <SECUREPAY_DRIVER_SECRET>/);
    const bad = run(['--latency-ms', 'fast']);
    assert.equal(bad.code, 1);
    assert.match(bad.output, /--latency-ms/);
    const badSecret = run(['--port', '0', '--driver-secret', 'two words']);
    assert.equal(badSecret.code, 1);
    assert.match(badSecret.output, /--driver-secret/);
  });
});
