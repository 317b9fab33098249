// Request validation with zod. A failed parse answers 400:
//   { "error": "validation_failed", "message": "...", "issues": [{ location, path, code, message }] }
// Use `validateRequest({ body, query, params })` as a route's preValidation hook (the parsed,
// typed values replace request.body/query/params), or `parseRequestPart` inside a handler.
import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { z } from 'zod';

export type RequestPart = 'body' | 'query' | 'params' | 'headers';

export interface ValidationIssue {
  location: RequestPart | string;
  /** Dotted path inside the part, '' for the part itself. */
  path: string;
  code: string;
  message: string;
}

export class RequestValidationError extends Error {
  readonly statusCode = 400;

  constructor(readonly issues: ValidationIssue[]) {
    const first = issues[0];
    super(
      first
        ? `Invalid request ${first.location}${first.path ? ` at ${first.path}` : ''}: ${first.message}` +
            (issues.length > 1 ? ` (and ${issues.length - 1} more)` : '')
        : 'Invalid request.'
    );
    this.name = 'RequestValidationError';
  }
}

export function zodIssues(error: z.ZodError, location: RequestPart): ValidationIssue[] {
  return error.issues.map((issue) => ({
    location,
    path: issue.path.map(String).join('.'),
    code: issue.code,
    message: issue.message
  }));
}

/** Parses one part of a request; throws RequestValidationError (-> 400) when invalid. */
export function parseRequestPart<S extends z.ZodType>(
  schema: S,
  value: unknown,
  location: RequestPart
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new RequestValidationError(zodIssues(result.error, location));
  return result.data;
}

export interface RequestSchemas {
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  headers?: z.ZodType;
}

/** A preValidation hook validating every given part and reporting all their issues at once. */
export function validateRequest(schemas: RequestSchemas): preValidationAsyncHookHandler {
  return async (request: FastifyRequest) => {
    const issues: ValidationIssue[] = [];
    const parsed: Partial<Record<RequestPart, unknown>> = {};
    for (const part of ['params', 'query', 'headers', 'body'] as const) {
      const schema = schemas[part];
      if (!schema) continue;
      const result = schema.safeParse(request[part]);
      if (result.success) parsed[part] = result.data;
      else issues.push(...zodIssues(result.error, part));
    }
    if (issues.length > 0) throw new RequestValidationError(issues);
    const target = request as unknown as Record<RequestPart, unknown>;
    for (const [part, value] of Object.entries(parsed)) target[part as RequestPart] = value;
  };
}
