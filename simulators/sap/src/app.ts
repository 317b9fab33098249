/**
 * The simulator's HTTP server: the `API_BUSINESS_PARTNER` paths (SAP error shapes, auth, CSRF,
 * latency, failures) and the `/__sim/` control API on one fastify instance.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { parseJsonBodies } from '../../../toolkit/src/json-body.ts';
import type { SapContext } from './context.ts';
import type { SapSimulatorControl } from './control.ts';
import { badRequest, handleError, notFoundError, sendSapError } from './errors.ts';
import { controlRoutes } from './routes/control.ts';
import { serviceRoutes } from './routes/service.ts';

export interface SapAppOptions {
  logger?: FastifyServerOptions['logger'];
  /** When set, `/__sim/*` requires `Authorization: Bearer <driverSecret>`. */
  driverSecret?: string;
}

export async function buildSapApp(
  ctx: SapContext,
  control: SapSimulatorControl,
  options: SapAppOptions = {}
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 10 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 }
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => sendSapError(reply, notFoundError(request.url)));

  // Bad JSON is SAP's 400.
  parseJsonBodies(app, (message) => badRequest(`Malformed JSON body: ${message}`));

  await app.register(serviceRoutes, { ctx });
  await app.register(controlRoutes, {
    control,
    ...(options.driverSecret !== undefined ? { driverSecret: options.driverSecret } : {})
  });
  return app;
}
