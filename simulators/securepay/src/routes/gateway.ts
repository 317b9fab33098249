/**
 * What every gateway path shares: the request count, CORS for the browser-facing
 * tokenization path, the configured latency and the injected failures (503, 500, or
 * 'timeout': held for timeoutHoldMs, then 504), and the bearer-token check.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SecurePayContext } from '../context.ts';
import { item, SecurePayError, unauthorized } from '../errors.ts';

export const TOKENS_PATH = '/v2/tokens';

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'content-type, x-merchant-code',
  'access-control-max-age': '600'
};

const INJECTED: Readonly<Record<500 | 503, SecurePayError>> = {
  503: new SecurePayError(
    503,
    item('service_unavailable', 'The payment gateway is unavailable (simulated failure)')
  ),
  500: new SecurePayError(
    500,
    item('internal_error', 'The payment gateway failed (simulated failure)')
  )
};

/**
 * Waits timeoutHoldMs. When the simulator closes meanwhile, the connection is dropped
 * (no answer) and this returns false; otherwise true: answer now.
 */
export async function holdAnswer(ctx: SecurePayContext, reply: FastifyReply): Promise<boolean> {
  if (!(await ctx.faults.hold())) return true;
  reply.hijack();
  reply.raw.destroy();
  return false;
}

export function gatewayHook(ctx: SecurePayContext) {
  return async (
    request: FastifyRequest,
    reply: FastifyReply
  ): Promise<FastifyReply | undefined> => {
    const path = request.url.split('?')[0] ?? '';
    if (path === TOKENS_PATH) reply.headers(CORS_HEADERS);
    if (request.method === 'OPTIONS') return undefined;
    ctx.requests.count(`${request.method} ${request.routeOptions.url ?? path}`);
    await ctx.faults.delay();
    const failure = ctx.faults.pick(request.method, path.replace(/^\/+/, ''));
    if (failure === undefined) return undefined;
    ctx.requests.injected();
    if (failure === 'timeout') {
      if (!(await holdAnswer(ctx, reply))) return reply;
      throw new SecurePayError(
        504,
        item('gateway_timeout', 'The payment gateway did not answer (simulated failure)')
      );
    }
    throw INJECTED[failure === 500 ? 500 : 503];
  };
}

/** Checks `Authorization: Bearer <access token from /oauth/token>`; throws the 401. */
export function requireBearer(ctx: SecurePayContext, request: FastifyRequest): void {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!match?.[1]) throw unauthorized('Send Authorization: Bearer <access token>');
  if (!ctx.store.accessTokenValid(match[1])) {
    throw unauthorized('The access token is unknown or has expired');
  }
}
