/**
 * The simulator's HTTP server: the agency paths (`/v1/checks`) and the `/__sim/` control API on
 * one fastify instance. Bodies are never logged: the request serializer keeps method, url and
 * address (a reference in a URL is the only identifier that shows), and the Authorization header
 * is redacted should anything log headers anyway.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { parseJsonBodies } from '../../../toolkit/src/json-body.ts';
import { safeLogger, type SimulatorLoggerOption } from '../../../toolkit/src/simulator-logger.ts';
import type { BackCheckContext } from './context.ts';
import type { BackCheckSimulatorControl } from './control.ts';
import { BackCheckError, handleError, sendError, validationFailed } from './errors.ts';
import { checkRoutes } from './routes/checks.ts';
import { controlRoutes } from './routes/control.ts';
import type { Check } from './store.ts';

/** JSON bodies (the control API) are small; the photo goes through its own streaming parser. */
export const JSON_BODY_LIMIT_BYTES = 64 * 1024;

/** The check's subject (name, birthdate, passport), redacted should anything log it. */
const REDACTED_PATHS = ['subject', '*.subject'];

type LoggerOption = SimulatorLoggerOption;

export interface BackCheckAppParts {
  ctx: BackCheckContext;
  control: BackCheckSimulatorControl;
  onComplete: (check: Check) => void;
  logger?: LoggerOption;
  /** When set, `/__sim/*` requires `Authorization: Bearer <driverSecret>`. */
  driverSecret?: string;
}

export async function buildBackCheckApp({
  ctx,
  control,
  onComplete,
  logger,
  driverSecret
}: BackCheckAppParts): Promise<FastifyInstance> {
  const app = Fastify({
    logger: safeLogger(logger, REDACTED_PATHS),
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 }
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new BackCheckError(404, 'not_found', `No route ${request.method} ${request.url}`)
    )
  );
  app.removeContentTypeParser('text/plain');
  parseJsonBodies(app, () => validationFailed('The request body is not valid JSON'));

  await app.register(checkRoutes, { ctx, onComplete });
  await app.register(controlRoutes, {
    control,
    ...(driverSecret !== undefined ? { driverSecret } : {})
  });
  return app;
}
