// Every operation of a running service's OpenAPI document (/openapi.json), attacked with
// generated requests (fast-check, openapi-fuzz.ts) over real HTTP: malformed, boundary and
// oversized bodies, wrong content types, invalid JSON, missing or invalid authentication,
// malformed path parameters and headers, all sprinkled with card numbers and tokens.
//   - a request the document refuses gets a 4xx (401 first when the token is wrong) with the
//     error body { error, message, correlationId }, and quotes none of the secrets it carried;
//   - a request the document accepts gets one of the operation's documented answers, whose body
//     matches the documented schema (so the document says exactly what the service enforces);
//   - nothing answers an undocumented 5xx, nothing is logged as failed, /healthz still answers.
// The service is payments (its harness: real PostgreSQL, the SecurePay simulator). Runs are
// reproducible: the seed is logged; FUZZ_SEED=<seed> replays it, FUZZ_RUNS=<n> changes the
// number of runs per operation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { OpenAPIV3_1 } from 'openapi-types';
import { API_TOKEN, startHarness } from '../payments/harness.ts';
import type { Harness } from '../payments/harness.ts';
import { SchemaTools, cardNumber, jsonText, withKey } from './openapi-fuzz.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_251_206);
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Statuses the platform answers on its own for refused requests (never for valid ones). */
const REFUSALS = new Set([400, 401, 413, 414, 415]);
/** fastify's router refuses longer path parameters (414). */
const MAX_PARAM_LENGTH = 100;
const DEFAULT_BODY_LIMIT = 1024 * 1024;

type Document = OpenAPIV3_1.Document;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
const METHODS: readonly Method[] = ['get', 'post', 'put', 'patch', 'delete'];

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: unknown;
}

interface Operation {
  id: string;
  method: Method;
  path: string;
  parameters: Parameter[];
  body: { schema: unknown; mediaTypes: string[]; limit: number } | undefined;
  secured: boolean;
  responses: Record<string, OpenAPIV3_1.ResponseObject>;
}

function operationsOf(document: Document): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (!op) continue;
      const parameters = (op.parameters ?? []).map((p) => {
        const parameter = p as OpenAPIV3_1.ParameterObject;
        return {
          name: parameter.name,
          in: parameter.in as Parameter['in'],
          required: parameter.required === true,
          schema: parameter.schema
        };
      });
      const requestBody = op.requestBody as OpenAPIV3_1.RequestBodyObject | undefined;
      const mediaTypes = Object.keys(requestBody?.content ?? {});
      const limit = (op as Record<string, unknown>)['x-max-body-bytes'];
      operations.push({
        id: op.operationId ?? `${method} ${path}`,
        method,
        path,
        parameters,
        body: requestBody
          ? {
              schema: requestBody.content[mediaTypes[0] ?? '']?.schema,
              mediaTypes,
              limit: typeof limit === 'number' ? limit : DEFAULT_BODY_LIMIT
            }
          : undefined,
        secured: (op.security ?? document.security ?? []).length > 0,
        responses: op.responses as Record<string, OpenAPIV3_1.ResponseObject>
      });
    }
  }
  return operations;
}

/** One generated request, with what the generator planted in it. */
interface Generated {
  auth: { header: string | undefined; valid: boolean; secret?: string | undefined };
  pathSegments: Record<string, string>;
  query: Array<[string, string]>;
  headers: Record<string, string | undefined>;
  extraHeaders: Array<[string, string]>;
  contentType: string | undefined;
  body: string | undefined;
  secrets: string[];
  /** Secrets in places no answer has any reason to quote (unknown query parameters, headers). */
  straySecrets: string[];
}

function authArbitrary(secured: boolean): fc.Arbitrary<Generated['auth']> {
  const valid = (header: string) => ({ header, valid: true });
  const invalid = (header: string | undefined, secret?: string) => ({
    header,
    valid: !secured,
    secret
  });
  return fc.oneof(
    { arbitrary: fc.constant(valid(`Bearer ${API_TOKEN}`)), weight: 20 },
    { arbitrary: fc.constant(valid(`bearer ${API_TOKEN}`)), weight: 1 },
    { arbitrary: fc.constant(invalid(undefined)), weight: 1 },
    {
      arbitrary: fc.constantFrom(
        invalid('Bearer'),
        invalid(`Token ${API_TOKEN}`),
        invalid(`Bearer ${API_TOKEN}x`),
        invalid(`Basic ${Buffer.from(`user:${API_TOKEN}`).toString('base64')}`)
      ),
      weight: 1
    },
    {
      arbitrary: fc
        .stringMatching(/^[A-Za-z0-9_-]{16,64}$/)
        .filter((token) => token !== API_TOKEN)
        .map((token) => invalid(`Bearer ${token}`, token)),
      weight: 1
    },
    { arbitrary: cardNumber.map((pan) => invalid(`Bearer ${pan}`, pan)), weight: 1 }
  );
}

/** Raw path segments (what goes between the slashes, already percent-encoded). */
function segmentArbitrary(tools: SchemaTools, parameter: Parameter): fc.Arbitrary<string> {
  const valid = tools.valid(parameter.schema).map((v) => String(v));
  const encoded = (arbitrary: fc.Arbitrary<unknown>) =>
    arbitrary.map((v) => encodeURIComponent(typeof v === 'string' ? v : (JSON.stringify(v) ?? '')));
  return fc.oneof(
    { arbitrary: valid.map(encodeURIComponent), weight: 8 },
    { arbitrary: encoded(tools.wrong(parameter.schema, cardNumber)), weight: 2 },
    {
      arbitrary: valid.map((v) => `${encodeURIComponent(v)}%2F${encodeURIComponent(v)}`),
      weight: 1
    },
    { arbitrary: valid.map((v) => `${encodeURIComponent(v)}/extra`), weight: 1 },
    {
      arbitrary: fc.integer({ min: MAX_PARAM_LENGTH + 1, max: 4000 }).map((n) => 'k'.repeat(n)),
      weight: 1
    },
    { arbitrary: encoded(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })), weight: 1 },
    {
      arbitrary: fc.constantFrom('%E0%A4%A', '%ZZ', '%', 'abc%C0%AFdef', '%FF%FE'),
      weight: 1
    },
    { arbitrary: cardNumber.map((pan) => `${pan}%20${pan}`), weight: 1 }
  );
}

function parameterValue(
  tools: SchemaTools,
  parameter: Parameter
): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { arbitrary: tools.valid(parameter.schema).map((v) => String(v)), weight: 16 },
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: tools.wrongText(parameter.schema, cardNumber), weight: 2 }
  );
}

const UNKNOWN_FIELD_NAMES = ['cardNumber', 'cvv', 'pan', '__proto__', 'constructor', 'amount'];

/** A body for an object schema: valid, then 0-3 mutations. */
function objectBodyArbitrary(tools: SchemaTools, schema: unknown): fc.Arbitrary<unknown> {
  const s = tools.resolve(schema);
  const properties = Object.entries((s.properties ?? {}) as Record<string, unknown>);
  const names = properties.map(([name]) => name);
  type Mutation = (body: Record<string, unknown>) => Record<string, unknown>;
  const mutations: Array<fc.Arbitrary<Mutation>> = [
    fc
      .oneof(fc.constantFrom(...UNKNOWN_FIELD_NAMES), fc.string({ maxLength: 30 }), cardNumber)
      .chain((name) =>
        fc.oneof(cardNumber, cardNumber.map(Number), fc.jsonValue({ maxDepth: 2 })).map(
          (value): Mutation =>
            (body) =>
              withKey(body, name, value)
        )
      )
  ];
  if (names.length > 0) {
    mutations.push(
      fc.constantFrom(...names).map(
        (name): Mutation =>
          (body) =>
            Object.fromEntries(Object.entries(body).filter(([key]) => key !== name))
      ),
      fc.constantFrom(...properties).chain(([name, child]) =>
        fc.oneof(tools.wrong(child, cardNumber), tools.valid(child)).map(
          (value): Mutation =>
            (body) =>
              withKey(body, name, value)
        )
      )
    );
  }
  // Half of them untouched, so that valid requests are frequent too.
  const applied = fc.oneof(
    fc.constant([]),
    fc.array(fc.oneof(...mutations), { minLength: 1, maxLength: 3 })
  );
  return fc
    .tuple(tools.valid(s), applied)
    .map(([body, applied]) =>
      applied.reduce((current, mutate) => mutate(current), body as Record<string, unknown>)
    );
}

function bodyArbitrary(
  tools: SchemaTools,
  body: NonNullable<Operation['body']>
): fc.Arbitrary<string> {
  const schema = tools.resolve(body.schema);
  const structured =
    schema.type === 'object' ? objectBodyArbitrary(tools, schema) : tools.valid(schema);
  const validText = tools.valid(schema).map(jsonText);
  return fc.oneof(
    { arbitrary: structured.map(jsonText), weight: 14 },
    {
      arbitrary: fc.constantFrom(null, [], [{}], 12550, 'pay me', true, {}).map(jsonText),
      weight: 1
    },
    {
      arbitrary: validText.chain((text) =>
        fc.constantFrom(
          '',
          '   ',
          text.slice(0, -1),
          text.replace(/}$/, ',}'),
          text.replace(/"/g, "'"),
          `/* c */${text}`,
          `${text}${text}`,
          `\uFEFF${text}`,
          '{{{{',
          'NaN',
          '['.repeat(5000) + ']'.repeat(5000)
        )
      ),
      weight: 2
    },
    {
      // Over the limit by one byte and more, still JSON.
      arbitrary: fc
        .tuple(validText, fc.integer({ min: 1, max: 3 * body.limit }))
        .map(([text, extra]) => {
          const padding = Math.max(1, body.limit - text.length + extra);
          return `{"padding":"${'p'.repeat(padding)}","body":${text}}`;
        }),
      weight: 1
    }
  );
}

function contentTypeArbitrary(mediaTypes: string[]): fc.Arbitrary<string | undefined> {
  const declared = mediaTypes.flatMap((type) => [type, `${type}; charset=utf-8`]);
  return fc.oneof(
    { arbitrary: fc.constantFrom(...declared), weight: 12 },
    {
      arbitrary: fc.constantFrom(
        undefined,
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream'
      ),
      weight: 2
    }
  );
}

const EXTRA_HEADERS = ['x-card-number', 'x-extra', 'x-forwarded-for', 'accept', 'x-api-key'];

function requestArbitrary(tools: SchemaTools, op: Operation): fc.Arbitrary<Generated> {
  const pathParameters = op.parameters.filter((p) => p.in === 'path');
  const valueParameters = op.parameters.filter((p) => p.in !== 'path');
  const segments = fc.record(
    Object.fromEntries(pathParameters.map((p) => [p.name, segmentArbitrary(tools, p)]))
  ) as fc.Arbitrary<Record<string, string>>;
  const values = fc.record(
    Object.fromEntries(valueParameters.map((p) => [p.name, parameterValue(tools, p)]))
  ) as fc.Arbitrary<Record<string, string | undefined>>;
  const text = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
  const stray = fc.array(fc.tuple(fc.constantFrom(...EXTRA_HEADERS), fc.oneof(text, cardNumber)), {
    maxLength: 2
  });
  const query = fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom('cardNumber', 'debug', '__proto__', 'q'), text),
      fc.oneof(text, cardNumber)
    ),
    { maxLength: 3 }
  );
  return fc
    .record({
      auth: authArbitrary(op.secured),
      segments,
      values,
      query,
      stray,
      correlation: fc.option(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), { nil: undefined }),
      contentType: op.body ? contentTypeArbitrary(op.body.mediaTypes) : fc.constant(undefined),
      body: op.body ? bodyArbitrary(tools, op.body) : fc.constant(undefined)
    })
    .map((r): Generated => {
      const headerValues = Object.fromEntries(
        valueParameters.filter((p) => p.in === 'header').map((p) => [p.name, r.values[p.name]])
      );
      const queryValues = valueParameters
        .filter((p) => p.in === 'query' && r.values[p.name] !== undefined)
        .map((p): [string, string] => [p.name, r.values[p.name] ?? '']);
      const planted = [
        r.auth.secret,
        ...Object.values(r.segments),
        ...Object.values(r.values),
        r.body
      ];
      const extraHeaders = [...r.stray];
      if (r.correlation !== undefined) extraHeaders.push(['x-correlation-id', r.correlation]);
      const strayValues = [...r.query.map(([, v]) => v), ...r.stray.map(([, v]) => v)];
      const found = (values: Array<string | undefined>) => [
        ...new Set(values.flatMap((v) => (v ? (v.match(/4\d{15}/g) ?? []) : [])))
      ];
      return {
        auth: r.auth,
        pathSegments: r.segments,
        query: [...queryValues, ...r.query],
        headers: headerValues,
        extraHeaders,
        contentType: r.contentType,
        body: r.body,
        secrets: [
          ...found([...planted, ...strayValues].map((v) => (v === undefined ? v : String(v)))),
          ...(r.auth.secret ? [r.auth.secret] : [])
        ],
        straySecrets: found(strayValues)
      };
    });
}

interface Classified {
  valid: boolean;
  /** Why the document refuses it. */
  reasons: string[];
  /** The router sees the path as it is (no broken encoding, no over-long parameter). */
  routable: boolean;
}

function classify(tools: SchemaTools, op: Operation, request: Generated): Classified {
  const reasons: string[] = [];
  let routable = true;
  if (!request.auth.valid) reasons.push('authentication');
  for (const parameter of op.parameters) {
    if (parameter.in === 'path') {
      const segment = request.pathSegments[parameter.name] ?? '';
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        reasons.push(`path ${parameter.name}: bad percent-encoding`);
        routable = false;
        continue;
      }
      if (segment.includes('/')) reasons.push(`path ${parameter.name}: another route`);
      else if (decoded.length > MAX_PARAM_LENGTH) {
        reasons.push(`path ${parameter.name}: too long`);
        routable = false;
      } else if (!tools.validate(parameter.schema, decoded))
        reasons.push(`path ${parameter.name}: invalid`);
      continue;
    }
    const value =
      parameter.in === 'header'
        ? request.headers[parameter.name]?.trim()
        : request.query.find(([name]) => name === parameter.name)?.[1];
    if (value === undefined) {
      if (parameter.required) reasons.push(`${parameter.in} ${parameter.name}: missing`);
    } else if (!tools.validate(parameter.schema, value)) {
      reasons.push(`${parameter.in} ${parameter.name}: invalid`);
    }
  }
  if (op.body) {
    const text = request.body ?? '';
    const mediaType = request.contentType?.split(';')[0]?.trim().toLowerCase();
    if (Buffer.byteLength(text) > op.body.limit) reasons.push('body: too large');
    else if (!mediaType || !op.body.mediaTypes.includes(mediaType))
      reasons.push('body: content type');
    else if (text.trim() === '') reasons.push('body: empty');
    else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
        if (!tools.validate(op.body.schema, parsed)) reasons.push('body: invalid');
      } catch {
        reasons.push('body: not JSON');
      }
    }
  }
  return { valid: reasons.length === 0, reasons, routable };
}

function urlOf(base: string, op: Operation, request: Generated): string {
  let path = op.path;
  for (const [name, segment] of Object.entries(request.pathSegments))
    path = path.replace(`{${name}}`, segment);
  const query = request.query
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
  return `${base}${path}${query ? `?${query}` : ''}`;
}

interface Answer {
  status: number;
  contentType: string;
  correlationId: string | null;
  text: string;
}

async function send(base: string, op: Operation, request: Generated): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (request.auth.header !== undefined) headers.authorization = request.auth.header;
  for (const [name, value] of Object.entries(request.headers))
    if (value !== undefined) headers[name] = value;
  for (const [name, value] of request.extraHeaders) headers[name] = value;
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  const response = await fetch(urlOf(base, op, request), {
    method: op.method.toUpperCase(),
    headers,
    // Bytes: fetch adds no content type of its own.
    ...(request.body !== undefined ? { body: new TextEncoder().encode(request.body) } : {})
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    correlationId: response.headers.get('x-correlation-id'),
    text: await response.text()
  };
}

function assertErrorBody(answer: Answer, where: string): void {
  assert.match(answer.contentType, /^application\/json/, `${where}: JSON error body`);
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  assert.equal(typeof body.error, 'string', `${where}: error`);
  assert.ok(typeof body.message === 'string' && body.message.length > 0, `${where}: message`);
  assert.equal(typeof body.correlationId, 'string', `${where}: correlationId`);
  assert.equal(body.correlationId, answer.correlationId, `${where}: correlationId = header`);
}

function assertDocumented(tools: SchemaTools, op: Operation, answer: Answer, where: string): void {
  const response = op.responses[String(answer.status)];
  assert.ok(response, `${where}: ${answer.status} is not a documented answer of ${op.id}`);
  const [mediaType, content] = Object.entries(response.content ?? {})[0] ?? [];
  if (!mediaType || !content?.schema) return;
  assert.ok(answer.contentType.startsWith(mediaType), `${where}: content type ${mediaType}`);
  const body = mediaType.endsWith('json') ? (JSON.parse(answer.text) as unknown) : answer.text;
  assert.ok(
    tools.validate(content.schema, body),
    `${where}: the body matches the documented schema`
  );
}

describe('OpenAPI robustness: generated requests against every operation (payments)', () => {
  let h: Harness;
  let document: Document;
  let tools: SchemaTools;

  before(async () => {
    h = await startHarness({ logLevel: 'warn' });
    document = (await (await fetch(`${h.url}/openapi.json`)).json()) as Document;
    tools = new SchemaTools(document);
  });
  after(async () => {
    await h?.stop();
  });

  test('the document has operations to attack', () => {
    const ids = operationsOf(document).map((op) => op.id);
    assert.ok(ids.includes('chargePayment') && ids.includes('getPayment'), ids.join(', '));
  });

  // One test per operation, named after it; the operations are read once the harness runs.
  test('every operation: refused requests answer 4xx with the error body, accepted ones a documented answer', async (t) => {
    t.diagnostic(`fast-check seed ${SEED} (FUZZ_SEED=${SEED} replays), ${RUNS} runs per operation`);
    for (const op of operationsOf(document)) {
      await t.test(`${op.method.toUpperCase()} ${op.path} (${op.id})`, async (st) => {
        const seen = { valid: 0, refused: 0, statuses: new Map<number, number>() };
        await fc.assert(
          fc.asyncProperty(requestArbitrary(tools, op), async (request) => {
            const url = urlOf(h.url, op, request);
            // fetch normalizes dot segments (/a/../b): such a request targets another path.
            fc.pre(new URL(url).pathname === url.slice(h.url.length).split('?')[0]);
            const verdict = classify(tools, op, request);
            const answer = await send(h.url, op, request);
            const where = `${op.id} [${verdict.reasons.join('; ') || 'valid'}] -> ${answer.status} ${answer.text.slice(0, 300)}`;
            seen.statuses.set(answer.status, (seen.statuses.get(answer.status) ?? 0) + 1);
            // Every 4xx is the error body; 5xx are documented answers of valid requests only
            // (the gateway's 502, /readyz's 503), checked against their schema below.
            if (answer.status >= 400 && answer.status < 500) assertErrorBody(answer, where);
            if (verdict.valid) {
              seen.valid += 1;
              assert.ok(!REFUSALS.has(answer.status), `${where}: a valid request was refused`);
              assertDocumented(tools, op, answer, where);
              for (const secret of request.straySecrets)
                assert.ok(!answer.text.includes(secret), `${where}: quotes ${secret}`);
            } else {
              seen.refused += 1;
              assert.ok(answer.status >= 400 && answer.status < 500, `${where}: expected 4xx`);
              if (!request.auth.valid && verdict.routable)
                assert.equal(answer.status, 401, `${where}: authentication comes first`);
              for (const secret of request.secrets)
                assert.ok(!answer.text.includes(secret), `${where}: quotes ${secret}`);
            }
          }),
          { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true }
        );
        st.diagnostic(
          `${seen.valid} valid, ${seen.refused} refused; statuses ${JSON.stringify(Object.fromEntries(seen.statuses))}`
        );
        if (op.secured || op.body || op.parameters.length > 0)
          assert.ok(seen.refused > RUNS / 10, 'enough refused requests were generated');
        assert.ok(seen.valid > RUNS / 20, 'enough valid requests were generated');
      });
    }
  });

  test('afterwards: the service is healthy and no request failed with an unexpected error', async () => {
    const health = await fetch(`${h.url}/healthz`);
    assert.equal(health.status, 200);
    const failed = h.logs
      .map((line) => JSON.parse(line) as { level?: string; msg?: string })
      .filter((line) => line.level === 'error' || line.level === 'fatal');
    assert.deepEqual(failed, [], 'no error was logged');
  });
});
