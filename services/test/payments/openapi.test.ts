// The payments service's OpenAPI document and response schemas: what a running service serves at
// /openapi.json is the committed docs/api/payments.openapi.json, and the response serializers
// send the contract's bodies byte for byte (key order included), also when an answer is replayed
// from the database (jsonb keeps no key order).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { projectRoot } from '../../../toolkit/src/project.ts';
import { until } from '../../../toolkit/testing/wait.ts';
import { createHttpServer } from '../../src/platform/http/server.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { PaymentRequests } from '../../src/payments/idempotency.ts';
import { paymentRoutes } from '../../src/payments/routes.ts';
import { API_TOKEN, CARDS, chargeBody, loadContract, newKey, startHarness } from './harness.ts';
import type { Harness } from './harness.ts';

const contract = loadContract();

/** The routes of the payments plugin as the platform completes them, without a database. */
async function paymentRouteSchemas(): Promise<RouteOptions[]> {
  const server = await createHttpServer({
    config: { host: '127.0.0.1', port: 0, apiTokens: [] },
    logger: createLogger({ level: 'silent' }),
    collectDefaultMetrics: false
  });
  const routes: RouteOptions[] = [];
  server.app.addHook('onRoute', (route) => {
    if (route.method !== 'HEAD') routes.push(route);
  });
  await server.app.register(paymentRoutes, { payments: {} as PaymentRequests });
  await server.app.ready();
  await server.close();
  return routes;
}

function reversedKeys(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).reverse());
}

describe('payments: response schemas keep the contract bytes', () => {
  test("every contract response, serialized by its route's schema, is the contract's JSON", async () => {
    const routes = await paymentRouteSchemas();
    const serializerFor = (status: number) => {
      // POST /payments answers every status but 404, which is GET /payments/{key}'s.
      const route = routes.find((r) => {
        const responses = (r.schema?.response ?? {}) as Record<string, unknown>;
        return String(status) in responses;
      });
      assert.ok(route, `a route declares ${status}`);
      const response = (route.schema?.response as Record<string, unknown>)[String(status)] as {
        content: Record<string, { schema: never }>;
      };
      const schema = response.content['application/json']?.schema;
      assert.ok(schema, `${status} has an application/json schema`);
      return serializerCompiler({
        schema,
        method: String(route.method),
        url: route.url,
        httpStatus: String(status)
      });
    };
    for (const [name, response] of Object.entries(contract.responses)) {
      const serialize = serializerFor(response.httpStatus);
      const expected = JSON.stringify(response.body);
      assert.equal(serialize(response.body), expected, `${name}: same bytes`);
      // As the database gives a stored answer back: another key order.
      assert.equal(serialize(reversedKeys(response.body)), expected, `${name}: contract key order`);
    }
  });

  test('a field outside the schema is not sent', async () => {
    const post = (await paymentRouteSchemas()).find((r) => r.method === 'POST');
    const responses = post?.schema?.response as Record<
      string,
      { content: Record<string, { schema: never }> }
    >;
    const schema = responses['200']?.content['application/json']?.schema;
    assert.ok(schema);
    const serialize = serializerCompiler({
      schema,
      method: 'POST',
      url: '/payments',
      httpStatus: '200'
    });
    const authorised = contract.responses.authorised?.body ?? {};
    assert.equal(
      serialize({ ...authorised, cardNumber: '4111111111111111' }),
      JSON.stringify(authorised)
    );
  });
});

describe('payments: /openapi.json and replayed answers over HTTP', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ logLevel: 'warn' });
  });
  after(async () => {
    await h?.stop();
  });

  test('/openapi.json of the running service is docs/api/payments.openapi.json', async () => {
    const response = await fetch(`${h.url}/openapi.json`);
    assert.equal(response.status, 200);
    const committed = readFileSync(
      path.join(projectRoot(), 'docs/api/payments.openapi.json'),
      'utf8'
    );
    // Byte for byte, once the committed file's formatting is taken away.
    assert.equal(
      await response.text(),
      JSON.stringify(JSON.parse(committed)),
      'the served document differs from docs/api/payments.openapi.json: run npm run docs:api'
    );
  });

  test('an answer, its replay and its lookup (from the database, on another instance) are the same bytes', async () => {
    const key = newKey('bytes');
    const body = JSON.stringify(chargeBody(contract, await h.tokenize(CARDS.visa)));
    const headers = {
      authorization: `Bearer ${API_TOKEN}`,
      'content-type': 'application/json',
      'idempotency-key': key
    };
    const first = await fetch(`${h.url}/payments`, { method: 'POST', headers, body });
    assert.equal(first.status, 200);
    const bytes = await first.text();
    assert.deepEqual(
      Object.keys(JSON.parse(bytes) as object),
      Object.keys(contract.responses.authorised?.body ?? {}),
      "the contract's key order"
    );
    const replay = await fetch(`${h.url}/payments`, { method: 'POST', headers, body });
    assert.equal(await replay.text(), bytes);

    await until(async () => {
      const { rows } = await h.database.pool.query(
        'SELECT status FROM payment_requests WHERE idempotency_key = $1',
        [key]
      );
      return rows[0]?.status === 'Authorised';
    }, 'the answer stored');
    const other = await startHarness({
      database: h.database,
      simulator: h.simulator,
      logLevel: 'warn'
    });
    try {
      const stored = await fetch(`${other.url}/payments`, { method: 'POST', headers, body });
      assert.equal(stored.status, 200);
      assert.equal(await stored.text(), bytes, 'replayed from the database');
      const lookup = await fetch(`${other.url}/payments/${key}`, {
        headers: { authorization: `Bearer ${API_TOKEN}` }
      });
      assert.equal(lookup.status, 200);
      assert.equal(await lookup.text(), bytes, 'GET /payments/{key}');
    } finally {
      await other.stop();
    }
  });

  test('error answers have the contract key order too', async () => {
    const missingKey = await h.pay(chargeBody(contract, 'tok_00000000000000000000'), {
      key: undefined
    });
    assert.equal(missingKey.status, 400);
    assert.deepEqual(
      Object.keys(missingKey.body),
      Object.keys(contract.responses.missingIdempotencyKey?.body ?? {})
    );
    const notFound = await h.get('pay-unknown-key-0000');
    assert.deepEqual(
      Object.keys(notFound.body),
      Object.keys(contract.responses.notFound?.body ?? {})
    );
  });
});
