import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

const CLI = resolve(import.meta.dirname, '../src/cli.ts');

describe('org emulator CLI', () => {
  it('prints the connection line, then a random driver secret the test driver requires', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, '--port', '0', '--grpc-port', '0'],
      { stdio: ['ignore', 'pipe', 'ignore'] }
    );
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const line = String((await lines.next()).value);
      const match =
        /^SF_INSTANCE_URL=(http:\/\/127\.0\.0\.1:\d+) SF_ACCESS_TOKEN=(\S+) SF_PUBSUB_ENDPOINT=127\.0\.0\.1:\d+$/.exec(
          line
        );
      assert.ok(match?.[1] && match[2], line);
      const secret = /^SF_DRIVER_SECRET=([0-9a-f]{48})$/.exec(String((await lines.next()).value));
      assert.ok(secret?.[1]);

      const limits = await fetch(`${match[1]}/services/data/v65.0/limits`, {
        headers: { authorization: `Bearer ${match[2]}` }
      });
      assert.equal(limits.status, 200);
      const state = `${match[1]}/__emulator/state`;
      assert.equal((await fetch(state)).status, 401, 'the test driver needs the secret');
      const guarded = await fetch(state, { headers: { authorization: `Bearer ${secret[1]}` } });
      assert.equal(guarded.status, 200);

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('documents --driver-secret and rejects an unusable one', () => {
    const run = (args: string[]) => {
      const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
        encoding: 'utf8',
        timeout: 60_000
      });
      return { code: result.status, output: `${result.stdout}${result.stderr}` };
    };
    const help = run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.output, /--driver-secret/);
    assert.match(help.output, /Authorization: Bearer <SF_DRIVER_SECRET>/);
    const bad = run(['--port', '0', '--grpc-port', '0', '--driver-secret', 'two words']);
    assert.equal(bad.code, 1);
    assert.match(bad.output, /--driver-secret/);
  });
});
