/**
 * The long-lived half of OAuth: authorization codes of the web-server flow and the refresh
 * tokens they are exchanged for. Salesforce issues a refresh token only through a flow a user
 * approved (web server, user agent), never for client credentials or JWT bearer, and does not
 * rotate it on refresh: it stays valid until revoked. A code is single-use and lives 15 minutes
 * (OAuth 2.0 Web Server Flow for Web App Integration).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock, EmulatorContext } from '../model.ts';

const CODE_LIFETIME_MS = 15 * 60 * 1000;

export interface AuthorizationCode {
  username: string;
  clientId: string;
  redirectUri: string;
  /** PKCE: the S256 (or plain) challenge the token request's code_verifier must answer. */
  codeChallenge?: string;
  codeChallengeMethod?: string;
  expiresAt: number;
}

export interface RefreshGrant {
  username: string;
  clientId: string;
}

/** Opaque strings shaped like an org's (`aPrx...` codes, `5Aep861...` refresh tokens). */
function opaque(prefix: string, bytes: number): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

export class OAuthGrants {
  private readonly codes = new Map<string, AuthorizationCode>();
  /** Codes already exchanged or expired: their reuse is told apart from a made-up code. */
  private readonly spentCodes = new Set<string>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();

  constructor(private readonly clock: Clock) {}

  issueCode(grant: Omit<AuthorizationCode, 'expiresAt'>): string {
    const code = opaque('aPrx', 48);
    this.codes.set(code, { ...grant, expiresAt: this.clock.now().getTime() + CODE_LIFETIME_MS });
    return code;
  }

  /** The code's grant, once: afterwards (or once expired) the code is `expired`. */
  redeemCode(code: string): AuthorizationCode | 'expired' | 'invalid' {
    const grant = this.codes.get(code);
    if (grant === undefined) return this.spentCodes.has(code) ? 'expired' : 'invalid';
    this.codes.delete(code);
    this.spentCodes.add(code);
    return grant.expiresAt <= this.clock.now().getTime() ? 'expired' : grant;
  }

  issueRefreshToken(grant: RefreshGrant): string {
    const token = opaque('5Aep861', 60);
    this.refreshTokens.set(token, grant);
    return token;
  }

  refreshGrant(token: string): RefreshGrant | undefined {
    return this.refreshTokens.get(token);
  }

  /** True when `token` was a refresh token (now revoked). */
  revokeRefreshToken(token: string): boolean {
    return this.refreshTokens.delete(token);
  }
}

/** Whether a PKCE code_verifier answers the challenge given at authorize (RFC 7636). */
export function verifierMatches(grant: AuthorizationCode, verifier: string | undefined): boolean {
  if (grant.codeChallenge === undefined) return true;
  if (verifier === undefined) return false;
  const computed =
    grant.codeChallengeMethod === 'plain'
      ? verifier
      : createHash('sha256').update(verifier).digest('base64url');
  return computed === grant.codeChallenge;
}

const grantsByContext = new WeakMap<EmulatorContext, OAuthGrants>();

/** The org's grants (one set per emulated org). */
export function grantsOf(ctx: EmulatorContext): OAuthGrants {
  let grants = grantsByContext.get(ctx);
  if (grants === undefined) {
    grants = new OAuthGrants(ctx.clock);
    grantsByContext.set(ctx, grants);
  }
  return grants;
}
