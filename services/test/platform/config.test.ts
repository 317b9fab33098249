import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { projectRoot } from '../../../toolkit/src/project.ts';
import {
  ConfigError,
  DEFAULT_EMBEDDED_PG_DIR,
  describeConfig,
  loadConfig
} from '../../src/platform/config.ts';

const REPO_ROOT = projectRoot();

const TOKEN_A = 'a'.repeat(32);
const TOKEN_B = 'b'.repeat(40);

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the configuration to be rejected');
}

describe('config', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'config-test-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('defaults: embedded database, loopback HTTP, Salesforce production endpoints', () => {
    const config = loadConfig({});
    assert.equal(config.env, 'development');
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.http, {
      host: '127.0.0.1',
      port: 8790,
      apiTokens: [],
      requestTimeoutMs: 30_000,
      maxConnections: 1000,
      maxConnectionsPerClient: 100
    });
    assert.equal(config.logFormat, 'auto');
    assert.equal(config.allowPlaintext, false);
    assert.equal(config.database.url, undefined);
    assert.equal(config.database.embedded.dir, DEFAULT_EMBEDDED_PG_DIR);
    assert.equal(DEFAULT_EMBEDDED_PG_DIR, path.join(REPO_ROOT, '.data', 'postgres'));
    assert.equal(config.database.embedded.port, 5439);
    assert.equal(config.queue.schema, 'pgboss');
    assert.equal(config.salesforce.apiVersion, '65.0');
    assert.equal(config.salesforce.pubsubEndpoint, 'api.pubsub.salesforce.com:7443');
    assert.equal(config.salesforce.loginUrl, 'https://login.salesforce.com');
    assert.equal(config.salesforce.pubsubInsecureTls, false);
    assert.equal(config.salesforce.authMode, 'none');
  });

  test('parses every variable into the typed object', () => {
    const keyFile = path.join(tmp, 'server.key');
    writeFileSync(keyFile, 'not really a key');
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'debug',
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: '0',
      SERVICE_API_TOKENS: ` ${TOKEN_A} ,${TOKEN_B},`,
      DATABASE_URL: 'postgres://app:pw@db.internal:5432/app',
      DATABASE_POOL_MAX: '20',
      EMBEDDED_PG_DIR: 'relative/pg',
      EMBEDDED_PG_PORT: '0',
      QUEUE_SCHEMA: 'jobs',
      SF_INSTANCE_URL: 'http://127.0.0.1:8780/',
      SF_CLIENT_ID: 'client',
      SF_USERNAME: 'integration@emulator.local',
      SF_JWT_KEY_FILE: keyFile,
      SF_API_VERSION: '64.0',
      SF_PUBSUB_ENDPOINT: '127.0.0.1:8781',
      SF_PUBSUB_INSECURE_TLS: 'true'
    });
    assert.equal(config.env, 'test');
    assert.deepEqual(config.http.apiTokens, [TOKEN_A, TOKEN_B]);
    assert.equal(config.http.port, 0);
    assert.equal(config.database.url, 'postgres://app:pw@db.internal:5432/app');
    assert.equal(config.database.poolMax, 20);
    assert.equal(config.database.embedded.dir, path.resolve('relative/pg'));
    assert.equal(config.salesforce.instanceUrl, 'http://127.0.0.1:8780');
    assert.equal(config.salesforce.authMode, 'jwt_bearer');
    assert.equal(config.salesforce.pubsubInsecureTls, true);
    assert.equal(config.salesforce.jwtKeyFile, keyFile);
  });

  test('auth mode: client credentials, then access token', () => {
    assert.equal(
      loadConfig({
        SF_CLIENT_ID: 'id',
        SF_CLIENT_SECRET: 's',
        SF_INSTANCE_URL: 'https://x.my.salesforce.com'
      }).salesforce.authMode,
      'client_credentials'
    );
    assert.equal(
      loadConfig({ SF_ACCESS_TOKEN: '00Dxx!token', SF_INSTANCE_URL: 'https://x.my.salesforce.com' })
        .salesforce.authMode,
      'access_token'
    );
  });

  test('empty values count as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', HTTP_PORT: ' ', SERVICE_API_TOKENS: '' });
    assert.equal(config.database.url, undefined);
    assert.equal(config.http.port, 8790);
  });

  test('lists every invalid variable in one message, in table order', () => {
    const error = configError({
      HTTP_PORT: 'eighty',
      EMBEDDED_PG_PORT: '70000',
      LOG_LEVEL: 'loud',
      NODE_ENV: 'staging',
      DATABASE_URL: 'mysql://root@localhost/db',
      SF_INSTANCE_URL: 'http://example.my.salesforce.com',
      SF_API_VERSION: '65',
      SF_PUBSUB_ENDPOINT: 'no-port',
      SF_PUBSUB_INSECURE_TLS: 'maybe',
      SERVICE_API_TOKENS: 'short'
    });
    const variables = error.issues.map((i) => i.variable);
    assert.deepEqual(variables, [
      'NODE_ENV',
      'LOG_LEVEL',
      'HTTP_PORT',
      'SERVICE_API_TOKENS',
      'DATABASE_URL',
      'EMBEDDED_PG_PORT',
      'SF_INSTANCE_URL',
      'SF_API_VERSION',
      'SF_PUBSUB_ENDPOINT',
      'SF_PUBSUB_INSECURE_TLS'
    ]);
    assert.match(error.message, /^Invalid configuration \(10 problems\):/);
    assert.match(error.message, /HTTP_PORT: must be an integer from 0 to 65535 \(got "eighty"\)/);
    assert.match(error.message, /EMBEDDED_PG_PORT: must be at most 65535 \(got "70000"\)/);
    assert.match(error.message, /SF_INSTANCE_URL: must use https/);
    assert.match(error.message, /SERVICE_API_TOKENS: 1 token\(s\) shorter than 16 characters/);
    assert.match(error.message, /docs\/services-platform\.md/);
    assert.doesNotMatch(error.message, /\n\s+at /, 'no stack trace in the message');
  });

  test('never echoes the value of a secret variable', () => {
    const error = configError({
      DATABASE_URL: 'mysql://root:hunter2-secret@localhost/db',
      SERVICE_API_TOKENS: 'tiny-secret',
      HTTP_PORT: 'x'
    });
    assert.match(error.message, /DATABASE_URL: must be a postgres/);
    assert.doesNotMatch(error.message, /hunter2/);
    assert.doesNotMatch(error.message, /tiny-secret/);
    assert.match(error.message, /\(got "x"\)/, 'non-secret values are shown');
  });

  test('cross-variable rules are reported with the per-variable problems', () => {
    const error = configError({
      NODE_ENV: 'production',
      SF_PUBSUB_INSECURE_TLS: 'true',
      SF_ACCESS_TOKEN: 'tok',
      SF_CLIENT_SECRET: 'sec',
      SF_JWT_KEY_FILE: path.join(tmp, 'missing.key'),
      HTTP_PORT: '-1'
    });
    const lines = error.issues.map((i) => `${i.variable}: ${i.message}`);
    assert.ok(lines.includes('SERVICE_API_TOKENS: is required when NODE_ENV=production'));
    assert.ok(lines.includes('SF_PUBSUB_INSECURE_TLS: must not be true when NODE_ENV=production'));
    assert.ok(lines.includes('SF_INSTANCE_URL: is required when SF_ACCESS_TOKEN is set'));
    assert.ok(lines.includes('SF_CLIENT_ID: is required when SF_CLIENT_SECRET is set'));
    assert.ok(lines.includes('SF_USERNAME: is required when SF_JWT_KEY_FILE is set'));
    assert.ok(
      lines.some((l) => l.startsWith('SF_JWT_KEY_FILE: file does not exist or is not readable'))
    );
    assert.ok(lines.some((l) => l.startsWith('HTTP_PORT: ')));
  });

  test('production with tokens, a database and verified TLS is accepted', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      SERVICE_API_TOKENS: TOKEN_A,
      DATABASE_URL: 'postgres://app@db:5432/app?sslmode=verify-full'
    });
    assert.equal(config.env, 'production');
  });

  test('describeConfig masks every secret', () => {
    const config = loadConfig({
      SERVICE_API_TOKENS: TOKEN_A,
      DATABASE_URL: 'postgres://app:db-password-1@db:5432/app',
      SF_CLIENT_ID: 'id',
      SF_CLIENT_SECRET: 'client-secret-1',
      SF_ACCESS_TOKEN: 'access-token-1',
      SF_INSTANCE_URL: 'https://x.my.salesforce.com'
    });
    const text = JSON.stringify(describeConfig(config));
    for (const secret of [TOKEN_A, 'db-password-1', 'client-secret-1', 'access-token-1']) {
      assert.ok(!text.includes(secret), `${secret} leaked`);
    }
    assert.match(text, /"apiTokens":"1 configured"/);
    assert.match(
      text,
      /postgres:\/\/app:%5BREDACTED%5D@db:5432\/app|postgres:\/\/app:\[REDACTED\]@db:5432\/app/
    );
  });

  test('an entry point prints every problem of the platform and its service at once, exits 1, no stack', () => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'services/src/payments/main.ts')],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH,
          HTTP_PORT: 'abc',
          SF_CLIENT_SECRET: 'super-secret-value',
          SECUREPAY_CLIENT_SECRET: 'gateway-secret-value'
        },
        encoding: 'utf8'
      }
    );
    assert.equal(child.status, 1);
    assert.match(child.stderr, /Invalid configuration \(5 problems\)/);
    assert.match(child.stderr, /HTTP_PORT/);
    assert.match(child.stderr, /SF_CLIENT_ID: is required when SF_CLIENT_SECRET is set/);
    assert.match(child.stderr, /SECUREPAY_BASE_URL: is required/);
    assert.match(child.stderr, /docs\/services-platform\.md, docs\/payments\.md/);
    assert.doesNotMatch(child.stderr, /super-secret-value|gateway-secret-value/);
    assert.doesNotMatch(child.stderr, /\s+at .*\.ts:\d+/);
  });

  test('production: an external database over TLS, https endpoints', () => {
    const error = configError({
      NODE_ENV: 'production',
      SERVICE_API_TOKENS: TOKEN_A,
      SF_INSTANCE_URL: 'http://sf.example.com'
    });
    const lines = error.issues.map((i) => `${i.variable}: ${i.message}`);
    assert.ok(
      lines.some((l) => /^DATABASE_URL: is required when NODE_ENV=production/.test(l)),
      lines.join('\n')
    );
    const plain = configError({
      NODE_ENV: 'production',
      SERVICE_API_TOKENS: TOKEN_A,
      DATABASE_URL: 'postgres://app:db-secret-pw@db.internal:5432/app'
    });
    assert.match(plain.message, /DATABASE_URL: must use TLS when NODE_ENV=production/);
    assert.doesNotMatch(plain.message, /db-secret-pw/);
    for (const url of [
      'postgres://app@db.internal:5432/app?sslmode=verify-full',
      'postgres://app@127.0.0.1:5432/app'
    ]) {
      const config = loadConfig({
        NODE_ENV: 'production',
        SERVICE_API_TOKENS: TOKEN_A,
        DATABASE_URL: url
      });
      assert.equal(config.database.url, url);
    }
    const allowed = loadConfig({
      NODE_ENV: 'production',
      SERVICE_API_TOKENS: TOKEN_A,
      DATABASE_URL: 'postgres://app@db.internal:5432/app',
      ALLOW_PLAINTEXT: 'true'
    });
    assert.equal(allowed.allowPlaintext, true);
  });

  test('a URL quoted in an error never shows its password', () => {
    const error = configError({ SF_INSTANCE_URL: 'http://user:Client-Secret-X@sf.example.com' });
    assert.match(error.message, /SF_INSTANCE_URL: must use https/);
    assert.match(error.message, /user:\*\*\*@sf\.example\.com/);
    assert.doesNotMatch(error.message, /Client-Secret-X/);
  });
});
