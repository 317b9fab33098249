/**
 * Request logging without secrets: OAuth endpoints accept tokens, codes and secrets as query
 * parameters (`/services/oauth2/revoke?token=...`, `/authorize?...`, a GET token request), and
 * pino would log `req.url` verbatim. The serializer here logs the URL with those values replaced.
 */
import type { FastifyRequest } from 'fastify';

/** Query parameters whose values are never logged. */
export const SECRET_QUERY_PARAMETERS = [
  'token',
  'oauth_token',
  'access_token',
  'refresh_token',
  'client_secret',
  'code',
  'code_verifier',
  'assertion',
  'password',
  'state'
];

const SECRET_SET = new Set(SECRET_QUERY_PARAMETERS);

/** `url` with the values of secret query parameters replaced by `[REDACTED]`. */
export function redactUrl(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) return url;
  const query = url
    .slice(question + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const rawName = equals < 0 ? pair : pair.slice(0, equals);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' ')).toLowerCase();
      } catch {
        name = rawName.toLowerCase();
      }
      return SECRET_SET.has(name) && equals >= 0 ? `${rawName}=[REDACTED]` : pair;
    })
    .join('&');
  return `${url.slice(0, question)}?${query}`;
}

/** pino's `req` serializer for the emulator's request log (fastify's fields, URL redacted). */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  };
}

/** The CLI's logger: info level on `stream`, URLs redacted. */
export function requestLogger(stream: NodeJS.WritableStream) {
  return { level: 'info', stream, serializers: { req: serializeRequest } };
}
