// The HTTP server every service exposes: fastify 5 with the platform plugins.
//   - correlation ids: `x-correlation-id` taken from the request when it is a UUID, else a new
//     UUID; echoed on the response, bound to the request logger, and available to any code
//     running for the request through getCorrelationId();
//   - bearer-token authentication on every route not marked `config: { public: true }`;
//   - /healthz, /readyz (registered probes), /metrics (Prometheus);
//   - zod schemas on routes: validation, response serialization and the OpenAPI 3.1 document at
//     /openapi.json (openapi.ts);
//   - one error shape, no stack traces in responses;
//   - one log line per request (debug for probes and scrapes, info otherwise): method, route
//     template, validated path parameters, status, duration; never the raw path.
// Services add routes to `server.app` (usually as plugins) before `listen()`.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import Fastify, { LogController } from 'fastify';
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest
} from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { projectRoot } from '../../../../toolkit/src/project.ts';
import { listeningUrl } from '../../../../toolkit/src/listening-url.ts';
import {
  isValidCorrelationId,
  markCorrelated,
  newCorrelationId,
  runWithCorrelationId
} from '../logger.ts';
import type { Logger } from '../logger.ts';
import { bearerAuthPlugin } from './auth.ts';
import { errorCodeForStatus, errorHandlingPlugin, sendError } from './errors.ts';
import { Readiness, healthPlugin } from './health.ts';
import { createMetricsRegistry, metricsPlugin } from './metrics.ts';
import { API_DESCRIPTION, openApiPlugin } from './openapi.ts';
import type { ApiInfo, OpenApiVersion } from './openapi.ts';

export const CORRELATION_HEADER = 'x-correlation-id';

export interface HttpServerConfig {
  host: string;
  port: number;
  apiTokens: readonly string[];
  /** Time a client has to send a whole request (default 30 s). */
  requestTimeoutMs?: number;
  /** Open connections accepted at once (default 1000). */
  maxConnections?: number;
  /** Open connections accepted at once from one address (default 100). */
  maxConnectionsPerClient?: number;
}

export interface CreateHttpServerOptions {
  config: { http: HttpServerConfig } | HttpServerConfig;
  logger: Logger;
  /** Largest accepted body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * `info` of the OpenAPI document at /openapi.json. Default: the title is the logger's `service`
   * (the platform's name), the version the repository's package.json version.
   */
  api?: Partial<ApiInfo> & {
    /** The OpenAPI version of /openapi.json (default 3.1.0; 3.0.3 for docs/api's 3.0 files). */
    openapi?: OpenApiVersion;
  };
  /** Default Node.js process metrics in /metrics (default true). */
  collectDefaultMetrics?: boolean;
  /** How often readiness probes run (default 5 s). */
  readinessIntervalMs?: number;
  /**
   * How long close() waits for in-flight requests before cutting the remaining connections
   * (default 5 s): a client trickling a body must not hold the shutdown.
   */
  drainTimeoutMs?: number;
}

export interface HttpServer {
  app: FastifyInstance;
  readiness: Readiness;
  metrics: Registry;
  /** Starts listening; resolves to the base URL (http://host:port). */
  listen(): Promise<string>;
  /** Base URL once listening. */
  readonly url: string | undefined;
  /** Stops accepting connections and waits for in-flight requests (fastify close). */
  close(): Promise<void>;
}

const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);

/** Path parameters longer than this answer 414 (fastify's router default). */
const MAX_PARAM_LENGTH = 100;

let packageVersion: string | undefined;
function projectVersion(): string {
  packageVersion ??= (
    JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  return packageVersion;
}

/** The OpenAPI `info`: the platform's name (the logger's `service`) unless given. */
function apiInfo(logger: Logger, given: Partial<ApiInfo> = {}): ApiInfo {
  const service = (logger.bindings() as { service?: unknown }).service;
  return {
    title: given.title ?? (typeof service === 'string' ? service : 'services'),
    version: given.version ?? projectVersion(),
    description: given.description ?? API_DESCRIPTION
  };
}

/**
 * Errors fastify meets while routing, before any hook runs: a URL whose percent-encoding is
 * broken, a path parameter over the length limit. Fastify's own answers quote the URL (which may
 * hold anything the caller pasted) and lack the correlation id.
 */
function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  reply.header(CORRELATION_HEADER, request.id);
  if (error.code === 'FST_ERR_BAD_URL') {
    return sendError(reply, 400, 'bad_request', 'The URL is malformed (invalid percent-encoding).');
  }
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return sendError(
      reply,
      414,
      'uri_too_long',
      `A path parameter is longer than ${MAX_PARAM_LENGTH} characters.`
    );
  }
  request.log.error({ err: error }, 'request failed');
  return sendError(reply, 500, 'internal_error', 'Internal server error.');
}

/**
 * Requests Node refuses before fastify sees them (too slow, headers over the size limit, not
 * HTTP): the same answers as fastify's default handler (408, 431, 400, then the connection
 * closes), with the platform's error body and a correlation id.
 */
function clientErrorHandler(logger: Logger) {
  return (error: Error & { code?: string }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, message] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request did not arrive in time.']
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, `The request line and headers exceed ${http.maxHeaderSize} bytes.`]
          : [400, 'The request is not valid HTTP.'];
    const correlationId = newCorrelationId();
    const body = JSON.stringify({ error: errorCodeForStatus(status), message, correlationId });
    // The code and message only: Node's error carries the raw bytes received (`rawPacket`: the
    // request line with its query string, the Authorization header), which no scrubber reads.
    logger.debug(
      { failure: error.code, reason: error.message, correlationId, statusCode: status },
      'client error'
    );
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          `${CORRELATION_HEADER}: ${correlationId}\r\nConnection: close\r\n\r\n${body}`
      );
    }
    socket.destroy(error);
  };
}

/** What the request line logs for a request no route matched: never its path. */
export const UNMATCHED_ROUTE = 'unmatched route';

// Requests whose route declares a params schema and whose params passed it: the preHandler hook
// runs only after validation succeeded. Only these have their path parameters logged.
const validatedParams = new WeakSet<FastifyRequest>();

/**
 * Where a request went, as it may be logged: the route template (`/payments/:key`) and, when the
 * route's schema validated them, its path parameters. Never the raw path: it is whatever the
 * caller typed, sent before authentication, and a card number can be written in more forms
 * (separators, encodings, digits of other scripts) than any scrubber knows. An unmatched route,
 * or params that failed validation, log no path at all.
 */
function loggedRoute(request: FastifyRequest): { route: string; params?: unknown } {
  const route = request.routeOptions.url;
  if (!route) return { route: UNMATCHED_ROUTE };
  return validatedParams.has(request) ? { route, params: request.params } : { route };
}

/** Destroys a new connection when its address already holds `max` open ones. */
function limitConnectionsPerClient(server: import('node:http').Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

export async function createHttpServer(options: CreateHttpServerOptions): Promise<HttpServer> {
  const config = 'http' in options.config ? options.config.http : options.config;
  const logger = options.logger.child({ component: 'http' });

  const requestTimeoutMs = config.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Hostile or broken clients: a request (headers and body) must arrive within
    // requestTimeoutMs (Node answers 408 and closes), headers within 10 s, and a socket idle that
    // long is closed. Node checks these every connectionsCheckingInterval (30 s by default, which
    // would let a slow client keep its socket twice as long as configured).
    requestTimeout: requestTimeoutMs,
    connectionTimeout: requestTimeoutMs,
    keepAliveTimeout: 10_000,
    http: {
      headersTimeout: Math.min(10_000, requestTimeoutMs),
      connectionsCheckingInterval: Math.min(1000, requestTimeoutMs)
    },
    genReqId: (raw) => {
      const supplied = raw.headers[CORRELATION_HEADER];
      return isValidCorrelationId(supplied) ? supplied : newCorrelationId();
    },
    // Request loggers carry `correlationId`; fastify's own per-request lines are replaced by the
    // single onResponse line below.
    logController: new LogController({
      requestIdLogLabel: 'correlationId',
      disableRequestLogging: true
    }),
    // Tell the logger's mixin not to add correlationId again on request loggers.
    childLoggerFactory: (parent, bindings, childOptions) =>
      markCorrelated(parent.child(bindings, childOptions)),
    // Drop idle keep-alive connections on close, so draining waits only for real requests.
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkError,
    clientErrorHandler: clientErrorHandler(logger)
  });
  // Route schemas are zod schemas: parsed requests (typed with ZodTypeProvider), and answers
  // encoded by their response schema (fields not in it are not sent).
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const readiness = new Readiness({
    logger,
    ...(options.readinessIntervalMs ? { intervalMs: options.readinessIntervalMs } : {})
  });
  const metrics = createMetricsRegistry(options.collectDefaultMetrics ?? true);

  app.addHook('onRequest', (request, reply, done) => {
    reply.header(CORRELATION_HEADER, request.id);
    // Everything downstream of this hook runs inside the request's correlation context.
    runWithCorrelationId(String(request.id), done);
  });
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.routeOptions.schema?.params) validatedParams.add(request);
    done();
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    const level = route && QUIET_ROUTES.has(route) ? 'debug' : 'info';
    request.log[level](
      {
        method: request.method,
        ...loggedRoute(request),
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        tokenId: request.principal?.tokenId
      },
      'request completed'
    );
  });

  // Draining: Node's server.close() only reaps connections idle at that moment; a keep-alive
  // connection whose request is still in flight would otherwise stay open until its keep-alive
  // timeout and hold the shutdown. Responses sent while draining close their connection.
  // An error answered before the body arrived (401 without a token, 413, 415): Node would keep
  // reading the rest of the body to reuse the connection, so a client announcing a large body and
  // trickling it holds a socket for as long as it likes. Closing the connection ends that.
  let draining = false;
  app.addHook('onSend', async (request, reply, payload) => {
    if (draining || (reply.statusCode >= 400 && !request.raw.complete))
      reply.header('connection', 'close');
    return payload;
  });

  await app.register(errorHandlingPlugin);
  await app.register(bearerAuthPlugin, { tokens: config.apiTokens });
  // Before any route: it documents the routes added after it.
  await app.register(openApiPlugin, {
    info: apiInfo(options.logger, options.api),
    ...(options.api?.openapi ? { openapi: options.api.openapi } : {}),
    maxParamLength: MAX_PARAM_LENGTH
  });
  await app.register(metricsPlugin, { registry: metrics });
  await app.register(healthPlugin, { readiness });

  let url: string | undefined;
  let closed: Promise<void> | undefined;
  return {
    app,
    readiness,
    metrics,
    get url() {
      return url;
    },
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      // More connections than this are refused at accept: idle sockets cannot exhaust the
      // process's file descriptors. The cap per address keeps one client from taking all of them
      // and starving every other caller, health probes included (behind a proxy every client
      // shares the proxy's address: raise the per-client cap there, and let the proxy limit
      // clients).
      app.server.maxConnections = config.maxConnections ?? 1000;
      limitConnectionsPerClient(app.server, config.maxConnectionsPerClient ?? 100);
      await readiness.start();
      url = listeningUrl(app.server, config.host);
      logger.info({ url }, 'HTTP server listening');
      return url;
    },
    close() {
      closed ??= (async () => {
        draining = true;
        readiness.startDraining();
        const drainTimeoutMs = options.drainTimeoutMs ?? 5000;
        const timer = setTimeout(() => {
          logger.warn(
            { drainTimeoutMs },
            'requests still in flight after the drain time: closing their connections'
          );
          app.server.closeAllConnections();
        }, drainTimeoutMs);
        timer.unref();
        try {
          await app.close();
        } finally {
          clearTimeout(timer);
        }
      })();
      return closed;
    }
  };
}
