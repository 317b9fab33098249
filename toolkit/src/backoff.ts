// Exponential backoff shared by the Salesforce clients: polling Bulk API jobs, retrying
// transient failures of idempotent requests, reconnecting the Pub/Sub subscriber.
//
// Polling grows its interval (a 1M-row job is polled a few dozen times, not thousands: each poll
// is an API call). Retries use "full jitter" (a random delay up to the exponential cap) so that
// many workers hit by the same outage do not come back in lock step. Reconnect loops use "equal
// jitter" instead: the fixed half keeps a floor under every wait, so a loop that fails at once
// can never spin, while the random half still spreads instances apart.
import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffOptions {
  /** First delay. */
  initialDelayMs: number;
  /** Upper bound of any delay. */
  maxDelayMs: number;
  /** Growth per attempt (2 doubles). */
  factor: number;
}

/** Deterministic delay before attempt `attempt` (0-based): initial * factor^attempt, capped. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const raw = options.initialDelayMs * Math.pow(options.factor, Math.max(0, attempt));
  return Math.min(options.maxDelayMs, Math.round(raw));
}

/** Full-jitter delay: uniformly random in [0, backoffDelay(attempt)]. */
export function jitteredDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random
): number {
  return Math.round(random() * backoffDelay(attempt, options));
}

/** Equal-jitter delay: uniformly random in [backoffDelay(attempt) / 2, backoffDelay(attempt)]. */
export function equalJitteredDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random
): number {
  const base = backoffDelay(attempt, options);
  return Math.round(base / 2 + random() * (base / 2));
}

/** Sleeps, waking early (with the signal's reason) when the signal aborts. */
export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) {
    signal?.throwIfAborted();
    return;
  }
  await sleep(ms, undefined, signal ? { signal } : undefined);
}
