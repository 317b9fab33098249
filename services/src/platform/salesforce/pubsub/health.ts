// What the subscriber reports about itself: its state, and whether it is healthy (readiness).
//
// The state alone cannot tell: 'subscribed' is entered as soon as the Subscribe call is made,
// before the server answered it, so a subscriber whose endpoint refuses every connection passes
// through 'subscribed' on each attempt. Health therefore remembers the last failure until a
// connection proves itself by delivering something (an event or a keepalive).

export type SubscriberState =
  'idle' | 'waiting-for-lease' | 'connecting' | 'subscribed' | 'backoff' | 'stopped';

export interface SubscriberHealth {
  ok: boolean;
  state: SubscriberState;
  /** Why it is not ok: the message of the last failure. */
  reason?: string;
}

/** Holding no subscription on purpose: nothing to be unhealthy about. */
const RESTING: ReadonlySet<SubscriberState> = new Set(['idle', 'waiting-for-lease', 'stopped']);

/** A Salesforce session id (`00D...!...`), in case a message quotes one. */
const SESSION_ID = /00D[0-9A-Za-z]{12,15}![0-9A-Za-z._-]+/g;

export class HealthTracker {
  private failure: string | undefined;

  /**
   * A connection attempt failed. `secrets` (the access token in use) are masked in the reason:
   * health is meant for probes and dashboards, which must never show a token.
   */
  failed(error: Error, secrets: readonly (string | undefined)[] = []): void {
    let reason = error.message;
    for (const secret of secrets) {
      // A short value (a test's 'x') would mask ordinary words of the message, not a secret.
      if (secret !== undefined && secret.length >= 8) reason = reason.split(secret).join('***');
    }
    this.failure = reason.replace(SESSION_ID, '***');
  }

  /** A connection delivered something, or a new run starts: past failures no longer apply. */
  recovered(): void {
    this.failure = undefined;
  }

  report(state: SubscriberState): SubscriberHealth {
    if (RESTING.has(state) || this.failure === undefined) return { ok: true, state };
    return { ok: false, state, reason: this.failure };
  }
}
