// Credentials of one Pub/Sub connection. They are asked for again before every connection, never
// cached by the subscriber: a reconnect after hours must not present a token that has expired
// meanwhile, and a token the server rejected must be replaced rather than retried.
import type { TokenProvider } from '../token-provider.ts';

export interface PubSubCredentials {
  accessToken: string;
  /** https URL of the org (the client rejects anything else). */
  instanceUrl: string;
  /** 15- or 18-character org id (tenant id). */
  organizationId: string;
}

/**
 * Static credentials, or a provider called before every connection; `forceRefresh` is true after
 * the server rejected the previous token (UNAUTHENTICATED).
 */
export type CredentialsSource =
  PubSubCredentials | ((options: { forceRefresh: boolean }) => Promise<PubSubCredentials>);

/**
 * Credentials from the platform's TokenProvider (any OAuth flow): a rejected token is
 * invalidated and a fresh one fetched. The org id comes from `organizationId`, else the identity
 * URL (`.../id/00D.../005...`), else the access token's `00D...!` prefix.
 */
export function pubSubCredentialsFrom(
  tokenProvider: Pick<TokenProvider, 'getToken' | 'invalidate'>,
  organizationId?: string
): CredentialsSource {
  let last: string | undefined;
  return async ({ forceRefresh }) => {
    if (forceRefresh && last !== undefined) tokenProvider.invalidate(last);
    const token = await tokenProvider.getToken();
    last = token.accessToken;
    const orgId =
      organizationId ??
      /\/id\/(00D[0-9A-Za-z]{12,15})\//.exec(token.identityUrl ?? '')?.[1] ??
      /^(00D[0-9A-Za-z]{12})!/.exec(token.accessToken)?.[1];
    if (orgId === undefined) throw new Error('cannot tell the org id: pass organizationId');
    return {
      accessToken: token.accessToken,
      // The client insists on https; the value only travels as the `instanceurl` header, and the
      // emulator serves REST over plain http on the same host.
      instanceUrl: token.instanceUrl.replace(/^http:\/\//, 'https://'),
      organizationId: orgId
    };
  };
}

/**
 * The source as the reconnect loop uses it: `rejected()` after an UNAUTHENTICATED answer makes
 * the next `next()` ask for a fresh token, once.
 */
export class ConnectionCredentials {
  private refresh = false;

  constructor(private readonly source: CredentialsSource) {}

  rejected(): void {
    this.refresh = true;
  }

  async next(): Promise<PubSubCredentials> {
    const forceRefresh = this.refresh;
    this.refresh = false;
    return typeof this.source === 'function' ? this.source({ forceRefresh }) : this.source;
  }
}
