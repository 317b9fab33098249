/**
 * The simulator's control surface, programmatically (`control`) and over HTTP under `/__sim/`
 * (routes/control.ts): the clock, the completion delay, callback URLs, the retry policy, faults
 * on submit (toolkit/src/faults.ts: `{status: 500|503|'timeout', count?, rate?, paths?,
 * methods?}`) and on callbacks (callbacks.ts), the checks, callbacks and requests seen, reset.
 */
import {
  validateRule,
  type FailureRule,
  type FailureRuleInput
} from '../../../toolkit/src/faults.ts';
import {
  validateCallbackFault,
  validateRetryPolicy,
  type CallbackEventView,
  type CallbackFault,
  type CallbackFaultInput,
  type RetryPolicy
} from './callbacks.ts';
import type { BackCheckContext, CompletionDelay } from './context.ts';
import type { LoggedRequest } from './request-log.ts';
import type { Check } from './store.ts';

/** A check as the control API lists it: no subject data. */
export interface CheckSummary {
  reference: string;
  clientReference: string;
  status: Check['status'];
  result: Check['result'];
  submittedAt: string;
  dueAt: string;
  completedAt: string | null;
  photo: Check['photo'];
}

export interface AdvanceOutcome {
  /** Simulated now after the move. */
  now: string;
  /** The checks that completed during it (their callbacks are under way). */
  completed: string[];
}

export interface BackCheckSimulatorControl {
  /** Forgets checks, keys, callbacks, fault rules, requests; clock, delay, latency, retry policy back to the start values. */
  reset(): void;
  /** Moves the simulated clock forward: due checks complete and their callbacks start. */
  advanceClock(ms: number): AdvanceOutcome;
  clock(): { now: string; offsetMs: number };
  setCompletionDelay(delay: CompletionDelay): void;
  completionDelay(): CompletionDelay;
  /** Where callbacks for `apiKey` (default: the first key) go; undefined stops sending. */
  setCallbackUrl(url: string | undefined, apiKey?: string): void;
  callbackUrl(apiKey?: string): string | undefined;
  setRetryPolicy(policy: Partial<RetryPolicy>): RetryPolicy;
  retryPolicy(): RetryPolicy;
  setLatency(ms: number): void;
  latencyMs(): number;
  /** A submit failure rule (500, 503, 'timeout'); returns it with its id. */
  injectFailures(rule: FailureRuleInput): FailureRule;
  failures(): FailureRule[];
  clearFailures(): void;
  injectCallbackFault(fault: CallbackFaultInput): CallbackFault;
  callbackFaults(): CallbackFault[];
  clearCallbackFaults(): void;
  /** Sends the callbacks a `reorder` rule holds now, newest first; returns how many. */
  releaseHeldCallbacks(): number;
  checks(): CheckSummary[];
  callbacks(): CallbackEventView[];
  requests(): LoggedRequest[];
  /** Resolves when no callback attempt is in flight (in process only). */
  callbacksSettled(): Promise<void>;
}

export interface ControlDefaults {
  completionDelay: CompletionDelay;
  retry: RetryPolicy;
}

function summaryOf(check: Check): CheckSummary {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    reference: check.reference,
    clientReference: check.clientReference,
    status: check.status,
    result: check.result,
    submittedAt: iso(check.submittedAt),
    dueAt: iso(check.dueAt),
    completedAt: check.completedAt === null ? null : iso(check.completedAt),
    photo: { ...check.photo }
  };
}

export function validateCompletionDelay(input: unknown): CompletionDelay {
  const { minMs, maxMs } = (input ?? {}) as Record<string, unknown>;
  const ok = (value: unknown) =>
    Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= 365 * 86_400_000;
  if (!ok(minMs) || !ok(maxMs) || (minMs as number) > (maxMs as number)) {
    throw new RangeError('send {"minMs", "maxMs"}: whole ms from 0 to a year, minMs <= maxMs');
  }
  return { minMs: minMs as number, maxMs: maxMs as number };
}

function validateUrl(url: unknown): string | undefined {
  if (url === undefined || url === null) return undefined;
  if (typeof url !== 'string') throw new RangeError('url must be a string or null');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError('url must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RangeError('url must be an absolute http(s) URL');
  }
  return url;
}

export function createControl(
  ctx: BackCheckContext,
  defaults: ControlDefaults,
  completedLog: { take(): string[] }
): BackCheckSimulatorControl {
  const firstKey = () => ctx.clients.keys().next().value as string;
  const client = (apiKey = firstKey()) => {
    const entry = ctx.clients.get(apiKey);
    if (!entry) throw new RangeError('unknown apiKey');
    return entry;
  };
  const initialUrls = new Map([...ctx.clients].map(([key, { callbackUrl }]) => [key, callbackUrl]));
  return {
    reset() {
      ctx.store.reset();
      ctx.clock.reset();
      ctx.faults.reset();
      ctx.callbacks.reset();
      ctx.callbacks.retry = { ...defaults.retry };
      ctx.requests.reset();
      ctx.completionDelay = { ...defaults.completionDelay };
      for (const [key, url] of initialUrls) client(key).callbackUrl = url;
      completedLog.take();
    },
    advanceClock(ms) {
      completedLog.take();
      ctx.clock.advance(ms);
      return { now: new Date(ctx.clock.now()).toISOString(), completed: completedLog.take() };
    },
    clock: () => ({ now: new Date(ctx.clock.now()).toISOString(), offsetMs: ctx.clock.offset() }),
    setCompletionDelay(delay) {
      ctx.completionDelay = validateCompletionDelay(delay);
    },
    completionDelay: () => ({ ...ctx.completionDelay }),
    setCallbackUrl(url, apiKey) {
      client(apiKey).callbackUrl = validateUrl(url);
    },
    callbackUrl: (apiKey) => client(apiKey).callbackUrl,
    setRetryPolicy(policy) {
      ctx.callbacks.retry = validateRetryPolicy(policy, ctx.callbacks.retry);
      return { ...ctx.callbacks.retry };
    },
    retryPolicy: () => ({ ...ctx.callbacks.retry }),
    setLatency(ms) {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 600_000) {
        throw new RangeError('latency must be a number of ms from 0 to 600000');
      }
      ctx.faults.latencyMs = ms;
    },
    latencyMs: () => ctx.faults.latencyMs,
    injectFailures: (rule) => ctx.faults.add(validateRule(rule, [503, 500])),
    failures: () => ctx.faults.list(),
    clearFailures: () => ctx.faults.clear(),
    injectCallbackFault: (fault) => ctx.callbacks.addFault(validateCallbackFault(fault)),
    callbackFaults: () => ctx.callbacks.faults(),
    clearCallbackFaults: () => ctx.callbacks.clearFaults(),
    releaseHeldCallbacks: () => ctx.callbacks.releaseHeld(),
    checks: () => ctx.store.list().map(summaryOf),
    callbacks: () => ctx.callbacks.list(),
    requests: () => ctx.requests.list(),
    callbacksSettled: () => ctx.callbacks.settled()
  };
}
