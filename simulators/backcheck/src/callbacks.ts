/**
 * The webhook sender: when a check completes, one event (`evt_...`) is posted to the callback URL
 * of the API key that submitted the check, signed (signature.ts), and retried with exponential
 * backoff on the simulator's clock until the receiver answers 2xx or the attempts run out. The
 * body is serialized once, so every attempt and duplicate carries the same bytes and eventId;
 * each attempt is signed afresh with the wall-clock time of its sending (a receiver compares `t`
 * with its own clock, which a test does not advance).
 *
 * Fault rules change what happens to the next events (one rule per event, in the order added):
 * - `lose`: never sent and never retried (the receiver must poll: `GET /v1/checks/{reference}`);
 * - `duplicate`: once delivered, sent a second time (same eventId and body);
 * - `delay`: the first attempt waits `delayMs` of simulated time;
 * - `reorder`: the next `count` events (at least 2) are held, then sent newest first, one after
 *   the other, once the last of them is there (or on `releaseHeld`);
 * - `bad_signature`: every attempt is signed with a wrong secret (the receiver must refuse all of
 *   them; the sender retries, then gives up).
 */
import { backoffDelay } from '../../../toolkit/src/backoff.ts';
import type { SimClock } from './clock.ts';
import { newEventId } from './ids.ts';
import { signCallback } from './signature.ts';
import { viewOf, type Check } from './store.ts';

export type CallbackFaultKind = 'lose' | 'duplicate' | 'delay' | 'reorder' | 'bad_signature';

export interface CallbackFaultInput {
  kind: CallbackFaultKind;
  /** The next N events (default 1; for `reorder` the size of the shuffled group, default 2). */
  count?: number;
  /** `delay` only: simulated ms before the first attempt. */
  delayMs?: number;
}

export interface CallbackFault extends CallbackFaultInput {
  id: number;
  /** Events it still applies to. */
  remaining: number;
}

export interface RetryPolicy {
  /** Wait after the first failed attempt; doubles after each further failure. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Attempts in all (the first included) before the event is given up. */
  maxAttempts: number;
  /** How long one attempt waits for the receiver's answer (wall clock). */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 8,
  attemptTimeoutMs: 10_000
};

export interface CallbackAttempt {
  attempt: number;
  /** Wall-clock time the attempt was sent. */
  sentAt: string;
  /** A duplicate send of a delivered event. */
  duplicate: boolean;
  signature: 'valid' | 'bad';
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Why there was no answer (`ECONNREFUSED`, `TimeoutError`, `no callback URL`). */
  error?: string;
}

export type CallbackState =
  'scheduled' | 'held' | 'sending' | 'retrying' | 'delivered' | 'failed' | 'lost';

export interface CallbackEvent {
  eventId: string;
  reference: string;
  apiKey: string;
  /** The exact JSON sent (no subject data: reference, result, notes, dates, eventId). */
  body: string;
  state: CallbackState;
  fault: CallbackFaultKind | null;
  attempts: CallbackAttempt[];
}

/** What `GET /__sim/callbacks` shows of an event (the API key left out). */
export type CallbackEventView = Omit<CallbackEvent, 'apiKey'>;

export function validateCallbackFault(input: unknown): CallbackFaultInput {
  const body = (input ?? {}) as Record<string, unknown>;
  const kinds: CallbackFaultKind[] = ['lose', 'duplicate', 'delay', 'reorder', 'bad_signature'];
  const kind = body.kind as CallbackFaultKind;
  if (!kinds.includes(kind)) throw new RangeError(`kind must be one of ${kinds.join(', ')}`);
  const min = kind === 'reorder' ? 2 : 1;
  const { count, delayMs } = body;
  if (count !== undefined && (!Number.isSafeInteger(count) || (count as number) < min)) {
    throw new RangeError(`count must be a whole number >= ${min}`);
  }
  if (kind === 'delay') {
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new RangeError('a delay needs delayMs, a number of ms >= 0');
    }
  } else if (delayMs !== undefined) {
    throw new RangeError('delayMs applies to kind delay only');
  }
  return {
    kind,
    ...(count !== undefined ? { count: count as number } : {}),
    ...(kind === 'delay' ? { delayMs: delayMs as number } : {})
  };
}

export function validateRetryPolicy(input: unknown, current: RetryPolicy): RetryPolicy {
  const body = (input ?? {}) as Record<string, unknown>;
  const next = { ...current };
  const limits: Record<keyof RetryPolicy, [number, number]> = {
    initialDelayMs: [0, 86_400_000],
    maxDelayMs: [0, 86_400_000],
    maxAttempts: [1, 50],
    attemptTimeoutMs: [1, 600_000]
  };
  for (const [name, [min, max]] of Object.entries(limits) as Array<
    [keyof RetryPolicy, [number, number]]
  >) {
    const value = body[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      throw new RangeError(`${name} must be a whole number from ${min} to ${max}`);
    }
    next[name] = value as number;
  }
  return next;
}

export class CallbackSender {
  private events: CallbackEvent[] = [];
  private rules: CallbackFault[] = [];
  private nextRuleId = 1;
  private held: CallbackEvent[] = [];
  /** How many events the current reorder group waits for. */
  private holdTarget = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private timers = new Set<number>();
  private closing = new AbortController();
  /** Events of an earlier generation (before a reset) are never sent again. */
  private readonly live = new WeakSet<CallbackEvent>();
  retry: RetryPolicy;

  constructor(
    private readonly clock: SimClock,
    private readonly secret: string,
    private readonly callbackUrl: (apiKey: string) => string | undefined,
    retry: RetryPolicy = DEFAULT_RETRY_POLICY
  ) {
    this.retry = { ...retry };
  }

  addFault(input: CallbackFaultInput): CallbackFault {
    const rule: CallbackFault = {
      ...input,
      id: this.nextRuleId++,
      remaining: input.count ?? (input.kind === 'reorder' ? 2 : 1)
    };
    this.rules.push(rule);
    return { ...rule };
  }

  faults(): CallbackFault[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  clearFaults(): void {
    this.rules = [];
  }

  list(): CallbackEventView[] {
    return this.events.map((event) => ({
      eventId: event.eventId,
      reference: event.reference,
      body: event.body,
      state: event.state,
      fault: event.fault,
      attempts: event.attempts.map((attempt) => ({ ...attempt }))
    }));
  }

  /** A completed check's event, sent (or not) as the fault rules say. */
  emit(check: Check): CallbackEvent {
    const eventId = newEventId();
    const view = viewOf(check);
    const body = JSON.stringify({
      reference: view.reference,
      clientReference: view.clientReference,
      result: view.result,
      notes: view.notes,
      completedAt: view.completedAt,
      eventId
    });
    const rule = this.rules.find((candidate) => candidate.remaining > 0);
    const event: CallbackEvent = {
      eventId,
      reference: check.reference,
      apiKey: check.apiKey,
      body,
      state: 'scheduled',
      fault: rule?.kind ?? null,
      attempts: []
    };
    this.events.push(event);
    this.live.add(event);
    if (rule) {
      // A reorder rule counts down as its group fills; the others as events take them.
      if (rule.kind === 'reorder' && this.holdTarget === 0) this.holdTarget = rule.remaining;
      rule.remaining--;
      if (rule.remaining <= 0) this.rules = this.rules.filter((other) => other !== rule);
    }
    switch (rule?.kind) {
      case 'lose':
        event.state = 'lost';
        break;
      case 'delay':
        this.later(rule.delayMs ?? 0, event);
        break;
      case 'reorder':
        event.state = 'held';
        this.held.push(event);
        if (this.held.length >= this.holdTarget) this.releaseHeld();
        break;
      default:
        this.send(event);
    }
    return event;
  }

  /** Sends the held events newest first, each once the previous one's first attempt is over. */
  releaseHeld(): number {
    const group = this.held.reverse();
    this.held = [];
    this.holdTarget = 0;
    if (group.length > 0) {
      this.track(
        (async () => {
          for (const event of group) await this.attempt(event);
        })()
      );
    }
    return group.length;
  }

  /** Resolves when no attempt is in flight (due retries may start later). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  reset(): void {
    this.closing.abort();
    this.closing = new AbortController();
    for (const id of this.timers) this.clock.cancel(id);
    this.timers.clear();
    for (const event of this.events) this.live.delete(event);
    this.events = [];
    this.rules = [];
    this.held = [];
    this.holdTarget = 0;
  }

  /** Aborts the attempts in flight and waits for them (on close). */
  async close(): Promise<void> {
    this.closing.abort();
    await this.settled();
  }

  private send(event: CallbackEvent): void {
    this.track(this.attempt(event));
  }

  private later(ms: number, event: CallbackEvent): void {
    event.state = event.attempts.length === 0 ? 'scheduled' : 'retrying';
    const id = this.clock.after(ms, () => {
      this.timers.delete(id);
      this.send(event);
    });
    this.timers.add(id);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async attempt(event: CallbackEvent): Promise<void> {
    if (!this.live.has(event)) return;
    event.state = 'sending';
    const delivered = await this.post(event, false);
    if (delivered) {
      event.state = 'delivered';
      if (event.fault === 'duplicate') await this.post(event, true);
      return;
    }
    const failures = event.attempts.length;
    if (!this.live.has(event)) return;
    if (failures >= this.retry.maxAttempts || this.closing.signal.aborted) {
      event.state = 'failed';
      return;
    }
    this.later(
      backoffDelay(failures - 1, {
        initialDelayMs: this.retry.initialDelayMs,
        maxDelayMs: this.retry.maxDelayMs,
        factor: 2
      }),
      event
    );
  }

  /** One POST; true when the receiver answered 2xx. */
  private async post(event: CallbackEvent, duplicate: boolean): Promise<boolean> {
    const bad = event.fault === 'bad_signature';
    const record: CallbackAttempt = {
      attempt: event.attempts.length + 1,
      sentAt: new Date().toISOString(),
      duplicate,
      signature: bad ? 'bad' : 'valid'
    };
    event.attempts.push(record);
    const url = this.callbackUrl(event.apiKey);
    if (url === undefined) {
      record.error = 'no callback URL';
      return false;
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const secret = bad ? `${this.secret}:not-the-shared-secret` : this.secret;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'backcheck-signature': signCallback(secret, event.body, timestamp),
          'user-agent': 'BackCheck-Webhooks/1 (simulator)'
        },
        body: event.body,
        redirect: 'manual',
        signal: AbortSignal.any([
          AbortSignal.timeout(this.retry.attemptTimeoutMs),
          this.closing.signal
        ])
      });
      record.status = response.status;
      await response.body?.cancel();
      return response.ok;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      record.error = cause?.code ?? (error as Error).name;
      return false;
    }
  }
}
