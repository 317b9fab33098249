// Prometheus metrics: GET /metrics (bearer token, text exposition format) from a registry per server,
// holding the default Node.js process metrics and an HTTP request duration histogram. Services
// add their own metrics to the same registry (`server.metrics`).
// The route label is the route pattern (/orders/:id), never the raw URL: bounded cardinality and
// no identifiers or card data in metric labels.
import type { FastifyInstance } from 'fastify';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import { unencapsulated } from './plugin.ts';

export function createMetricsRegistry(collectDefaults = true): Registry {
  const registry = new Registry();
  if (collectDefaults) collectDefaultMetrics({ register: registry });
  return registry;
}

export interface MetricsPluginOptions extends Record<string, unknown> {
  registry: Registry;
}

export const metricsPlugin = unencapsulated(
  'platform-metrics',
  async (app: FastifyInstance, options: MetricsPluginOptions) => {
    const registry = options.registry;
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Duration of HTTP requests handled by the service, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry]
    });

    app.addHook('onResponse', async (request, reply) => {
      duration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode)
        },
        reply.elapsedTime / 1000
      );
    });

    // Authenticated: the counters tell payment volumes and outcomes, and a scrape costs more than
    // a probe. Prometheus sends the bearer token (`authorization: { credentials_file: ... }`).
    app.get(
      '/metrics',
      {
        schema: {
          operationId: 'getMetrics',
          summary: 'Prometheus metrics',
          tags: ['platform'],
          response: {
            200: {
              description: 'The Prometheus text exposition format (version 0.0.4).',
              content: { 'text/plain': { schema: z.string() } }
            }
          }
        }
      },
      async (_request, reply) => {
        reply.header('content-type', registry.contentType);
        return registry.metrics();
      }
    );
  }
);
