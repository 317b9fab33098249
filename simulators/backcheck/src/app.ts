/**
 * The simulator's HTTP server: the agency paths (`/v1/checks`) and the `/__sim/` control API on
 * one fastify instance. Bodies are never logged: the request serializer keeps method, url and
 * address (a reference in a URL is the only identifier that shows), and the Authorization header
 * is redacted should anything log headers anyway.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { parseJsonBodies } from '../../../toolkit/src/json-body.ts';
import type { BackCheckContext } from './context.ts';
import type { BackCheckSimulatorControl } from './control.ts';
import { BackCheckError, handleError, sendError, validationFailed } from './errors.ts';
import { checkRoutes } from './routes/checks.ts';
import { controlRoutes } from './routes/control.ts';
import type { Check } from './store.ts';

/** JSON bodies (the control API) are small; the photo goes through its own streaming parser. */
export const JSON_BODY_LIMIT_BYTES = 64 * 1024;

type LoggerOption = FastifyServerOptions['logger'];

/** The caller's logger options with the body-free request serializer and the redaction. */
export function safeLogger(logger: LoggerOption): LoggerOption {
  if (!logger) return false;
  const base = logger === true ? {} : logger;
  return {
    ...base,
    serializers: {
      ...base.serializers,
      req: (request: { method: string; url: string; ip?: string }) => ({
        method: request.method,
        url: request.url,
        remoteAddress: request.ip
      })
    },
    redact: {
      paths: ['req.body', 'req.headers.authorization', 'body', 'subject', '*.subject'],
      censor: '[redacted]'
    }
  };
}

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
    logger: safeLogger(logger),
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
