/**
 * SAP Gateway's CSRF protection: a GET with `x-csrf-token: Fetch` returns a token in the
 * `x-csrf-token` response header and the session cookies in `set-cookie`; every modifying
 * request must send that token together with the session cookie. The token belongs to the
 * session (a fetch within a live session returns the same token) and dies with it. A missing,
 * wrong or expired token is `403` with `x-csrf-token: Required` and the plain-text body
 * `CSRF token validation failed`.
 */
import { randomBytes } from 'node:crypto';

/** SAP_SESSIONID_<SID>_<client>: the security session cookie of system SIM, client 100. */
export const SESSION_COOKIE = 'SAP_SESSIONID_SIM_100';
export const DEFAULT_CSRF_LIFETIME_MS = 30 * 60 * 1000;

interface Session {
  user: string;
  token: string;
  expiresAt: number;
}

export interface FetchedToken {
  token: string;
  /** Set-Cookie values to send (a new session), empty when the client's session still lives. */
  cookies: string[];
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) cookies.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return cookies;
}

export class CsrfSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    public lifetimeMs = DEFAULT_CSRF_LIFETIME_MS,
    private readonly now: () => number = Date.now
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Answers `x-csrf-token: Fetch` for `user`, reusing the session named by the cookie header. */
  fetch(cookieHeader: string | undefined, user: string): FetchedToken {
    const id = parseCookies(cookieHeader).get(SESSION_COOKIE);
    const existing = id === undefined ? undefined : this.live(id);
    if (existing && existing.user === user) return { token: existing.token, cookies: [] };
    const sessionId = randomBytes(24).toString('base64url');
    const token = randomBytes(18).toString('base64');
    this.sessions.set(sessionId, { user, token, expiresAt: this.now() + this.lifetimeMs });
    return {
      token,
      cookies: [
        `${SESSION_COOKIE}=${sessionId}; path=/; HttpOnly; SameSite=None`,
        'sap-usercontext=sap-client=100; path=/'
      ]
    };
  }

  /** Whether a modifying request carries the token of its own, live session. */
  validate(cookieHeader: string | undefined, token: string | undefined, user: string): boolean {
    if (!token) return false;
    const id = parseCookies(cookieHeader).get(SESSION_COOKIE);
    const session = id === undefined ? undefined : this.live(id);
    return session !== undefined && session.user === user && session.token === token;
  }

  /** Ends every session now (the tokens clients hold become invalid); returns how many. */
  expireAll(): number {
    const count = this.sessions.size;
    this.sessions.clear();
    return count;
  }

  private live(id: string): Session | undefined {
    const session = this.sessions.get(id);
    if (session && session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }
}
