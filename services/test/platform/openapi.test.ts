// Route schemas (zod, fastify-type-provider-zod) on the platform's HTTP server: validation answers
// the platform's 400 with every issue of every part, answers are encoded by their response
// schema, errors met while routing keep the error shape, and /openapi.json documents it all with
// the platform's own answers (security, 400/401/413/414/415) added to every route.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { z } from 'zod';
import { BODY_LIMIT_EXTENSION, SECURITY_SCHEME } from '../../src/platform/http/openapi.ts';
import { createHttpServer } from '../../src/platform/http/server.ts';
import type { HttpServer } from '../../src/platform/http/server.ts';
import { createLogger } from '../../src/platform/logger.ts';

const TOKEN = 'svc-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

const OrderBody = z.strictObject({
  accountId: z.string().regex(/^001[A-Za-z0-9]{15}$/, 'must be an 18-character Account id'),
  quantity: z.number().int().positive(),
  notes: z.string().max(20).optional()
});

const Order = z
  .object({ id: z.number(), quantity: z.number(), status: z.string() })
  .meta({ id: 'TestOrder' });

function silentLogger(service = 'orders') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    }
  });
  return { logger: createLogger({ level: 'debug', service, destination }), lines };
}

type Document = OpenAPIV3_1.Document;
type Operation = OpenAPIV3_1.OperationObject;

describe('route schemas and the OpenAPI document', () => {
  let server: HttpServer;
  let document: Document;

  before(async () => {
    server = await createHttpServer({
      config: { host: '127.0.0.1', port: 0, apiTokens: [TOKEN] },
      logger: silentLogger().logger,
      bodyLimit: 64 * 1024
    });
    const app = server.app.withTypeProvider<ZodTypeProvider>();
    app.post(
      '/orders/:id',
      {
        bodyLimit: 2048,
        config: { errorResponses: { 409: 'The order is already confirmed.' } },
        schema: {
          operationId: 'confirmOrder',
          params: z.object({ id: z.coerce.number().int() }),
          headers: z.looseObject({ 'x-tenant': z.string().regex(/^t-\d+$/, 'must be t-<n>') }),
          body: OrderBody,
          response: { 200: Order }
        }
      },
      async (request) => ({
        // Key order differs from the schema's, and a field the schema does not have.
        status: 'confirmed',
        internalNote: 'never sent',
        quantity: request.body.quantity,
        id: request.params.id
      })
    );
    app.get(
      '/search',
      { schema: { querystring: z.object({ q: z.string().min(2) }) } },
      async (request) => ({ q: request.query.q })
    );
    app.get('/open', { config: { public: true } }, async () => ({ open: true }));
    await server.listen();
    document = (await (await fetch(`${server.url}/openapi.json`)).json()) as Document;
  });

  after(async () => {
    await server?.close();
  });

  const operation = (path: string, method: 'get' | 'post') => {
    const found: Operation | undefined = document.paths?.[path]?.[method];
    assert.ok(found, `${method.toUpperCase()} ${path} is documented`);
    return { ...found, responses: found.responses ?? {} };
  };

  describe('validation', () => {
    test('every issue of every part in one 400, params first, headers before body', async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: '/orders/abc',
        headers: { ...auth, 'x-tenant': 'nope' },
        payload: { accountId: '003xyz', quantity: 0, notes: 'x'.repeat(30) }
      });
      assert.equal(response.statusCode, 400);
      const body = response.json();
      assert.equal(body.error, 'validation_failed');
      assert.equal(body.correlationId, response.headers['x-correlation-id']);
      assert.deepEqual(
        body.issues.map((i: { location: string; path: string }) => `${i.location}:${i.path}`),
        ['params:id', 'headers:x-tenant', 'body:accountId', 'body:quantity', 'body:notes']
      );
      assert.equal(body.issues[1].message, 'must be t-<n>');
      assert.equal(body.issues[2].message, 'must be an 18-character Account id');
      assert.match(body.message, /^Invalid request params at id: .* \(and 4 more\)$/);
    });

    test('a bad header with a good body: the message names the header', async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: '/orders/7',
        headers: auth,
        payload: { accountId: '001000000000001AAA', quantity: 1 }
      });
      assert.equal(response.statusCode, 400);
      assert.match(response.json().message, /^Invalid request headers at x-tenant: /);
      assert.deepEqual(Object.keys(response.json()), [
        'error',
        'message',
        'correlationId',
        'issues'
      ]);
    });

    test('query issues are reported under `query`; unknown body fields are refused', async () => {
      const query = await server.app.inject({ method: 'GET', url: '/search?q=a', headers: auth });
      assert.equal(query.statusCode, 400);
      assert.equal(query.json().issues[0].location, 'query');
      const extra = await server.app.inject({
        method: 'POST',
        url: '/orders/7',
        headers: { ...auth, 'x-tenant': 't-1' },
        payload: { accountId: '001000000000001AAA', quantity: 1, cardNumber: '4111111111111111' }
      });
      assert.equal(extra.statusCode, 400);
      assert.equal(extra.json().issues[0].code, 'unrecognized_keys');
      assert.doesNotMatch(extra.body, /4111111111111111/);
    });

    test('valid input reaches the handler parsed; the answer has the schema keys, in its order', async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: '/orders/42',
        headers: { ...auth, 'x-tenant': 't-1' },
        payload: { accountId: '001000000000001AAA', quantity: 3 }
      });
      assert.equal(response.statusCode, 200);
      assert.equal(response.body, '{"id":42,"quantity":3,"status":"confirmed"}');
    });
  });

  describe('errors met while routing', () => {
    test('a broken percent-encoding: 400 with the error body, the URL not quoted', async () => {
      const response = await fetch(`${server.url}/orders/4111111111111111%E0%A4%A`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{}'
      });
      assert.equal(response.status, 400);
      const body = (await response.json()) as Record<string, string>;
      assert.equal(body.error, 'bad_request');
      assert.equal(body.correlationId, response.headers.get('x-correlation-id'));
      assert.doesNotMatch(JSON.stringify(body), /4111/);
    });

    test('a path parameter over 100 characters: 414 with the error body', async () => {
      const response = await fetch(`${server.url}/orders/${'9'.repeat(101)}`, {
        method: 'POST',
        headers: auth
      });
      assert.equal(response.status, 414);
      const body = (await response.json()) as Record<string, string>;
      assert.equal(body.error, 'uri_too_long');
      assert.match(body.correlationId ?? '', /^[0-9a-f-]{36}$/);
      assert.doesNotMatch(JSON.stringify(body), /9{20}/);
    });

    test('an unknown route never echoes its path', async () => {
      const response = await server.app.inject({
        method: 'GET',
        url: '/cards/4111111111111111/x?pan=4111111111111111',
        headers: auth
      });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().message, 'No route GET with this path.');
      assert.equal(response.body.includes('/cards'), false, response.body);
    });
  });

  describe('the document', () => {
    test('/openapi.json is public OpenAPI 3.1 titled after the service, without servers', async () => {
      const response = await fetch(`${server.url}/openapi.json`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(document.openapi, '3.1.0');
      assert.equal(document.info.title, 'orders');
      assert.match(document.info.version, /^\d+\.\d+\.\d+/);
      assert.equal(document.servers, undefined);
      assert.deepEqual(document.components?.securitySchemes?.[SECURITY_SCHEME], {
        type: 'http',
        scheme: 'bearer',
        description: "One of the service's SERVICE_API_TOKENS."
      });
    });

    test('the platform routes are documented, the probes public, with their answers', async () => {
      for (const path of ['/healthz', '/readyz', '/openapi.json']) {
        const op = operation(path, 'get');
        assert.equal(op.security, undefined, `${path} is public`);
        assert.ok(op.responses['200'], `${path} documents 200`);
        assert.equal(op.responses['401'], undefined);
      }
      assert.deepEqual(operation('/metrics', 'get').security, [{ [SECURITY_SCHEME]: [] }]);
      assert.ok(operation('/readyz', 'get').responses['503']);
      const metrics = operation('/metrics', 'get').responses['200'] as
        OpenAPIV3_1.ResponseObject | undefined;
      assert.ok(metrics?.content?.['text/plain']);
    });

    test('every other route gets the bearer scheme and the platform answers it gives', async () => {
      const confirm = operation('/orders/{id}', 'post');
      assert.deepEqual(confirm.security, [{ [SECURITY_SCHEME]: [] }]);
      assert.deepEqual(Object.keys(confirm.responses).sort(), [
        '200',
        '400',
        '401',
        '409',
        '413',
        '414',
        '415'
      ]);
      assert.equal((confirm as Record<string, unknown>)[BODY_LIMIT_EXTENSION], 2048);
      const conflict = confirm.responses['409'] as OpenAPIV3_1.ResponseObject | undefined;
      assert.equal(conflict?.description, 'The order is already confirmed.');
      assert.deepEqual(conflict?.content?.['application/json']?.schema, {
        $ref: '#/components/schemas/ErrorBody'
      });
      // Its successes are the route's to declare; /search declares none.
      const search = operation('/search', 'get');
      assert.deepEqual(Object.keys(search.responses).sort(), ['400', '401']);
      assert.deepEqual(
        search.parameters?.map((p) => ('in' in p ? `${p.in}:${p.name}` : '')),
        ['query:q']
      );
      assert.deepEqual(Object.keys(operation('/open', 'get').responses), ['200']);
    });

    test('components: the referenced schemas only, by name', () => {
      assert.deepEqual(Object.keys(document.components?.schemas ?? {}), [
        'ErrorBody',
        'ReadinessReport',
        'TestOrder'
      ]);
    });

    test('a route-level error answer is serialized as the documented error body', async () => {
      const response = await server.app.inject({ method: 'POST', url: '/orders/1' });
      assert.equal(response.statusCode, 401);
      assert.deepEqual(Object.keys(response.json()), ['error', 'message', 'correlationId']);
    });
  });
});
