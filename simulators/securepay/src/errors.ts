/**
 * SecurePay's error shape, used for every failure the simulator answers (gateway paths):
 *
 *   { "errors": [ { "code": "invalid_card_number", "detail": "...", "source": { "pointer": "/cardNumber" } } ] }
 *
 * Details never echo what the client sent (a card number or CVV could be in it), and
 * unexpected errors are logged without the request body.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

export interface ErrorItem {
  code: string;
  detail: string;
  source?: { pointer: string };
}

export class SecurePayError extends Error {
  override readonly name = 'SecurePayError';
  readonly errors: ErrorItem[];

  constructor(
    readonly httpStatus: number,
    errors: ErrorItem | ErrorItem[],
    readonly headers: Record<string, string> = {}
  ) {
    const list = Array.isArray(errors) ? errors : [errors];
    super(list[0]?.detail ?? 'Request failed');
    this.errors = list;
  }
}

export function item(code: string, detail: string, field?: string): ErrorItem {
  return { code, detail, ...(field !== undefined ? { source: { pointer: `/${field}` } } : {}) };
}

export function badRequest(code: string, detail: string, field?: string): SecurePayError {
  return new SecurePayError(400, item(code, detail, field));
}

export function unauthorized(detail: string, scheme = 'Bearer'): SecurePayError {
  return new SecurePayError(401, item('unauthorized', detail), {
    'www-authenticate': `${scheme} realm="securepay-simulator"`
  });
}

/**
 * A 400 for a failed zod parse: one item a problem, its code chosen by the field it concerns
 * (`codes`, falling back to `fallback`), its detail from the schema's own message (zod's
 * messages describe the expectation, never the value received).
 */
export function fromZod(
  error: z.ZodError,
  codes: Readonly<Record<string, string>>,
  fallback = 'invalid_request'
): SecurePayError {
  const items = error.issues.map((issue) => {
    const field = issue.path.map(String).join('/');
    const top = String(issue.path[0] ?? '');
    return item(
      codes[top] ?? fallback,
      field ? `${field}: ${issue.message}` : issue.message,
      field || undefined
    );
  });
  return new SecurePayError(400, items);
}

export function sendError(reply: FastifyReply, error: SecurePayError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.httpStatus)
    .type('application/json; charset=utf-8')
    .send({ errors: error.errors });
}

/** fastify's framework errors (body too large, media type, ...) by their code. */
const FRAMEWORK_ERRORS: Readonly<Record<string, [number, string, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'The request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'unsupported_media_type',
    'Send application/json (or application/x-www-form-urlencoded to /oauth/token)'
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'The JSON body is empty'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_request', 'Content-Length does not match']
};

/** fastify's error handler: SecurePay errors as they are, client errors as 4xx, the rest 500. */
export function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply
): FastifyReply {
  if (error instanceof SecurePayError) return sendError(reply, error);
  const known = FRAMEWORK_ERRORS[error.code];
  if (known) return sendError(reply, new SecurePayError(known[0], item(known[1], known[2])));
  const status = error.statusCode;
  if (error instanceof SyntaxError || (status !== undefined && status >= 400 && status < 500)) {
    return sendError(
      reply,
      new SecurePayError(status ?? 400, item('invalid_request', 'Malformed request'))
    );
  }
  // The message could quote input; the name, code and stack frames cannot.
  const frames = (error.stack ?? '').split('\n').slice(1).join('\n');
  request.log.error({ err: { type: error.name, code: error.code, frames } }, 'unexpected error');
  return sendError(
    reply,
    new SecurePayError(500, item('internal_error', 'Unexpected simulator error; see its log'))
  );
}
