/**
 * Turns every failure into the answer Salesforce gives, so clients' error paths see the real
 * shapes: the REST error array `[{"message","errorCode","fields"}]` with the real status codes.
 * Nothing thrown in a handler reaches the process: unexpected errors become a logged
 * 500 UNKNOWN_EXCEPTION.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SalesforceApiError } from '../model.ts';
import { notFound } from './versions.ts';

/** A JSON body the API cannot read: Salesforce answers 400 JSON_PARSER_ERROR. */
export function jsonParserError(message: string): SalesforceApiError {
  return new SalesforceApiError(400, 'JSON_PARSER_ERROR', message);
}

/** fastify's own body and content-type failures, mapped to the codes Salesforce uses. */
function fromFastifyError(error: FastifyError): SalesforceApiError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return jsonParserError(error.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SalesforceApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        error.message || 'Content type not supported'
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SalesforceApiError(413, 'REQUEST_ENTITY_TOO_LARGE', 'Request body too large');
    default:
      break;
  }
  if (error.validation) return jsonParserError(error.message);
  // secure-json-parse's SyntaxError carries statusCode 400 when fastify parses JSON.
  if (error instanceof SyntaxError) return jsonParserError(error.message);
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new SalesforceApiError(
      status,
      status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST',
      error.message
    );
  }
  return undefined;
}

export function sendApiError(reply: FastifyReply, error: SalesforceApiError): FastifyReply {
  return reply.code(error.httpStatus).type('application/json;charset=UTF-8').send(error.toBody());
}

/** The fastify error handler: registered once on the root instance by `buildHttpApp`. */
export function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply
): FastifyReply {
  if (error instanceof SalesforceApiError) return sendApiError(reply, error);
  const mapped = fromFastifyError(error);
  if (mapped) return sendApiError(reply, mapped);
  request.log.error({ err: error, url: request.url, method: request.method }, 'unexpected error');
  return sendApiError(
    reply,
    new SalesforceApiError(
      500,
      'UNKNOWN_EXCEPTION',
      `An unexpected error occurred. Please include this ErrorId if you contact support: ${request.id}`
    )
  );
}

/** Any path the emulator does not serve answers like an unknown Salesforce resource. */
export function handleNotFound(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendApiError(reply, notFound());
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
}
