// Who may read activity. The platform's bearer check (SERVICE_API_TOKENS, shared by every service
// of the process) runs first; ACTIVITY_API_TOKENS, when set, narrows the Activity API and OData
// to its own tokens (the Activity_API External Credential's), so another service's token cannot
// read anyone's activity. Unset: every platform token may (one service per process, the lab).
import type { FastifyRequest } from 'fastify';
import { createTokenVerifier } from '../platform/index.ts';

const BEARER = /^Bearer[ ]+([^\s]+)[ ]*$/i;

/** A check of the request's bearer token against `tokens` (empty: every platform token passes). */
export function activityReaderCheck(
  tokens: readonly string[]
): (request: FastifyRequest) => boolean {
  if (tokens.length === 0) return () => true;
  const verify = createTokenVerifier(tokens);
  return (request) => {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    return token !== undefined && verify(token) !== undefined;
  };
}
