// startPlatform(config): what every off-platform service process runs first.
//   database (DATABASE_URL, or embedded PostgreSQL) -> migrations -> job queue -> HTTP server,
// with a graceful shutdown that undoes it in reverse: drain HTTP, stop workers, service steps,
// close the pool, stop the embedded server.
import type { FastifyInstance } from 'fastify';
import type { PlatformConfig } from './config.ts';
import { describeConfig } from './config.ts';
import { openDatabase, pingDatabase } from './db/index.ts';
import type { Database } from './db/index.ts';
import { migrate } from './db/migrate.ts';
import { createHttpServer } from './http/server.ts';
import type { HttpServer } from './http/server.ts';
import { createLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import { createQueue } from './queue.ts';
import type { JobMap, JobQueue } from './queue.ts';
import { GracefulShutdown, SHUTDOWN_ORDER } from './shutdown.ts';
import type { ShutdownStepResult } from './shutdown.ts';

export * from './config.ts';
export * from './logger.ts';
export * from './db/index.ts';
export * from './queue.ts';
export * from './lease.ts';
export * from './shutdown.ts';
export { createHttpServer, CORRELATION_HEADER } from './http/server.ts';
export type { HttpServer, CreateHttpServerOptions, HttpServerConfig } from './http/server.ts';
export { Readiness } from './http/health.ts';
export type { ReadinessProbe, ReadinessReport } from './http/health.ts';
export { HttpError, sendError } from './http/errors.ts';
export type { ErrorBody } from './http/errors.ts';
export { RequestValidationError, validateRequest, parseRequestPart } from './http/validation.ts';
export type { ValidationIssue, RequestSchemas } from './http/validation.ts';
export type { ServicePrincipal } from './http/auth.ts';

export interface StartPlatformOptions {
  /** Name on every log line and in pg_stat_activity (default `services`). */
  service?: string;
  /** A logger to use instead of creating one from the configuration. */
  logger?: Logger;
  /** Migrations folder (default services/src/platform/db/migrations). */
  migrationsDir?: string;
  /** Start the job queue (default true). */
  queue?: boolean;
  /** Start the HTTP server (default true). */
  http?: boolean;
  /** Registers the service's routes before the server listens. */
  routes?: (app: FastifyInstance) => Promise<void> | void;
  /** Run the shutdown on SIGINT/SIGTERM and exit afterwards (entry points: true; default false). */
  handleSignals?: boolean;
}

export interface Platform<J extends JobMap = JobMap> {
  config: PlatformConfig;
  logger: Logger;
  database: Database;
  queue: JobQueue<J> | undefined;
  http: HttpServer | undefined;
  /** Base URL of the HTTP server, when started. */
  url: string | undefined;
  /** Add service steps here (order SHUTDOWN_ORDER.services runs after the queue, before the pool). */
  shutdown: GracefulShutdown;
  /** Runs the graceful shutdown (idempotent). */
  stop(): Promise<ShutdownStepResult[]>;
}

export async function startPlatform<J extends JobMap = JobMap>(
  config: PlatformConfig,
  options: StartPlatformOptions = {}
): Promise<Platform<J>> {
  const service = options.service ?? 'services';
  const logger = options.logger ?? createLogger({ level: config.logLevel, service });
  const shutdown = new GracefulShutdown({
    logger: logger.child({ component: 'shutdown' }),
    stepTimeoutMs: config.shutdown.stepTimeoutMs
  });
  logger.info({ config: describeConfig(config) }, 'starting');

  try {
    const database = await openDatabase(config, logger, service);
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
    if (options.queue !== false) {
      const started = await createQueue<J>({
        pool: database.pool,
        schema: config.queue.schema,
        logger: logger.child({ component: 'queue' })
      });
      queue = started;
      shutdown.add(
        'stop queue workers',
        () => started.stop({ timeoutMs: config.shutdown.stepTimeoutMs }),
        {
          order: SHUTDOWN_ORDER.queue
        }
      );
    }

    let http: HttpServer | undefined;
    let url: string | undefined;
    if (options.http !== false) {
      const server = await createHttpServer({ config, logger });
      http = server;
      server.readiness.add('database', () => pingDatabase(database.pool));
      shutdown.add('drain HTTP server', () => server.close(), { order: SHUTDOWN_ORDER.http });
      if (options.routes) await options.routes(server.app);
      url = await server.listen();
    }

    if (options.handleSignals) shutdown.install();
    logger.info({ url, database: database.mode }, 'platform started');

    return {
      config,
      logger,
      database,
      queue,
      http,
      url,
      shutdown,
      stop: () => shutdown.run('stop() called')
    };
  } catch (error) {
    // Undo what did start (pool, embedded server, queue) so a failed start leaves nothing behind.
    await shutdown.run('start failed').catch(() => undefined);
    throw error;
  }
}
