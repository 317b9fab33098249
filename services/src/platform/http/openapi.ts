// OpenAPI 3.1 documents of the services, generated from the zod schemas their routes declare
// (@fastify/swagger + fastify-type-provider-zod's jsonSchemaTransform), served at GET /openapi.json
// (public) and committed under docs/api/, also rendered in OpenAPI 3.0 for Salesforce External
// Services (openapi-docs.ts, `npm run docs:api`).
//
// A route declares what only it knows: its request parts, its successful answers and the errors
// of its own domain (`config: { errorResponses: { 404: 'No such payment.' } }`). The platform adds
// what it answers itself, to the document and to the route's response serializers alike:
//   - `security: serviceToken` (bearer) and 401 on every route not marked `config: { public: true }`;
//   - 400 on routes that validate a request part, 414 on routes with path parameters;
//   - 413 and 415 on routes with a body, and the body limit as `x-max-body-bytes`.
// Every error answer is the ErrorBody of errors.ts. Schemas registered with an id
// (`.meta({ id: 'PaymentAnswer' })`) become `components.schemas` entries; a document keeps only
// the components its own operations reference.
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { z } from 'zod';
import { errorBodySchema } from './errors.ts';
import { unencapsulated } from './plugin.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The error answers of this route's own domain (not the platform's 400/401/413/414/415), by
     * status, with what each means: documented and serialized as the error body.
     */
    errorResponses?: Readonly<Record<number, string>>;
  }
}

export const OPENAPI_VERSION = '3.1.0';
/**
 * The version a document can also be rendered in: Salesforce External Services registers
 * OpenAPI 2.0 and (a subset of) 3.0 only. Served documents are always OPENAPI_VERSION.
 */
export const OPENAPI_30_VERSION = '3.0.3';
export type OpenApiVersion = typeof OPENAPI_VERSION | typeof OPENAPI_30_VERSION;
export const OPENAPI_PATH = '/openapi.json';
/** The bearer-token security scheme (SERVICE_API_TOKENS; auth.ts). */
export const SECURITY_SCHEME = 'serviceToken';
/** Operation extension: the largest body the route accepts, in bytes. */
export const BODY_LIMIT_EXTENSION = 'x-max-body-bytes';

export interface ApiInfo {
  title: string;
  version: string;
  description?: string;
}

export const API_DESCRIPTION = [
  'An off-platform service on the services platform (docs/services-platform.md).',
  "Every operation that is not public requires `Authorization: Bearer <token>` with one of the service's `SERVICE_API_TOKENS`.",
  'Every error answers an ErrorBody `{ error, message, correlationId, issues? }`; `issues` lists every problem of a `400 validation_failed`.',
  'A request may send `x-correlation-id` (a UUID); the response echoes it, or a new UUID when none or anything else was sent, in the same header.'
].join('\n\n');

/** A JSON answer with what it means, in the form route schemas declare responses. */
export function jsonResponse<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

const errorResponse = (description: string) => jsonResponse(errorBodySchema, description);

type RouteResponses = Record<string, unknown>;

/** Adds the platform's own answers, security and body limit to a route's schema (idempotent). */
function completeRouteSchema(
  route: RouteOptions,
  limits: { bodyLimit: number; maxParamLength: number }
): void {
  const schema: FastifySchema & Record<string, unknown> = { ...(route.schema ?? {}) };
  const responses: RouteResponses = { ...((schema.response as RouteResponses | undefined) ?? {}) };
  const add = (status: number, description: string) => {
    if (!(String(status) in responses)) responses[String(status)] = errorResponse(description);
  };
  const isPublic = route.config?.public === true;
  if (!isPublic) {
    schema.security ??= [{ [SECURITY_SCHEME]: [] }];
    add(
      401,
      'The bearer token is missing, not a Bearer token, or not one of the accepted tokens (`WWW-Authenticate: Bearer`).'
    );
  }
  for (const [status, description] of Object.entries(route.config?.errorResponses ?? {})) {
    add(Number(status), description);
  }
  const validates = ['params', 'querystring', 'headers', 'body'].some(
    (part) => schema[part] !== undefined
  );
  if (validates) {
    add(
      400,
      'The request is invalid: `validation_failed` with every problem in `issues` (or `bad_request`).'
    );
  }
  if (route.url.includes(':')) {
    add(414, `A path parameter is longer than ${limits.maxParamLength} characters.`);
  }
  if (schema.body !== undefined) {
    const limit = route.bodyLimit ?? limits.bodyLimit;
    schema[BODY_LIMIT_EXTENSION] ??= limit;
    add(413, `The body is larger than ${limit} bytes.`);
    add(415, 'The Content-Type is not one the operation accepts.');
  }
  if (Object.keys(responses).length > 0) schema.response = responses;
  route.schema = schema;
}

type Schemas = Record<string, unknown>;

/** The component schemas the document's paths reference, directly or through other components. */
function referencedComponents(document: OpenAPIV3_1.Document): Schemas {
  const all = (document.components?.schemas ?? {}) as Schemas;
  const used: Schemas = {};
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === '$ref' && typeof child === 'string') {
          const name = child.replace('#/components/schemas/', '');
          if (child.startsWith('#/components/schemas/') && !(name in used) && name in all) {
            used[name] = all[name];
            visit(all[name]);
          }
        } else {
          visit(child);
        }
      }
    }
  };
  visit(document.paths);
  // By name: the registry's order depends on which module was loaded first.
  return Object.fromEntries(
    Object.keys(used)
      .sort()
      .map((name) => [name, used[name]])
  );
}

export interface OpenApiPluginOptions extends Record<string, unknown> {
  info: ApiInfo;
  /** The OpenAPI version of the document (default OPENAPI_VERSION). */
  openapi?: OpenApiVersion;
  /** The router's limit on path parameters (414 beyond). */
  maxParamLength: number;
}

const openApiDocumentSchema = z
  .looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) })
  .meta({ description: 'An OpenAPI document.' });

/**
 * @fastify/swagger with the zod transforms, the platform's completion of every route's schema,
 * and GET /openapi.json. Register before any route: routes added earlier are not documented.
 */
export const openApiPlugin = unencapsulated(
  'platform-openapi',
  async (app: FastifyInstance, options: OpenApiPluginOptions) => {
    const limits = {
      bodyLimit: app.initialConfig.bodyLimit ?? 1024 * 1024,
      maxParamLength: options.maxParamLength
    };
    app.addHook('onRoute', (route) => completeRouteSchema(route, limits));

    await app.register(swagger, {
      openapi: {
        // fastify-type-provider-zod renders JSON Schema 2020-12 for 3.1, the 3.0 subset for 3.0.
        openapi: options.openapi ?? OPENAPI_VERSION,
        info: options.info,
        components: {
          securitySchemes: {
            [SECURITY_SCHEME]: {
              type: 'http',
              scheme: 'bearer',
              description: "One of the service's SERVICE_API_TOKENS."
            }
          }
        }
      },
      transform: jsonSchemaTransform,
      transformObject(documentObject) {
        const document = jsonSchemaTransformObject(documentObject) as OpenAPIV3_1.Document;
        return {
          ...document,
          components: { ...document.components, schemas: referencedComponents(document) }
        } as OpenAPIV3_1.Document;
      }
    });

    let text: string | undefined;
    app.get(
      OPENAPI_PATH,
      {
        config: { public: true },
        schema: {
          operationId: 'getOpenApiDocument',
          summary: 'This OpenAPI document',
          tags: ['platform'],
          response: { 200: jsonResponse(openApiDocumentSchema, 'This OpenAPI document.') }
        }
      },
      async (_request, reply) => {
        // Serialized once, as is: a response schema would reorder its keys.
        text ??= JSON.stringify(app.swagger());
        return reply.type('application/json; charset=utf-8').send(text);
      }
    );
  }
);
