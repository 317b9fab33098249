// The HTTP server every service exposes: fastify 5 with the platform plugins.
//   - correlation ids: `x-correlation-id` taken from the request when well-formed, else a new
//     UUID; echoed on the response, bound to the request logger, and available to any code
//     running for the request through getCorrelationId();
//   - bearer-token authentication on every route not marked `config: { public: true }`;
//   - /healthz, /readyz (registered probes), /metrics (Prometheus);
//   - one error shape, no stack traces in responses;
//   - one log line per request (debug for probes and scrapes, info otherwise).
// Services add routes to `server.app` (usually as plugins) before `listen()`.
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import {
  isValidCorrelationId,
  markCorrelated,
  newCorrelationId,
  runWithCorrelationId
} from '../logger.ts';
import type { Logger } from '../logger.ts';
import { bearerAuthPlugin } from './auth.ts';
import { errorHandlingPlugin } from './errors.ts';
import { Readiness, healthPlugin } from './health.ts';
import { createMetricsRegistry, metricsPlugin } from './metrics.ts';

export const CORRELATION_HEADER = 'x-correlation-id';

export interface HttpServerConfig {
  host: string;
  port: number;
  apiTokens: readonly string[];
}

export interface CreateHttpServerOptions {
  config: { http: HttpServerConfig } | HttpServerConfig;
  logger: Logger;
  /** Largest accepted body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Default Node.js process metrics in /metrics (default true). */
  collectDefaultMetrics?: boolean;
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

const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export async function createHttpServer(options: CreateHttpServerOptions): Promise<HttpServer> {
  const config = 'http' in options.config ? options.config.http : options.config;
  const logger = options.logger.child({ component: 'http' });

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
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
    forceCloseConnections: 'idle'
  });

  const readiness = new Readiness(logger);
  const metrics = createMetricsRegistry(options.collectDefaultMetrics ?? true);

  app.addHook('onRequest', (request, reply, done) => {
    reply.header(CORRELATION_HEADER, request.id);
    // Everything downstream of this hook runs inside the request's correlation context.
    runWithCorrelationId(String(request.id), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    const level = route && QUIET_ROUTES.has(route) ? 'debug' : 'info';
    request.log[level](
      {
        method: request.method,
        url: request.url,
        route,
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
  let draining = false;
  app.addHook('onSend', async (_request, reply, payload) => {
    if (draining) reply.header('connection', 'close');
    return payload;
  });

  await app.register(errorHandlingPlugin);
  await app.register(bearerAuthPlugin, { tokens: config.apiTokens });
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
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      url = `http://${host}:${port}`;
      logger.info({ url }, 'HTTP server listening');
      return url;
    },
    close() {
      closed ??= (async () => {
        draining = true;
        readiness.startDraining();
        await app.close();
      })();
      return closed;
    }
  };
}
