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
        '100'
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      const match =
        /^SECUREPAY_BASE_URL=(http:\/\/127\.0\.0\.1:\d+) SECUREPAY_CLIENT_ID=cli-client SECUREPAY_CLIENT_SECRET=cli-secret SECUREPAY_MERCHANT_CODE=CLI0001$/.exec(
          line
        );
      assert.ok(match?.[1], line);
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
      '--merchant-code'
    ]) {
      assert.match(help.output, new RegExp(flag));
    }
    const bad = run(['--latency-ms', 'fast']);
    assert.equal(bad.code, 1);
    assert.match(bad.output, /--latency-ms/);
  });
});
