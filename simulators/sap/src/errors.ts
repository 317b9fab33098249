/**
 * SAP Gateway's OData V2 error shape, used for every SAP-path failure the simulator answers:
 *
 *   { "error": { "code": "<message class>/<number>", "message": { "lang": "en", "value": "..." },
 *     "innererror": { "application": {...}, "transactionid": "...", "timestamp": "...",
 *       "errordetails": [ { "code", "message", "propertyref", "severity" } ] } } }
 *
 * `code` is the T100 message class and number of the first message; each detail carries one
 * message with the property it refers to (`<EntityType>/<Property>` or empty) and a severity
 * (`error`, `warning`, `info`), as SAP Gateway's documentation describes the V2 error body.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SERVICE_NAME } from './entities.ts';

export interface ErrorDetail {
  code: string;
  message: string;
  propertyref: string;
  severity: 'error' | 'warning' | 'info';
}

export class SapODataError extends Error {
  override readonly name = 'SapODataError';

  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {}
  ) {
    super(message);
  }

  toBody(): object {
    const details =
      this.details.length > 0
        ? this.details
        : [{ code: this.code, message: this.message, propertyref: '', severity: 'error' }];
    return {
      error: {
        code: this.code,
        message: { lang: 'en', value: this.message },
        innererror: {
          application: {
            component_id: 'LO-MD-BP',
            service_namespace: '/SAP/',
            service_id: SERVICE_NAME,
            service_version: '0001'
          },
          transactionid: randomBytes(16).toString('hex').toUpperCase(),
          timestamp: sapTimestamp(new Date()),
          errordetails: details
        }
      }
    };
  }
}

/** `20261129054812.1234560`: the UTC timestamp format SAP writes into `innererror.timestamp`. */
function sapTimestamp(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 19).replace(/[-:T]/g, '')}.${iso.slice(20, 23)}0000`;
}

/** One message of a validation failure, pointing at `<EntityType>/<Property>`. */
export function detail(code: string, message: string, propertyref = ''): ErrorDetail {
  return { code, message, propertyref, severity: 'error' };
}

/** A 400 with every message found; the first one is the headline, as SAP reports it. */
export function validationError(details: ErrorDetail[]): SapODataError {
  const first = details[0] ?? detail('/IWBEP/CM_MGW_RT/000', 'Invalid request');
  return new SapODataError(400, first.code, first.message, [
    ...details,
    detail('/IWBEP/CX_MGW_BUSI_EXCEPTION', first.message)
  ]);
}

export function notFoundError(segment: string): SapODataError {
  return new SapODataError(
    404,
    '/IWBEP/CM_MGW_RT/020',
    `Resource not found for segment '${segment}'`
  );
}

export function badRequest(message: string, code = '/IWBEP/CM_MGW_RT/000'): SapODataError {
  return new SapODataError(400, code, message);
}

export function sendSapError(reply: FastifyReply, error: SapODataError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.code(error.httpStatus).type('application/json; charset=utf-8').send(error.toBody());
}

/** fastify's error handler: SAP errors as they are, body problems as 400, the rest as 500. */
export function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply
): FastifyReply {
  if (error instanceof SapODataError) return sendSapError(reply, error);
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return sendSapError(
      reply,
      new SapODataError(415, '/IWFND/CM_MGW/004', 'Content type not supported')
    );
  }
  const status = error.statusCode;
  if (error instanceof SyntaxError || (status !== undefined && status >= 400 && status < 500)) {
    return sendSapError(
      reply,
      new SapODataError(
        status ?? 400,
        '/IWBEP/CM_MGW_RT/000',
        `Malformed request: ${error.message}`
      )
    );
  }
  request.log.error({ err: error, url: request.url }, 'unexpected error');
  return sendSapError(
    reply,
    new SapODataError(500, '/IWBEP/CM_MGW_RT/000', 'Runtime error; see the simulator log')
  );
}

/** SAP's answer to an injected failure (toolkit faults), as the gateway would send it. */
export function injectedError(status: 500 | 503 | 429): SapODataError {
  switch (status) {
    case 503:
      return new SapODataError(
        503,
        '/IWFND/CM_BEC/026',
        'Service unavailable: the backend system cannot be reached (simulated failure)'
      );
    case 429:
      return new SapODataError(
        429,
        '/IWFND/CM_MGW/429',
        'Too many requests: rate limit exceeded (simulated failure)',
        [],
        { 'retry-after': '1' }
      );
    default:
      return new SapODataError(
        500,
        '/IWBEP/CM_MGW_RT/000',
        'Runtime error in the backend (simulated failure)'
      );
  }
}
