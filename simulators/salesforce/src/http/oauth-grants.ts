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
  /** Access tokens issued with this grant (its code exchange and each refresh): revoked with it. */
  accessTokens: Set<string>;
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

  issueRefreshToken(grant: Omit<RefreshGrant, 'accessTokens'>, accessToken: string): string {
    const token = opaque('5Aep861', 60);
    this.refreshTokens.set(token, { ...grant, accessTokens: new Set([accessToken]) });
    return token;
  }

  refreshGrant(token: string): RefreshGrant | undefined {
    return this.refreshTokens.get(token);
  }

  /**
   * Revokes a refresh token; returns the access tokens issued from it ("Salesforce revokes it
   * and any associated access tokens"), undefined when `token` is no refresh token.
   */
  revokeRefreshToken(token: string): string[] | undefined {
    const grant = this.refreshTokens.get(token);
    if (grant === undefined) return undefined;
    this.refreshTokens.delete(token);
    return [...grant.accessTokens];
  }
}

/** The code_challenge_method values of RFC 7636; absent means `plain` (section 4.3). */
export const PKCE_METHODS = ['S256', 'plain'];

/** Whether a PKCE code_verifier answers the challenge given at authorize (RFC 7636). */
export function verifierMatches(grant: AuthorizationCode, verifier: string | undefined): boolean {
  if (grant.codeChallenge === undefined) return true;
  if (verifier === undefined) return false;
  const computed =
    grant.codeChallengeMethod === 'S256'
      ? createHash('sha256').update(verifier).digest('base64url')
      : verifier;
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
