/**
 * Bearer-token authentication for the Salesforce API paths, as an org does it: a missing,
 * unknown, revoked or expired token answers 401 with exactly Salesforce's body (clients such
 * as jsforce recognise it and run their refresh path). Every authenticated request counts one
 * API call, and every answer carries the `Sforce-Limit-Info: api-usage=used/max` header.
 *
 * Use as an `onRequest` hook so a bad token is reported before the body is parsed, as
 * Salesforce does (a `preHandler` works too).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SalesforceApiError, type EmulatorContext, type Session } from '../model.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's session, set by `authenticate`. */
    session?: Session;
  }
}

export function invalidSession(): SalesforceApiError {
  return new SalesforceApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
}

/**
 * Composite subrequests are replayed through the app (`app.inject`): they carry this header so
 * they are authenticated like the outer request without counting again (the whole composite
 * request is one API call in a real org).
 */
const SUBREQUEST_HEADER = 'x-emulator-subrequest';
const subrequestSecrets = new WeakMap<EmulatorContext, string>();

function subrequestSecret(ctx: EmulatorContext): string {
  let secret = subrequestSecrets.get(ctx);
  if (!secret) {
    secret = randomUUID();
    subrequestSecrets.set(ctx, secret);
  }
  return secret;
}

/** Headers that mark an internal subrequest (see SUBREQUEST_HEADER). */
export function subrequestHeaders(ctx: EmulatorContext): Record<string, string> {
  return { [SUBREQUEST_HEADER]: subrequestSecret(ctx) };
}

export function isSubrequest(ctx: EmulatorContext, request: FastifyRequest): boolean {
  return request.headers[SUBREQUEST_HEADER] === subrequestSecret(ctx);
}

/** The token of `Authorization: Bearer <token>` (Salesforce also accepts the older `OAuth`). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function limitInfoHeader(ctx: EmulatorContext): string {
  return `api-usage=${ctx.apiCalls.total()}/${ctx.apiCalls.dailyMax}`;
}

/** The hook: validates the token, sets `request.session`, counts the call. */
export function authenticate(
  ctx: EmulatorContext,
  kind: 'rest' | 'bulk'
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const token = bearerToken(request);
    const session = token === undefined ? undefined : ctx.sessions.validate(token);
    if (!session) throw invalidSession();
    request.session = session;
    if (isSubrequest(ctx, request)) return;
    // An org over its rolling 24-hour allocation refuses further calls.
    if (ctx.apiCalls.total() >= ctx.apiCalls.dailyMax) {
      throw new SalesforceApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    }
    ctx.apiCalls.increment(kind);
    reply.header('Sforce-Limit-Info', limitInfoHeader(ctx));
  };
}

/**
 * The context the caller's request runs in: their view of the schema, and the store and SOQL
 * engine that enforce their permissions (see permissions/index.ts).
 */
export function userContext(ctx: EmulatorContext, request: FastifyRequest): EmulatorContext {
  if (!request.session) throw invalidSession();
  return ctx.permissions.contextFor(ctx, request.session.principal);
}
