/**
 * `POST /oauth/token`: OAuth 2.0 client credentials, as SecurePay's authorization server
 * takes them: form-encoded `grant_type=client_credentials` (optional `scope`), the client id
 * and secret by HTTP Basic auth or as `client_id`/`client_secret` form fields. Answers
 * `{ access_token, token_type: 'Bearer', expires_in: 3600, scope }`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteOptions } from '../context.ts';
import { fromZod, SecurePayError, item } from '../errors.ts';
import { ACCESS_TOKEN_LIFETIME_S } from '../store.ts';

export const DEFAULT_SCOPE =
  'https://api.payments.auspost.com.au/payhive/payments/read ' +
  'https://api.payments.auspost.com.au/payhive/payments/write';

const tokenRequest = z.object({
  grant_type: z.literal('client_credentials', { error: "must be 'client_credentials'" }),
  client_id: z.string().max(256).optional(),
  client_secret: z.string().max(256).optional(),
  scope: z.string().max(1024).optional()
});
type TokenRequest = z.infer<typeof tokenRequest>;

/** Constant-time comparison of two strings of any length (their SHA-256 digests). */
function matches(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The client id and secret from `Authorization: Basic`, else from the form. */
function credentialsOf(request: FastifyRequest, form: TokenRequest): [string, string] {
  const [scheme, encoded] = (request.headers.authorization ?? '').trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'basic' && encoded) {
    const [id = '', ...secret] = Buffer.from(encoded, 'base64').toString('utf8').split(':');
    return [id, secret.join(':')];
  }
  return [form.client_id ?? '', form.client_secret ?? ''];
}

export async function oauthRoutes(app: FastifyInstance, { ctx }: RouteOptions): Promise<void> {
  app.post('/oauth/token', async (request) => {
    const parsed = tokenRequest.safeParse(request.body ?? {});
    if (!parsed.success) {
      throw fromZod(parsed.error, { grant_type: 'unsupported_grant_type' });
    }
    const [clientId, clientSecret] = credentialsOf(request, parsed.data);
    if (!matches(clientId, ctx.clientId) || !matches(clientSecret, ctx.clientSecret)) {
      throw new SecurePayError(
        401,
        item('invalid_client', 'Unknown client id or wrong client secret'),
        { 'www-authenticate': 'Basic realm="securepay-simulator"' }
      );
    }
    return {
      access_token: ctx.store.issueAccessToken(),
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_LIFETIME_S,
      scope: parsed.data.scope ?? DEFAULT_SCOPE
    };
  });
}
