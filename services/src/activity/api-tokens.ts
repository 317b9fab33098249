// Who may call which part of the activity service. The platform's bearer check
// (SERVICE_API_TOKENS, shared by every service of the process) runs first; each part then accepts
// only its own list, so a token that leaks from one caller opens nothing else:
//   ACTIVITY_API_TOKENS       REST reads (the Activity_API External Credential: the portal path)
//   ACTIVITY_ODATA_TOKENS     OData reads (the Activity_OData External Credential: Salesforce Connect)
//   ACTIVITY_REGISTRY_TOKENS  users and devices (the provisioning back office: it hands out device
//                             logins, so a credential stored in Salesforce must never be able to)
// An empty list refuses every token (the lab fills the lists with its own token).
import type { FastifyRequest } from 'fastify';
import { createTokenVerifier } from '../platform/index.ts';

const BEARER = /^Bearer[ ]+([^\s]+)[ ]*$/i;

/** A check of the request's bearer token against `tokens` (empty: no token passes). */
export function activityTokenCheck(
  tokens: readonly string[]
): (request: FastifyRequest) => boolean {
  if (tokens.length === 0) return () => false;
  const verify = createTokenVerifier(tokens);
  return (request) => {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    return token !== undefined && verify(token) !== undefined;
  };
}
