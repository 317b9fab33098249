/**
 * BackCheck's error shape, for every failure the simulator answers:
 *
 *   { "error": "validation_failed", "message": "subject.passportNumber: must be ..." }
 *
 * Messages never echo what the client sent (a subject's name or passport number could be in it),
 * and unexpected errors are logged without the request body.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export class BackCheckError extends Error {
  override readonly name = 'BackCheckError';

  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {}
  ) {
    super(message);
  }
}

export const validationFailed = (message: string) =>
  new BackCheckError(400, 'validation_failed', message);

export function unauthorized(message: string): BackCheckError {
  return new BackCheckError(401, 'unauthorized', message, {
    'www-authenticate': 'Bearer realm="backcheck-simulator"'
  });
}

export function sendError(reply: FastifyReply, error: BackCheckError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.httpStatus)
    .type('application/json; charset=utf-8')
    .send({ error: error.code, message: error.message });
}

/** fastify's framework errors (body too large, media type, ...) by their code. */
const FRAMEWORK_ERRORS: Readonly<Record<string, [number, string, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'The request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'unsupported_media_type',
    'Send multipart/form-data to /v1/checks (application/json to the control API)'
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'validation_failed', 'The JSON body is empty'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'validation_failed', 'Content-Length does not match']
};

/** fastify's error handler: BackCheck errors as they are, client errors as 4xx, the rest 500. */
export function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply
): FastifyReply {
  if (error instanceof BackCheckError) return sendError(reply, error);
  const known = FRAMEWORK_ERRORS[error.code];
  if (known) return sendError(reply, new BackCheckError(...known));
  const status = error.statusCode;
  if (error instanceof SyntaxError || (status !== undefined && status >= 400 && status < 500)) {
    return sendError(
      reply,
      new BackCheckError(status ?? 400, 'validation_failed', 'Malformed request')
    );
  }
  // The message could quote input; the name, code and stack frames cannot.
  const frames = (error.stack ?? '').split('\n').slice(1).join('\n');
  request.log.error({ err: { type: error.name, code: error.code, frames } }, 'unexpected error');
  return sendError(
    reply,
    new BackCheckError(500, 'internal_error', 'Unexpected simulator error; see its log')
  );
}
