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
      ['--import', 'tsx', CLI, '--port', '0', '--username', 'CLI_USER', '--password', 'cli-pass'],
      { stdio: ['ignore', 'pipe', 'ignore'] }
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      const match =
        /^SAP_BASE_URL=(http:\/\/127\.0\.0\.1:\d+) SAP_USERNAME=CLI_USER SAP_PASSWORD=cli-pass$/.exec(
          line
        );
      assert.ok(match?.[1], line);
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
    const bad = await run(['--latency-ms', 'fast']);
    assert.equal(bad.code, 1);
    assert.match(bad.output, /--latency-ms/);
  });
});
