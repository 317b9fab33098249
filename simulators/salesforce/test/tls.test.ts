/**
 * REST over TLS (`tls: true`, `--tls`): the emulator serves HTTPS with the self-signed
 * certificate its Pub/Sub server uses, answers OAuth with an https:// instance_url, and writes
 * the certificate to a CA file clients trust. Clients: node:https with `ca`, jsforce and the
 * official Pub/Sub client in a process started with NODE_EXTRA_CA_CERTS, the CLI.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from '../src/emulator.ts';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';
import { createSfCli } from './helpers/sf-cli.ts';

let emulator: TestEmulator;

before(async () => {
  emulator = await startTestEmulator({ tls: true });
});

after(async () => {
  await emulator.close();
});

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    get(url, { ca }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolvePromise({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

test('serves HTTPS that a client trusting the CA file accepts, and nothing else does', async () => {
  assert.match(emulator.instanceUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = readFileSync(emulator.caFile, 'utf8');
  const versions = await httpsGet(`${emulator.instanceUrl}/services/data`, ca);
  assert.equal(versions.status, 200);
  assert.ok(Array.isArray(JSON.parse(versions.body)));
  // Without the CA the certificate is, rightly, untrusted.
  await assert.rejects(fetch(`${emulator.instanceUrl}/services/data`));
});

test('jsforce and the Pub/Sub client log in over HTTPS trusting NODE_EXTRA_CA_CERTS', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', resolve(import.meta.dirname, 'helpers/tls-client.ts')],
    {
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: emulator.caFile,
        SF_INSTANCE_URL: emulator.instanceUrl,
        SF_PUBSUB_ENDPOINT: emulator.pubsubEndpoint,
        SF_CLIENT_ID: DEFAULT_CLIENT_ID,
        SF_CLIENT_SECRET: DEFAULT_CLIENT_SECRET
      },
      timeout: 60_000
    }
  );
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  assert.deepEqual(result, {
    // The token answer's instance_url is https, so jsforce stays on TLS.
    jsforceInstanceUrl: emulator.instanceUrl,
    organizationName: 'Salesforce Org Emulator',
    published: true
  });
});

test('the CLI serves HTTPS with --tls and prints the CA file', async () => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      resolve(import.meta.dirname, '../src/cli.ts'),
      '--tls',
      '--port',
      '0',
      '--grpc-port',
      '0'
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] }
  );
  try {
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = String((await lines.next()).value);
    const url = /^SF_INSTANCE_URL=(https:\/\/127\.0\.0\.1:\d+) /.exec(first)?.[1];
    assert.ok(url, first);
    await lines.next();
    const caFile = /^SF_CA_FILE=(\S+)$/.exec(String((await lines.next()).value))?.[1];
    assert.ok(caFile && existsSync(caFile));
    const versions = await httpsGet(`${url}/services/data`, readFileSync(caFile, 'utf8'));
    assert.equal(versions.status, 200);
    child.kill('SIGTERM');
    await once(child, 'exit');
    assert.equal(existsSync(caFile), false, 'the CA file goes with the emulator');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('the sf CLI logs in and queries over HTTPS trusting NODE_EXTRA_CA_CERTS', async () => {
  const cli = await createSfCli(emulator, {
    homePrefix: 'sf-emulator-tls-home-',
    timeoutMs: 90_000,
    env: { NODE_EXTRA_CA_CERTS: emulator.caFile }
  });
  try {
    const login = await cli.login('tls');
    assert.equal(login.status, 0, login.raw);
    const query = await cli.sf([
      'data',
      'query',
      '--query',
      'SELECT Name FROM Organization',
      '--target-org',
      'tls'
    ]);
    assert.equal(query.status, 0, query.raw);
    const result = query.result as { records: Array<{ Name: string }> };
    assert.equal(result.records[0]?.Name, 'Salesforce Org Emulator');
  } finally {
    await cli.removeHome();
  }
});

test('the trusted certificate is a short-lived leaf (no CA) in a private, user-owned directory', async () => {
  const { X509Certificate } = await import('node:crypto');
  const { statSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const cert = new X509Certificate(readFileSync(emulator.caFile));
  assert.equal(cert.ca, false, 'trusting it must not let it sign other certificates');
  const lifetime = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
  assert.ok(lifetime <= 31 * 24 * 60 * 60 * 1000, `valid ${lifetime} ms`);
  // Not in a folder anyone may create things in (such as /tmp itself), where another user could
  // plant a certificate at the documented path once the emulator has stopped.
  const parent = statSync(dirname(dirname(emulator.caFile)));
  assert.equal(parent.mode & 0o002, 0, `${emulator.caFile}: its parent folder is world-writable`);
  const dir = statSync(dirname(emulator.caFile));
  assert.equal(dir.mode & 0o777, 0o700);
  assert.equal(dir.uid, process.getuid?.());
  assert.equal(statSync(emulator.caFile).mode & 0o077, 0);
});

test('only the certificate folder is private: the folders it creates above it keep the default mode', async () => {
  const { mkdtempSync, statSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createSelfSignedCertificate, writeCaFile } = await import('../src/tls.ts');
  const project = mkdtempSync(join(tmpdir(), 'tls-dirs-'));
  // The repository's `.data/` is shared with the embedded PostgreSQL, which runs as the postgres
  // user when the lab runs as root: a private `.data/` would lock it out of `.data/postgres`.
  const written = await writeCaFile(
    await createSelfSignedCertificate('127.0.0.1'),
    join(project, '.data', 'sf-emulator-tls')
  );
  try {
    // The mode any new folder gets here (the umask decides), not 0700.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(project, 'plain'));
    assert.equal(
      statSync(join(project, '.data')).mode & 0o777,
      statSync(join(project, 'plain')).mode & 0o777,
      '.data/ keeps the default mode'
    );
    assert.equal(statSync(join(project, '.data', 'sf-emulator-tls')).mode & 0o777, 0o700);
  } finally {
    await written.remove();
  }
});
