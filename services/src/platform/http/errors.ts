// One error shape for every service endpoint, and an error handler that never sends a stack:
//   { "error": "<machine code>", "message": "<for humans>", "correlationId": "...", "issues"?: [...] }
// 4xx errors carry their message (they describe the caller's request); anything else becomes a
// 500 "internal_error" whose details go to the log only, under the same correlation id.
//
// Request validation (zod schemas declared on routes, checked by fastify-type-provider-zod) fails
// as `400 validation_failed` with every issue of every request part: fastify stops at the first
// part that fails (params, body, querystring, headers, in that order), so the handler checks the
// parts after it itself. Issues are listed params, query, headers, body, and the message names the
// first. Messages are the schemas' own: they describe the rule, never quote the value sent.
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema
} from 'fastify';
import { z } from 'zod';
import { unencapsulated } from './plugin.ts';
import { RequestValidationError, zodIssues } from './validation.ts';
import type { RequestPart, ValidationIssue } from './validation.ts';

export interface ErrorBody {
  error: string;
  message: string;
  correlationId: string;
  issues?: ValidationIssue[];
}

/** The error body as a zod schema: documents (OpenAPI) and serializes every error answer. */
export const errorBodySchema = z
  .object({
    error: z.string().meta({ description: 'Machine-readable code, e.g. `not_found`.' }),
    message: z.string().meta({ description: 'What went wrong, for humans.' }),
    correlationId: z.string().meta({
      description: 'Also in the `x-correlation-id` response header and on every log line.'
    }),
    issues: z
      .array(
        z.object({
          location: z.string().meta({ description: '`params`, `query`, `headers` or `body`.' }),
          path: z.string().meta({ description: 'Dotted path in that part, empty for the part.' }),
          code: z.string().meta({ description: 'zod issue code, e.g. `too_small`.' }),
          message: z.string()
        })
      )
      .optional()
      .meta({ description: 'Only with `validation_failed`: every problem of the request.' })
  })
  .meta({ id: 'ErrorBody', description: 'The body of every error answer.' });

// The interface and the schema describe the same body.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const errorBodyMatches: Same<z.output<typeof errorBodySchema>, ErrorBody> = true;
void errorBodyMatches;

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
  431: 'request_header_fields_too_large',
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

/** The message of a 4xx the framework raised: the status's meaning, nothing of the request. */
function refusedMessage(status: number): string {
  return `The request was refused (HTTP ${status} ${errorCodeForStatus(status)}).`;
}

/** The order fastify validates request parts in (and its names for them). */
const FASTIFY_ORDER = ['params', 'body', 'querystring', 'headers'] as const;
type SchemaPart = (typeof FASTIFY_ORDER)[number];
/** The order issues are reported in. */
const REPORT_ORDER: readonly RequestPart[] = ['params', 'query', 'headers', 'body'];

const locationOf = (part: string): RequestPart | string =>
  part === 'querystring' ? 'query' : part;

function requestValue(request: FastifyRequest, part: SchemaPart): unknown {
  const value = part === 'querystring' ? request.query : request[part];
  // What fastify hands a validator for an absent part (a GET has no body).
  return value === undefined ? null : value;
}

/** Every issue of a failed validation: the failing part's, then those of the parts fastify skipped. */
function validationIssues(error: FastifyError, request: FastifyRequest): ValidationIssue[] {
  const failed = (error.validationContext ?? 'body') as SchemaPart;
  const issues: ValidationIssue[] = (error.validation ?? []).map((v) => ({
    location: locationOf(failed),
    path: v.instancePath.replace(/^\//, '').replace(/\//g, '.'),
    code: v.keyword,
    message: v.message ?? 'is invalid'
  }));
  const schema = request.routeOptions.schema as FastifySchema | undefined;
  const index = FASTIFY_ORDER.indexOf(failed);
  for (const part of index < 0 ? [] : FASTIFY_ORDER.slice(index + 1)) {
    const partSchema = schema?.[part];
    if (!(partSchema instanceof z.ZodType)) continue;
    const result = partSchema.safeParse(requestValue(request, part));
    if (!result.success) issues.push(...zodIssues(result.error, locationOf(part) as RequestPart));
  }
  const rank = (issue: ValidationIssue) => {
    const i = REPORT_ORDER.indexOf(issue.location as RequestPart);
    return i < 0 ? REPORT_ORDER.length : i;
  };
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => rank(a.issue) - rank(b.issue) || a.i - b.i)
    .map(({ issue }) => issue);
}

function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof RequestValidationError) {
    return sendError(reply, 400, 'validation_failed', error.message, { issues: error.issues });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    // A route's `schema` (zod, through fastify-type-provider-zod's validator compiler).
    const issues = validationIssues(fastifyError, request);
    const answer = new RequestValidationError(issues);
    return sendError(reply, 400, 'validation_failed', answer.message, { issues });
  }
  if (error instanceof HttpError) {
    if (error.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, error.statusCode, error.code, error.message);
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // fastify's own 4xx messages quote the request ("Unsupported Media Type: <content-type>"),
    // which may hold a card number: a fixed text per status instead, the details in the log.
    request.log.debug({ code: fastifyError.code, status }, 'request refused by the framework');
    return sendError(reply, status, errorCodeForStatus(status), refusedMessage(status));
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
        // Never the path: whatever the caller put in it (a card number in a form no scrubber
        // knows yet) would come back in the body, and callers log bodies (Integration_Log__c).
        `No route ${request.method} with this path.`
      )
    );
  }
);
