/**
 * The simulator's HTTP server: the gateway paths (OAuth, tokens, payments) behind the shared
 * hook (counts, CORS, latency, failures) and the `/__sim/` control API, on one fastify
 * instance. Bodies are never logged: the request serializer keeps method, url and address,
 * and card fields are redacted should anything log them anyway.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { parseJsonBodies } from '../../../toolkit/src/json-body.ts';
import { safeLogger, type SimulatorLoggerOption } from '../../../toolkit/src/simulator-logger.ts';
import type { SecurePayContext } from './context.ts';
import type { SecurePaySimulatorControl } from './control.ts';
import { badRequest, handleError, item, SecurePayError, sendError } from './errors.ts';
import { controlRoutes } from './routes/control.ts';
import { gatewayHook } from './routes/gateway.ts';
import { oauthRoutes } from './routes/oauth.ts';
import { paymentRoutes } from './routes/payments.ts';
import { tokenRoutes } from './routes/tokens.ts';

/** Card payloads are small; anything bigger is refused with 413 before parsing. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Card fields, redacted should anything log them (bodies and Authorization always are). */
const REDACTED_PATHS = ['cardNumber', 'cvv', '*.cardNumber', '*.cvv'];

type LoggerOption = SimulatorLoggerOption;

/** JSON.parse whose failure says nothing about the text (it may hold a card number). */
export interface SecurePayAppParts {
  ctx: SecurePayContext;
  control: SecurePaySimulatorControl;
  logger?: LoggerOption;
  /** When set, `/__sim/*` requires `Authorization: Bearer <driverSecret>`. */
  driverSecret?: string;
}

export async function buildSecurePayApp({
  ctx,
  control,
  logger,
  driverSecret
}: SecurePayAppParts): Promise<FastifyInstance> {
  const app = Fastify({
    logger: safeLogger(logger, REDACTED_PATHS),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 }
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new SecurePayError(404, item('not_found', `No route ${request.method} ${request.url}`))
    )
  );

  app.removeContentTypeParser('text/plain');
  // The body may hold a card number: the error never quotes it.
  parseJsonBodies(app, () => badRequest('invalid_json', 'The request body is not valid JSON'));
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    async (_request: FastifyRequest, body: string | Buffer) =>
      Object.fromEntries(new URLSearchParams(String(body)))
  );

  await app.register(async (gateway) => {
    gateway.addHook('onRequest', gatewayHook(ctx));
    await gateway.register(oauthRoutes, { ctx });
    await gateway.register(tokenRoutes, { ctx });
    await gateway.register(paymentRoutes, { ctx });
  });
  await app.register(controlRoutes, {
    control,
    ...(driverSecret !== undefined ? { driverSecret } : {})
  });
  return app;
}
