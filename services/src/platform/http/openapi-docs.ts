/**
 * The OpenAPI document of a service, as committed under `docs/api/<service>.openapi.json` (what
 * its /openapi.json serves when it runs alone) and in OpenAPI 3.0 as
 * `docs/api/<service>.openapi-3.0.json` (Salesforce External Services registers OpenAPI 2.0 and
 * 3.0 only). `npm run docs:api` (lab/src/api-docs.ts) writes them for every service the lab runs;
 * lab/test/api-docs.test.ts fails when a committed document differs.
 *
 * A document is built the way the platform builds the service: the platform's HTTP server
 * (createHttpServer), the service's `start(context)`, its routes registered, then the swagger
 * document of the ready server. No database, queue or Salesforce org is opened: `start` gets a
 * documentation context whose pool, queue and Salesforce clients refuse any call (defining a
 * queue is allowed: it is a declaration), and a configuration of placeholder values for the
 * required variables. A `start` that does I/O fails the generation with the name of what it used.
 */
import path from 'node:path';
import type { OpenAPI } from 'openapi-types';
import * as prettier from 'prettier';
import type { Config, Env } from '../../../../toolkit/src/env.ts';
import { projectRoot } from '../../../../toolkit/src/project.ts';
import { platformConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import type { ServiceContext, ServiceDefinition } from '../service.ts';
import { GracefulShutdown } from '../shutdown.ts';
import { OPENAPI_30_VERSION, OPENAPI_VERSION } from './openapi.ts';
import type { OpenApiVersion } from './openapi.ts';
import { createHttpServer } from './server.ts';
import type { HttpServer } from './server.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyService = ServiceDefinition<any>;

export const API_DOCS_DIR = 'docs/api';

/** The versions each service's document is committed in. */
export const API_DOC_VERSIONS: readonly OpenApiVersion[] = [OPENAPI_VERSION, OPENAPI_30_VERSION];

/** Where a service's document is committed, relative to the repository root. */
export function apiDocPath(service: string, openapi: OpenApiVersion = OPENAPI_VERSION): string {
  const suffix = openapi === OPENAPI_VERSION ? '' : `-${openapi.split('.').slice(0, 2).join('.')}`;
  return `${API_DOCS_DIR}/${service}.openapi${suffix}.json`;
}

/** Values tried, in order, for a required variable: the first its type accepts is used. */
const PLACEHOLDERS = ['https://documentation.invalid', 'documentation'];

/** The environment a configuration loads from while documenting: placeholders for what is required. */
export function documentationEnv(config: Config<unknown>): Env {
  const env: Env = {};
  for (const [name, variable] of Object.entries(config.variables)) {
    if (variable.presence !== 'required') continue;
    env[name] =
      PLACEHOLDERS.find((value) => variable.schema.safeParse(value).success) ?? PLACEHOLDERS[0];
  }
  return env;
}

/**
 * An object on which any property can be read and any call fails with `what` named; the methods
 * in `allowed` do what they are given instead.
 */
function inert<T>(what: string, allowed: Record<string, unknown> = {}): T {
  const target = () => undefined;
  return new Proxy(target, {
    get(_target, property) {
      // Not a thenable, not inspectable as anything but what it is.
      if (typeof property === 'symbol' || property === 'then') return undefined;
      if (property in allowed) return allowed[property];
      return inert(`${what}.${property}`);
    },
    apply() {
      throw new Error(
        `${what}() was called while the API documentation is generated: a service's start() must not use it (see openapi-docs.ts)`
      );
    }
  }) as unknown as T;
}

function documentationContext<C>(
  definition: ServiceDefinition<C>,
  server: HttpServer,
  logger: ReturnType<typeof createLogger>
): ServiceContext<C> {
  return {
    config: definition.config.load(documentationEnv(definition.config)),
    platform: platformConfig.load({}),
    logger,
    pool: inert('pool'),
    queue: inert('queue', { defineQueue: async () => undefined }),
    salesforce: inert('salesforce'),
    readiness: server.readiness,
    metrics: server.metrics,
    shutdown: new GracefulShutdown()
  };
}

/**
 * The OpenAPI document of a service running alone on the platform: in OPENAPI_VERSION, what its
 * /openapi.json serves.
 */
export async function serviceApiDocument(
  definition: AnyService,
  openapi: OpenApiVersion = OPENAPI_VERSION
): Promise<OpenAPI.Document> {
  const logger = createLogger({ level: 'silent', service: definition.name });
  const server = await createHttpServer({
    config: { host: '127.0.0.1', port: 0, apiTokens: [] },
    logger,
    collectDefaultMetrics: false,
    api: { openapi }
  });
  try {
    const started = await definition.start(documentationContext(definition, server, logger));
    if (started.routes) await server.app.register(started.routes);
    await server.app.ready();
    return server.app.swagger();
  } finally {
    await server.close();
  }
}

/** The document as committed: JSON formatted like every JSON file of the repository. */
export async function renderApiDocument(
  document: OpenAPI.Document,
  root = projectRoot()
): Promise<string> {
  const file = path.join(root, API_DOCS_DIR, 'document.openapi.json');
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(JSON.stringify(document, null, 2), { ...options, filepath: file });
}
