// The service contract: what a scenario service is to the platform.
//
// A service is one module exporting a ServiceDefinition: its name, its configuration (toolkit
// env style), what it needs opened (the job queue, the Salesforce clients) and `start(context)`.
// The platform opens everything first (configuration, logger, database + migrations, queue,
// readiness, metrics, shutdown, Salesforce clients), then calls `start` with it; the service
// returns its routes (a fastify plugin, registered before the server listens) and its workers
// (started once it listens, stopped on shutdown after HTTP has drained). Nothing is wired lazily,
// so no request can arrive before the service is complete.
//
//   export const exampleService = defineService({
//     name: 'example',
//     config: exampleConfig,
//     needs: { salesforce: true },
//     start({ config, pool, salesforce }) {
//       return { routes: async (app) => app.get('/example', async () => ({ ok: true })) };
//     }
//   });
//
// Its `main.ts` is `await runService(exampleService)`; the lab lists it with the others.
import type { FastifyPluginAsync } from 'fastify';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { Config, Env } from '../../../toolkit/src/env.ts';
import type { PlatformConfig } from './config.ts';
import type { Readiness } from './http/health.ts';
import type { Logger } from './logger.ts';
import type { JobMap, JobQueue } from './queue.ts';
import type { SalesforceClients } from './salesforce/index.ts';
import type { GracefulShutdown } from './shutdown.ts';

export interface ServiceNeeds {
  /** The pg-boss job queue (`context.queue`). */
  queue?: boolean;
  /** Salesforce clients logged in as the integration user (`context.salesforce`). */
  salesforce?: boolean;
}

export interface ServiceContext<C> {
  /** The service's own configuration. */
  config: C;
  /** The platform's (HTTP, database, Salesforce connection settings). */
  platform: PlatformConfig;
  /** Bound to `component: <service name>`. */
  logger: Logger;
  pool: pg.Pool;
  /** Only with `needs.queue`; reading it otherwise throws. */
  queue: JobQueue<JobMap>;
  /** Only with `needs.salesforce`; reading it otherwise throws. */
  salesforce: SalesforceClients;
  /** Add probes for what the service depends on (a SAP ping); workers' health is added for you. */
  readiness: Readiness;
  /** The /metrics registry. */
  metrics: Registry;
  /** For steps a service must run at a particular point of the shutdown. */
  shutdown: GracefulShutdown;
}

export interface WorkerHealth {
  ok: boolean;
  reason?: string;
}

/** Background work of a service: a subscription, a batch loop, a drain of pending writes. */
export interface ServiceWorker {
  name: string;
  /** Called once the server listens. */
  start?(): void | Promise<void>;
  /** Called on shutdown after HTTP has drained, before the queue and the pool stop. */
  stop(): Promise<void>;
  /** Part of /readyz when given. */
  health?(): WorkerHealth;
}

export interface StartedService {
  routes?: FastifyPluginAsync;
  workers?: ServiceWorker[];
}

export interface ServiceDefinition<C> {
  name: string;
  config: Config<C>;
  needs?: ServiceNeeds;
  start(context: ServiceContext<C>): StartedService | Promise<StartedService>;
}

/** A definition with its configuration loaded, ready for startPlatform. */
export interface ConfiguredService<C = unknown> {
  definition: ServiceDefinition<C>;
  config: C;
}

export function defineService<C>(definition: ServiceDefinition<C>): ServiceDefinition<C> {
  return definition;
}

/** Loads the service's configuration from `env` (throws ConfigError). */
export function configure<C>(definition: ServiceDefinition<C>, env: Env): ConfiguredService<C> {
  return { definition, config: definition.config.load(env) };
}
