import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

const CLI = resolve(import.meta.dirname, '../src/cli.ts');

describe('SAP simulator CLI', () => {
  it('prints SAP_BASE_URL, SAP_USERNAME and SAP_PASSWORD on one line, serves, stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        '--port',
        '0',
        '--username',
        'CLI_USER',
        '--password',
        'cli-pass',
        '--driver-secret',
        'cli-driver'
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] }
    );
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const line = String((await lines.next()).value);
      const match =
        /^SAP_BASE_URL=(http:\/\/127\.0\.0\.1:\d+) SAP_USERNAME=CLI_USER SAP_PASSWORD=cli-pass$/.exec(
          line
        );
      assert.ok(match?.[1], line);
      assert.equal((await lines.next()).value, 'SAP_DRIVER_SECRET=cli-driver');
      const partners = `${match[1]}/__sim/partners`;
      assert.equal((await fetch(partners)).status, 401, 'the control API needs the secret');
      const listed = await fetch(partners, { headers: { authorization: 'Bearer cli-driver' } });
      assert.equal(listed.status, 200);
      const response = await fetch(`${match[1]}/sap/opu/odata/sap/API_BUSINESS_PARTNER/`, {
        headers: {
          authorization: `Basic ${Buffer.from('CLI_USER:cli-pass').toString('base64')}`,
          'x-csrf-token': 'Fetch'
        }
      });
      assert.equal(response.status, 200);
      assert.ok(response.headers.get('x-csrf-token'));
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
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
      const url = /^SAP_BASE_URL=(\S+) /.exec(String((await lines.next()).value))?.[1];
      const secret = /^SAP_DRIVER_SECRET=([0-9a-f]{48})$/.exec(String((await lines.next()).value));
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

  it('prints help and rejects bad flags', async () => {
    const run = async (args: string[]) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
        stdio: ['ignore', 'pipe', 'pipe']
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      return { code, output };
    };
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.output, /--latency-ms/);
    assert.match(help.output, /--driver-secret/);
    assert.match(help.output, /Authorization: Bearer <SAP_DRIVER_SECRET>/);
    const bad = await run(['--latency-ms', 'fast']);
    assert.equal(bad.code, 1);
    assert.match(bad.output, /--latency-ms/);
    const badSecret = await run(['--port', '0', '--driver-secret', 'two words']);
    assert.equal(badSecret.code, 1);
    assert.match(badSecret.output, /--driver-secret/);
  });
});
