import type { Metadata } from '@grpc/grpc-js';
import type { EmulatorContext, Session } from '../model.ts';
import { authError } from './errors.ts';
import type { PubSubError } from './errors.ts';

function header(metadata: Metadata, name: string): string {
  const value = metadata.get(name)[0];
  return typeof value === 'string' ? value.trim() : '';
}

/**
 * Authenticates one RPC the way the Pub/Sub API does: the `accesstoken`, `instanceurl` and
 * `tenantid` metadata headers must name a live session of this org. Every authenticated RPC counts
 * one API call, as in an org. Returns the session, or the UNAUTHENTICATED error to answer with.
 */
export function authenticate(
  ctx: EmulatorContext,
  metadata: Metadata
): { session: Session } | { error: PubSubError } {
  const accessToken = header(metadata, 'accesstoken');
  const instanceUrl = header(metadata, 'instanceurl');
  const tenantId = header(metadata, 'tenantid');
  if (accessToken === '' || instanceUrl === '' || tenantId === '') return { error: authError() };
  const session = ctx.sessions.validate(accessToken);
  if (session === undefined) return { error: authError() };
  // The tenant id is the 15- or 18-character org id; either form identifies the org.
  const orgId = session.principal.organizationId;
  if (tenantId !== orgId && tenantId !== orgId.slice(0, 15)) return { error: authError() };
  ctx.apiCalls.increment('pubsub');
  return { session };
}
