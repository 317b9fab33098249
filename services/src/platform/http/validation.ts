// Request validation with zod. Routes declare their schemas on the route, where they are also
// documented (OpenAPI) and typed (fastify-type-provider-zod):
//   app.withTypeProvider<ZodTypeProvider>().post('/orders/:id', {
//     schema: { params, querystring, headers, body, response } }, handler)
// A failed validation answers 400 (errors.ts):
//   { "error": "validation_failed", "message": "...", "issues": [{ location, path, code, message }] }
// This module holds that issue format and the error behind it.
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
