// The services platform: what every off-platform service process runs, and the one entry point
// scenario services import from.
//
// startPlatform(config, { services }) opens, in order: the database (DATABASE_URL, or an embedded
// PostgreSQL outside production) -> migrations -> job queue -> HTTP server (not listening yet)
// -> Salesforce clients (when a service needs them) -> each service's start(context) -> its
// routes registered -> listen -> readiness probes -> workers started. The graceful shutdown undoes
// it in reverse: drain HTTP, stop workers, stop the queue, close Salesforce clients and the pool,
// stop the embedded server.
import { Registry } from 'prom-client';
import type { PlatformConfig } from './config.ts';
import { describeConfig } from './config.ts';
import { openDatabase, pingDatabase } from './db/index.ts';
import type { Database } from './db/index.ts';
import { migrate } from './db/migrate.ts';
import { Readiness } from './http/health.ts';
import { createHttpServer } from './http/server.ts';
import type { HttpServer } from './http/server.ts';
import { createLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import { createQueue } from './queue.ts';
import type { JobMap, JobQueue } from './queue.ts';
import { createSalesforceClients } from './salesforce/index.ts';
import type { SalesforceClients } from './salesforce/index.ts';
import type { ConfiguredService, ServiceContext, ServiceWorker } from './service.ts';
import { GracefulShutdown, SHUTDOWN_ORDER } from './shutdown.ts';
import type { ShutdownStepResult } from './shutdown.ts';

export * from './config.ts';
export * from './logger.ts';
export * from './db/index.ts';
export * from './queue.ts';
export { acquireLease, advisoryLockKey, startExclusiveDuty } from './lease.ts';
export type { ExclusiveDuty, ExclusiveDutyOptions, Lease, LeaseDatabase } from './lease.ts';
export * from './shutdown.ts';
export * from './kill-switch.ts';
export * from './service.ts';
export * from './run.ts';
export * from './salesforce/index.ts';
export * from './salesforce/connected-app-clients.ts';
export * from './salesforce/pubsub-subscriber.ts';
export * from './salesforce/replay-store.ts';
export { createHttpServer, CORRELATION_HEADER } from './http/server.ts';
export type { HttpServer, CreateHttpServerOptions, HttpServerConfig } from './http/server.ts';
export { Readiness } from './http/health.ts';
export type { ReadinessProbe, ReadinessReport } from './http/health.ts';
export { HttpError, errorBodySchema, sendError } from './http/errors.ts';
export type { ErrorBody } from './http/errors.ts';
export { jsonResponse } from './http/openapi.ts';
export { RequestValidationError } from './http/validation.ts';
export type { ValidationIssue } from './http/validation.ts';
export { createTokenVerifier } from './http/auth.ts';
export type { ServicePrincipal } from './http/auth.ts';

export interface StartPlatformOptions {
  /** Name on every log line and in pg_stat_activity (default: the single service's name, else `services`). */
  name?: string;
  /** The services to run on this platform (configured: see loadProcessConfig / configure). */
  services?: readonly ConfiguredService[];
  /** A logger to use instead of creating one from the configuration. */
  logger?: Logger;
  /** Migrations folder (default services/src/platform/db/migrations). */
  migrationsDir?: string;
  /** Start the job queue (default: when a service needs it). */
  queue?: boolean;
  /** Start the HTTP server (default true). */
  http?: boolean;
  /** Salesforce clients to hand to services instead of creating them from the configuration (tests). */
  salesforce?: SalesforceClients;
  /** Readiness probe interval (default 5 s; tests: shorter). */
  readinessIntervalMs?: number;
  /** Run the shutdown on SIGINT/SIGTERM and exit afterwards (entry points: true; default false). */
  handleSignals?: boolean;
}

export interface Platform<J extends JobMap = JobMap> {
  config: PlatformConfig;
  logger: Logger;
  database: Database;
  queue: JobQueue<J> | undefined;
  http: HttpServer | undefined;
  /** Created when a service needs them (or given in the options). */
  salesforce: SalesforceClients | undefined;
  /** Base URL of the HTTP server, when started. */
  url: string | undefined;
  shutdown: GracefulShutdown;
  /** Runs the graceful shutdown (idempotent). */
  stop(): Promise<ShutdownStepResult[]>;
}

export async function startPlatform<J extends JobMap = JobMap>(
  config: PlatformConfig,
  options: StartPlatformOptions = {}
): Promise<Platform<J>> {
  const services = options.services ?? [];
  const name = options.name ?? (services.length === 1 ? services[0]!.definition.name : 'services');
  const logger =
    options.logger ??
    createLogger({ level: config.logLevel, service: name, format: config.logFormat });
  const shutdown = new GracefulShutdown({
    logger: logger.child({ component: 'shutdown' }),
    stepTimeoutMs: config.shutdown.stepTimeoutMs
  });
  logger.info({ config: describeConfig(config) }, 'starting');
  const needs = (need: 'queue' | 'salesforce') =>
    services.some((service) => service.definition.needs?.[need] === true);

  try {
    const database = await openDatabase(config, logger, name);
    // Registered first, run last: nothing may use the database after these.
    shutdown.add('close database pool', () => database.pool.end(), { order: SHUTDOWN_ORDER.pool });
    if (database.embedded) {
      const embedded = database.embedded;
      shutdown.add('stop embedded PostgreSQL', () => embedded.stop(config.shutdown.stepTimeoutMs), {
        order: SHUTDOWN_ORDER.database
      });
    }

    await migrate(database.pool, {
      logger: logger.child({ component: 'migrate' }),
      ...(options.migrationsDir ? { dir: options.migrationsDir } : {})
    });

    let queue: JobQueue<J> | undefined;
    if (options.queue ?? needs('queue')) {
      const started = await createQueue<J>({
        pool: database.pool,
        schema: config.queue.schema,
        logger: logger.child({ component: 'queue' })
      });
      queue = started;
      shutdown.add(
        'stop queue workers',
        () => started.stop({ timeoutMs: config.shutdown.stepTimeoutMs }),
        { order: SHUTDOWN_ORDER.queue }
      );
    }

    let http: HttpServer | undefined;
    if (options.http !== false) {
      const server = await createHttpServer({
        config,
        logger,
        ...(options.readinessIntervalMs ? { readinessIntervalMs: options.readinessIntervalMs } : {})
      });
      http = server;
      server.readiness.add('database', () => pingDatabase(database.pool));
      shutdown.add('drain HTTP server', () => server.close(), { order: SHUTDOWN_ORDER.http });
    }

    let salesforce = options.salesforce;
    if (!salesforce && needs('salesforce')) {
      const clients = createSalesforceClients({
        config: config.salesforce,
        logger: logger.child({ component: 'salesforce' }),
        // API calls per operation on /metrics (salesforce_api_calls_total).
        ...(http ? { registry: http.metrics } : {})
      });
      salesforce = clients;
      shutdown.add('close Salesforce clients', async () => clients.close(), {
        order: SHUTDOWN_ORDER.clients
      });
      // Ready means a token can be had: the cached one, or a new one from the token endpoint.
      // Token requests are not API calls, so the probe spends none of the org's allowance.
      http?.readiness.add('salesforce', async () => {
        await clients.tokenProvider.getToken();
      });
    }

    const workers: Array<{ service: string; worker: ServiceWorker }> = [];
    for (const service of services) {
      const context = serviceContext(service, {
        config,
        logger,
        database,
        queue,
        http,
        salesforce,
        shutdown
      });
      const started = await service.definition.start(context);
      if (started.routes) {
        if (!http) throw new Error(`${service.definition.name} has routes but HTTP is off`);
        await http.app.register(started.routes);
      }
      for (const worker of started.workers ?? [])
        workers.push({ service: service.definition.name, worker });
    }

    for (const { service, worker } of workers) {
      const label = `${service}: ${worker.name}`;
      shutdown.add(`stop ${label}`, () => worker.stop(), { order: SHUTDOWN_ORDER.workers });
      const health = worker.health?.bind(worker);
      if (health) {
        http?.readiness.add(label, () => {
          const report = health();
          if (!report.ok) throw new Error(report.reason ?? `${label} is not healthy`);
        });
      }
    }

    const url = http ? await http.listen() : undefined;
    for (const { worker } of workers) await worker.start?.();

    if (options.handleSignals) shutdown.install();
    logger.info(
      { url, database: database.mode, services: services.map((s) => s.definition.name) },
      'platform started'
    );

    return {
      config,
      logger,
      database,
      queue,
      http,
      salesforce,
      url,
      shutdown,
      stop: () => shutdown.run('stop() called')
    };
  } catch (error) {
    // Undo what did start (pool, embedded server, queue, workers) so a failed start leaves nothing.
    await shutdown.run('start failed').catch(() => undefined);
    throw error;
  }
}

function serviceContext<C>(
  service: ConfiguredService<C>,
  opened: {
    config: PlatformConfig;
    logger: Logger;
    database: Database;
    queue: JobQueue<JobMap> | undefined;
    http: HttpServer | undefined;
    salesforce: SalesforceClients | undefined;
    shutdown: GracefulShutdown;
  }
): ServiceContext<C> {
  const name = service.definition.name;
  const missing = (what: string, need: string): never => {
    throw new Error(`${name} uses ${what} but does not declare needs.${need}`);
  };
  const http = opened.http;
  return {
    config: service.config,
    platform: opened.config,
    logger: opened.logger.child({ component: name }),
    pool: opened.database.pool,
    get queue() {
      return opened.queue ?? missing('the job queue', 'queue');
    },
    get salesforce() {
      return opened.salesforce ?? missing('the Salesforce clients', 'salesforce');
    },
    // Without HTTP (a worker-only test process) probes and metrics go nowhere.
    readiness: http?.readiness ?? new Readiness(),
    metrics: http?.metrics ?? new Registry(),
    shutdown: opened.shutdown
  };
}
