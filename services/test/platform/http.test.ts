import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { createPool, pingDatabase } from '../../src/platform/db/pool.ts';
import { HttpError } from '../../src/platform/http/errors.ts';
import { createHttpServer } from '../../src/platform/http/server.ts';
import type { HttpServer } from '../../src/platform/http/server.ts';
import { createLogger, getCorrelationId } from '../../src/platform/logger.ts';
import { createTestDatabase, testDatabaseMode } from '../helpers/database.ts';
import type { TestDatabase } from '../helpers/database.ts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

const TOKEN = 'svc-token-0123456789abcdef';
const OLD_TOKEN = 'svc-token-previous-rotation-1';

function collectingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    }
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

const OrderBody = z.object({
  accountId: z.string().regex(/^001[A-Za-z0-9]{15}$/, 'must be an 18-character Account id'),
  quantity: z.number().int().positive(),
  notes: z.string().max(20).optional()
});

describe(`HTTP server (${testDatabaseMode()} PostgreSQL)`, () => {
  let server: HttpServer;
  let db: TestDatabase;
  const { logger, lines } = collectingLogger();
  const auth = { authorization: `Bearer ${TOKEN}` };

  before(async () => {
    db = await createTestDatabase();
    server = await createHttpServer({
      config: { host: '127.0.0.1', port: 0, apiTokens: [TOKEN, OLD_TOKEN] },
      logger
    });
    server.readiness.add('database', () => pingDatabase(db.pool));
    const app = server.app;
    app.get('/whoami', async (request) => ({ tokenId: request.principal?.tokenId }));
    const typed = app.withTypeProvider<ZodTypeProvider>();
    typed.post(
      '/orders/:id',
      { schema: { body: OrderBody, params: z.object({ id: z.coerce.number().int() }) } },
      async (request) => ({
        id: request.params.id,
        quantity: request.body.quantity,
        correlationId: getCorrelationId()
      })
    );
    typed.get(
      '/search',
      { schema: { querystring: z.object({ q: z.string().min(2) }) } },
      async (request) => ({ q: request.query.q })
    );
    app.get('/boom', async () => {
      const error = new Error('connection to 10.0.0.7 refused while charging 4111111111111111');
      throw error;
    });
    app.get('/conflict', async () => {
      throw new HttpError(409, 'already_paid', 'The invoice is already paid.');
    });
    app.get('/public-thing', { config: { public: true } }, async () => ({ open: true }));
    await server.listen();
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  describe('health and readiness', () => {
    test('/healthz is public and answers ok', async () => {
      const response = await server.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { status: 'ok' });
    });

    test('/readyz passes while the database answers and fails (503) when it is down', async () => {
      await server.readiness.refresh();
      const ready = await server.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.deepEqual(ready.json(), { status: 'ready', checks: { database: 'ok' } });

      // A second server whose database goes away: drop it under its pool.
      const doomed = await createTestDatabase();
      const pool = createPool({
        connectionString: doomed.url,
        max: 2,
        connectionTimeoutMillis: 1000
      });
      const other = await createHttpServer({
        config: { host: '127.0.0.1', port: 0, apiTokens: [] },
        logger
      });
      other.readiness.add('database', () => pingDatabase(pool, 1000));
      try {
        await other.readiness.refresh();
        assert.equal((await other.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
        await doomed.drop();
        await other.readiness.refresh();
        const down = await other.app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(down.statusCode, 503);
        assert.deepEqual(down.json(), { status: 'not_ready', checks: { database: 'failed' } });
        assert.doesNotMatch(down.body, /does not exist|terminat|ECONN/i, 'details stay in the log');
      } finally {
        await other.close();
        await pool.end();
      }
    });

    test('/readyz answers from the probes of the last interval: requests cost no probe calls', async () => {
      const other = await createHttpServer({
        config: { host: '127.0.0.1', port: 0, apiTokens: [] },
        logger,
        readinessIntervalMs: 60_000
      });
      let calls = 0;
      other.readiness.add('counted', () => {
        calls += 1;
      });
      try {
        const before = await other.app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(before.statusCode, 503, 'not ready before the first probe has run');
        assert.deepEqual(before.json().checks, { counted: 'pending' });
        await other.listen();
        assert.equal(calls, 1, 'listen() runs the probes once');
        for (let i = 0; i < 1000; i++) {
          const response = await other.app.inject({ method: 'GET', url: '/readyz' });
          assert.equal(response.statusCode, 200);
        }
        assert.equal(calls, 1, '1,000 requests, no further probe call');
      } finally {
        await other.close();
      }
    });

    test('/readyz answers 503 draining once shutdown begins', async () => {
      const other = await createHttpServer({
        config: { host: '127.0.0.1', port: 0, apiTokens: [] },
        logger
      });
      other.readiness.startDraining();
      const response = await other.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 503);
      assert.equal(response.json().status, 'draining');
      await other.close();
    });
  });

  describe('metrics', () => {
    test('/metrics exposes default metrics and the request histogram by route pattern', async () => {
      await server.app.inject({ method: 'GET', url: '/whoami', headers: auth });
      await server.app.inject({
        method: 'POST',
        url: '/orders/17',
        headers: auth,
        payload: { accountId: 'x', quantity: 1 }
      });
      const anonymous = await server.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(anonymous.statusCode, 401, 'metrics tell volumes: a token is needed');
      const response = await server.app.inject({ method: 'GET', url: '/metrics', headers: auth });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      assert.match(response.body, /^process_cpu_user_seconds_total /m);
      assert.match(response.body, /^nodejs_eventloop_lag_seconds /m);
      assert.match(response.body, /^# TYPE http_request_duration_seconds histogram$/m);
      assert.match(
        response.body,
        /http_request_duration_seconds_count\{method="GET",route="\/whoami",status_code="200"\} 1/
      );
      assert.match(
        response.body,
        /http_request_duration_seconds_count\{method="POST",route="\/orders\/:id",status_code="400"\} 1/
      );
      assert.doesNotMatch(response.body, /orders\/17/, 'raw URLs never become labels');
    });
  });

  describe('authentication', () => {
    test('no token: 401 with a clear message and a Bearer challenge', async () => {
      const response = await server.app.inject({ method: 'GET', url: '/whoami' });
      assert.equal(response.statusCode, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="services"');
      const body = response.json();
      assert.equal(body.error, 'unauthorized');
      assert.equal(body.message, 'Missing bearer token: send "Authorization: Bearer <token>".');
      assert.equal(body.correlationId, response.headers['x-correlation-id']);
    });

    test('wrong scheme or wrong token: 401', async () => {
      const basic = await server.app.inject({
        method: 'GET',
        url: '/whoami',
        headers: { authorization: 'Basic dXNlcjpwdw==' }
      });
      assert.equal(basic.statusCode, 401);
      assert.equal(basic.json().message, 'The Authorization header must use the Bearer scheme.');
      for (const token of [
        'svc-token-0123456789abcdeX',
        'short',
        `${TOKEN}x`,
        TOKEN.slice(0, -1)
      ]) {
        const response = await server.app.inject({
          method: 'GET',
          url: '/whoami',
          headers: { authorization: `Bearer ${token}` }
        });
        assert.equal(response.statusCode, 401, token);
        assert.equal(response.json().message, 'Invalid bearer token.');
        assert.equal(
          response.headers['www-authenticate'],
          'Bearer realm="services", error="invalid_token"'
        );
      }
    });

    test('a configured token (any of the rotation set) is accepted', async () => {
      const current = await server.app.inject({ method: 'GET', url: '/whoami', headers: auth });
      assert.equal(current.statusCode, 200);
      const previous = await server.app.inject({
        method: 'GET',
        url: '/whoami',
        headers: { authorization: `bearer ${OLD_TOKEN}` }
      });
      assert.equal(previous.statusCode, 200);
      // The token's position in SERVICE_API_TOKENS, not a hash of it: an unsalted hash in the
      // logs would let anyone holding them confirm a guessed token offline.
      assert.equal(current.json().tokenId, 'token-1');
      assert.equal(previous.json().tokenId, 'token-2');
      for (const token of [TOKEN, OLD_TOKEN]) {
        const digest = createHash('sha256').update(token).digest('hex');
        assert.equal(digest.includes(current.json().tokenId), false);
        assert.equal(digest.includes(previous.json().tokenId), false);
      }
    });

    test('public routes opt out explicitly; unknown routes still need a token', async () => {
      assert.equal(
        (await server.app.inject({ method: 'GET', url: '/public-thing' })).statusCode,
        200
      );
      assert.equal((await server.app.inject({ method: 'GET', url: '/nope' })).statusCode, 401);
      const notFound = await server.app.inject({ method: 'GET', url: '/nope?x=1', headers: auth });
      assert.equal(notFound.statusCode, 404);
      assert.equal(notFound.json().error, 'not_found');
      assert.equal(notFound.json().message, 'No route GET with this path.');
    });

    test('a server without tokens rejects every protected route and says why', async () => {
      const locked = await createHttpServer({
        config: { host: '127.0.0.1', port: 0, apiTokens: [] },
        logger
      });
      locked.app.get('/x', async () => 'never');
      const response = await locked.app.inject({ method: 'GET', url: '/x', headers: auth });
      assert.equal(response.statusCode, 401);
      assert.match(response.json().message, /SERVICE_API_TOKENS is not set/);
      await locked.close();
    });
  });

  describe('validation and errors', () => {
    test('invalid body and params: 400 validation_failed listing every issue', async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: '/orders/abc',
        headers: auth,
        payload: { accountId: '003xyz', quantity: 0, notes: 'x'.repeat(30) }
      });
      assert.equal(response.statusCode, 400);
      const body = response.json();
      assert.equal(body.error, 'validation_failed');
      assert.deepEqual(
        body.issues.map((i: { location: string; path: string }) => `${i.location}:${i.path}`),
        ['params:id', 'body:accountId', 'body:quantity', 'body:notes']
      );
      assert.equal(body.issues[1].message, 'must be an 18-character Account id');
      assert.match(body.message, /^Invalid request params at id: /);
    });

    test('valid input reaches the handler parsed, inside the correlation context', async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: '/orders/42',
        headers: { ...auth, 'x-correlation-id': '5d0c3a4e-7f3a-4b1c-9e2d-1a2b3c4d5e6f' },
        payload: { accountId: '001000000000001AAA', quantity: 3 }
      });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), {
        id: 42,
        quantity: 3,
        correlationId: '5d0c3a4e-7f3a-4b1c-9e2d-1a2b3c4d5e6f'
      });
      assert.equal(response.headers['x-correlation-id'], '5d0c3a4e-7f3a-4b1c-9e2d-1a2b3c4d5e6f');
    });

    test('query validation, malformed JSON, and HttpError', async () => {
      const query = await server.app.inject({ method: 'GET', url: '/search?q=a', headers: auth });
      assert.equal(query.statusCode, 400);
      assert.equal(query.json().issues[0].location, 'query');
      const json = await server.app.inject({
        method: 'POST',
        url: '/orders/1',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{"accountId": '
      });
      assert.equal(json.statusCode, 400);
      assert.equal(json.json().error, 'bad_request');
      const conflict = await server.app.inject({ method: 'GET', url: '/conflict', headers: auth });
      assert.equal(conflict.statusCode, 409);
      assert.deepEqual(Object.keys(conflict.json()).sort(), ['correlationId', 'error', 'message']);
      assert.equal(conflict.json().error, 'already_paid');
    });

    test('an unexpected error answers 500 without stack or details; the log has them, scrubbed', async () => {
      const response = await server.app.inject({ method: 'GET', url: '/boom', headers: auth });
      assert.equal(response.statusCode, 500);
      const body = response.json();
      assert.deepEqual(body, {
        error: 'internal_error',
        message: 'Internal server error.',
        correlationId: body.correlationId
      });
      assert.doesNotMatch(response.body, /10\.0\.0\.7|4111|at |\.ts/);
      const logged = lines
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === 'request failed' && l.correlationId === body.correlationId);
      assert.ok(logged, 'the failure is logged with the same correlation id');
      assert.match(logged.err.stack, /connection to 10\.0\.0\.7 refused/);
      assert.doesNotMatch(JSON.stringify(logged), /4111111111111111/);
    });
  });

  describe('correlation ids over a real socket', () => {
    test('echoes a well-formed id, replaces a malformed one, logs each request once', async () => {
      const given = await fetch(`${server.url}/healthz`, {
        headers: { 'x-correlation-id': '0b9f6c1e-2a47-4d8e-b3c5-6f7a8b9c0d1e' }
      });
      assert.equal(given.headers.get('x-correlation-id'), '0b9f6c1e-2a47-4d8e-b3c5-6f7a8b9c0d1e');
      const bad = await fetch(`${server.url}/healthz`, {
        headers: { 'x-correlation-id': 'x'.repeat(200) }
      });
      assert.match(bad.headers.get('x-correlation-id') ?? '', /^[0-9a-f-]{36}$/);
      const fresh = await fetch(`${server.url}/healthz`);
      assert.match(fresh.headers.get('x-correlation-id') ?? '', /^[0-9a-f-]{36}$/);
      // Not a UUID: replaced, even when log-safe looking (the old rule took these as they were).
      for (const other of ['sf-flow-7f3a', 'job.42', 'a:b']) {
        const replaced = await fetch(`${server.url}/healthz`, {
          headers: { 'x-correlation-id': other }
        });
        assert.match(replaced.headers.get('x-correlation-id') ?? '', /^[0-9a-f-]{36}$/, other);
      }
      const completed = lines
        .map((l) => JSON.parse(l))
        .filter(
          (l) =>
            l.msg === 'request completed' &&
            l.correlationId === '0b9f6c1e-2a47-4d8e-b3c5-6f7a8b9c0d1e'
        );
      assert.equal(completed.length, 1);
      assert.equal(completed[0].level, 'debug', 'probe requests log at debug');
      assert.equal(completed[0].route, '/healthz');
    });

    test('a correlation id holding a card number is never echoed or logged', async () => {
      for (const sent of [
        '4111111111111111',
        '4111:1111:1111:1111',
        '4111.1111.1111.1111',
        'cid-4111111111111111',
        '4111-1111-1111-1111',
        // UUID-shaped, carrying 4532015112830366 once the dashes are dropped.
        '45320151-1283-0366-0000-000000000000'
      ]) {
        const before = lines.length;
        // Unauthenticated (401) and authenticated (404): both answer an error body.
        for (const headers of [{}, auth]) {
          const response = await fetch(`${server.url}/nothing-here`, {
            headers: { ...headers, 'x-correlation-id': sent }
          });
          const echoed = response.headers.get('x-correlation-id') ?? '';
          const body = (await response.json()) as { correlationId: string };
          assert.match(echoed, /^[0-9a-f-]{36}$/, sent);
          assert.notEqual(echoed, sent, `${sent} is replaced by a fresh id`);
          assert.equal(body.correlationId, echoed, sent);
        }
        const logged = lines.slice(before).join('\n');
        assert.ok(logged.length > 0, 'the requests were logged');
        const digits = logged.replace(/\D/g, '');
        assert.equal(digits.includes('4111111111111111'), false, logged);
        assert.equal(digits.includes('4532015112830366'), false, logged);
      }
    });

    test('a handler sees the correlation id after the body streamed in over the socket', async () => {
      const response = await fetch(`${server.url}/orders/5`, {
        method: 'POST',
        headers: {
          ...auth,
          'content-type': 'application/json',
          'x-correlation-id': 'c2e4a6b8-1d3f-4a5b-8c7d-9e0f1a2b3c4d'
        },
        // ~600 kB: the body arrives in many socket chunks.
        body: JSON.stringify({
          accountId: '001000000000001AAA',
          quantity: 1,
          notes: 'n'.repeat(10),
          padding: 'p'.repeat(600_000)
        })
      });
      assert.equal(response.status, 200);
      assert.equal(
        ((await response.json()) as { correlationId: string }).correlationId,
        'c2e4a6b8-1d3f-4a5b-8c7d-9e0f1a2b3c4d'
      );
    });

    test('request logs never contain the bearer token', async () => {
      await fetch(`${server.url}/whoami`, { headers: auth });
      assert.ok(!lines.join('\n').includes(TOKEN));
      assert.ok(!lines.join('\n').includes(OLD_TOKEN));
    });
  });
});
