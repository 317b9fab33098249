// Bearer-token authentication for service endpoints (callers: Salesforce Named Credentials,
// other services, operators). Every route requires a token unless it opts out explicitly with
// `config: { public: true }` (health, readiness, metrics, HMAC-signed webhooks that check their
// own signature).
//
// Tokens come from SERVICE_API_TOKENS; several may be valid at once so they can be rotated.
// Comparison is constant-time: both sides are hashed to equal-length SHA-256 digests, compared
// with timingSafeEqual, and every configured token is compared (no early exit).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.ts';
import { unencapsulated } from './plugin.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** true: no bearer token required for this route. */
    public?: boolean;
  }
  interface FastifyRequest {
    /** Set for authenticated requests. */
    principal?: ServicePrincipal;
  }
}

export interface ServicePrincipal {
  kind: 'service-token';
  /**
   * `token-<n>`: the token's position in SERVICE_API_TOKENS (1-based). Tells callers apart in
   * logs (which caller still uses the token being rotated out) and is derived from nothing
   * secret: a hash of the token, even a short one, would let anyone reading the logs confirm a
   * guessed token offline.
   */
  tokenId: string;
}

export interface BearerAuthOptions extends Record<string, unknown> {
  tokens: readonly string[];
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

const BEARER = /^Bearer[ ]+([^\s]+)[ ]*$/i;

export function createTokenVerifier(
  tokens: readonly string[]
): (candidate: string) => ServicePrincipal | undefined {
  const digests = tokens.map((token) => sha256(token));
  return (candidate) => {
    const digest = sha256(candidate);
    let match = -1;
    digests.forEach((known, index) => {
      if (timingSafeEqual(digest, known) && match < 0) match = index;
    });
    return match >= 0 ? { kind: 'service-token', tokenId: `token-${match + 1}` } : undefined;
  };
}

function reject(reply: FastifyReply, message: string, invalidToken: boolean): FastifyReply {
  reply.header(
    'www-authenticate',
    invalidToken ? 'Bearer realm="services", error="invalid_token"' : 'Bearer realm="services"'
  );
  return sendError(reply, 401, 'unauthorized', message);
}

export const bearerAuthPlugin = unencapsulated(
  'platform-bearer-auth',
  async (app: FastifyInstance, options: BearerAuthOptions) => {
    const verify = createTokenVerifier(options.tokens);
    const configured = options.tokens.length > 0;

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.routeOptions.config?.public === true) return;
      const header = request.headers.authorization;
      if (!header) {
        return reject(reply, 'Missing bearer token: send "Authorization: Bearer <token>".', false);
      }
      const token = BEARER.exec(header)?.[1];
      if (!token)
        return reject(reply, 'The Authorization header must use the Bearer scheme.', false);
      if (!configured) {
        return reject(
          reply,
          'This service accepts no token yet: its SERVICE_API_TOKENS is not set.',
          true
        );
      }
      const principal = verify(token);
      if (!principal) return reject(reply, 'Invalid bearer token.', true);
      request.principal = principal;
    });
  }
);
