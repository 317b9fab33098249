/**
 * The CLI's request log (pino, via fastify) never carries tokens, codes or secrets sent as query
 * parameters. An emulator started with the CLI's logger settings, called with fetch.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { requestLogger } from '../src/http/log-redaction.ts';
import { startTestEmulator } from './helpers/emulator.ts';

test('secret query parameters are redacted in the request log', async () => {
  const stream = new PassThrough();
  let log = '';
  stream.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const emulator = await startTestEmulator({ logger: requestLogger(stream) });
  const secrets = {
    token: 'SECRET-token-1',
    oauth_token: 'SECRET-oauth-2',
    client_secret: 'SECRET-client-3',
    code: 'SECRET-code-4',
    refresh_token: 'SECRET-refresh-5',
    assertion: 'SECRET-assertion-6',
    code_verifier: 'SECRET-verifier-7'
  };
  try {
    const query = new URLSearchParams({ ...secrets, grant_type: 'refresh_token' }).toString();
    await fetch(`${emulator.instanceUrl}/services/oauth2/revoke?${query}`, { method: 'POST' });
    await fetch(`${emulator.instanceUrl}/services/oauth2/token?${query}`, { method: 'POST' });
    await fetch(`${emulator.instanceUrl}/services/data/v65.0/limits?oauth_token=SECRET-oauth-2`);
  } finally {
    await emulator.close();
  }
  assert.match(log, /\/services\/oauth2\/revoke\?token=\[REDACTED\]/);
  assert.match(log, /grant_type=refresh_token/);
  assert.doesNotMatch(log, /SECRET-/);
});
