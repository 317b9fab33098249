// One error shape for every service endpoint, and an error handler that never sends a stack:
//   { "error": "<machine code>", "message": "<for humans>", "correlationId": "...", "issues"?: [...] }
// 4xx errors carry their message (they describe the caller's request); anything else becomes a
// 500 "internal_error" whose details go to the log only, under the same correlation id.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { unencapsulated } from './plugin.ts';
import { RequestValidationError } from './validation.ts';
import type { ValidationIssue } from './validation.ts';

export interface ErrorBody {
  error: string;
  message: string;
  correlationId: string;
  issues?: ValidationIssue[];
}

/** Throw from a handler to answer with a given status, code and message. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  410: 'gone',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
  503: 'service_unavailable'
};

export function errorCodeForStatus(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'request_error');
}

export function sendError(
  reply: FastifyReply,
  status: number,
  error: string,
  message: string,
  extra: Partial<ErrorBody> = {}
): FastifyReply {
  const body: ErrorBody = { error, message, correlationId: String(reply.request.id), ...extra };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof RequestValidationError) {
    return sendError(reply, 400, 'validation_failed', error.message, { issues: error.issues });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    // Fastify's own JSON-schema validation, for routes that declare `schema`.
    const issues: ValidationIssue[] = fastifyError.validation.map((v) => ({
      location: fastifyError.validationContext ?? 'body',
      path: v.instancePath.replace(/^\//, '').replace(/\//g, '.'),
      code: v.keyword,
      message: v.message ?? 'is invalid'
    }));
    return sendError(reply, 400, 'validation_failed', 'The request is invalid.', { issues });
  }
  if (error instanceof HttpError) {
    if (error.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, error.statusCode, error.code, error.message);
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return sendError(reply, status, errorCodeForStatus(status), error.message);
  }
  request.log.error({ err: error }, 'request failed');
  return sendError(reply, 500, 'internal_error', 'Internal server error.');
}

/** Error handler + 404 handler for the whole server. */
export const errorHandlingPlugin = unencapsulated(
  'platform-errors',
  async (app: FastifyInstance) => {
    app.setErrorHandler(handleError);
    app.setNotFoundHandler((request, reply) =>
      sendError(
        reply,
        404,
        'not_found',
        `Route ${request.method} ${request.url.split('?')[0]} not found.`
      )
    );
  }
);
