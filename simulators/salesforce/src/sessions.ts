import { randomBytes } from 'node:crypto';
import type { Clock, Principal, Session, SessionStore } from './model.ts';
import { SalesforceApiError } from './model.ts';

/** Characters a real access token's secret part uses after the `!`. */
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._';
const SECRET_LENGTH = 96;

/** An unguessable secret drawn uniformly from TOKEN_ALPHABET (64 symbols: 6 bits per byte). */
function randomSecret(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += TOKEN_ALPHABET.charAt(byte & 63);
  return out;
}

/**
 * Access tokens shaped like an org's (`00D...!AQ...`, ~112 characters: the 15-character org id,
 * `!`, then an opaque secret), each valid for `lifetimeMs` of emulated time.
 */
export function createSessionStore(
  clock: Clock,
  lifetimeMs: number,
  resolveUser: (username: string) => Principal | undefined,
  /** Whether the user may still use the API: a deactivated user's sessions end at once. */
  isActive: (userId: string) => boolean = () => true
): SessionStore {
  if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) {
    throw new RangeError(`Token lifetime must be positive, got ${lifetimeMs}`);
  }
  const sessions = new Map<string, Session>();

  function dropExpired(now: number): void {
    for (const [token, session] of sessions) {
      if (session.expiresAt.getTime() <= now) sessions.delete(token);
    }
  }

  return {
    issue(username: string): Session {
      const principal = resolveUser(username);
      if (principal === undefined) {
        // The OAuth endpoint turns this into {"error":"invalid_grant",...}.
        throw new SalesforceApiError(400, 'invalid_grant', `unknown user: ${username}`);
      }
      const issuedAt = clock.now();
      dropExpired(issuedAt.getTime());
      const accessToken = `${principal.organizationId.slice(0, 15)}!AQ${randomSecret(SECRET_LENGTH)}`;
      const session: Session = {
        accessToken,
        principal,
        issuedAt,
        expiresAt: new Date(issuedAt.getTime() + lifetimeMs)
      };
      sessions.set(accessToken, session);
      return session;
    },
    validate(accessToken: string): Session | undefined {
      const session = sessions.get(accessToken);
      if (session === undefined) return undefined;
      if (
        session.expiresAt.getTime() <= clock.now().getTime() ||
        !isActive(session.principal.userId)
      ) {
        sessions.delete(accessToken);
        return undefined;
      }
      return session;
    },
    revoke(accessToken: string): void {
      sessions.delete(accessToken);
    },
    expireAll(): void {
      sessions.clear();
    },
    reset(): void {
      sessions.clear();
    }
  };
}
