/**
 * The simulator's control surface, the same operations programmatically (`control`) and over
 * HTTP under `/__sim/` (see routes/control.ts): reset, latency, failure injection, CSRF expiry,
 * the stored partners and the request counts.
 */
import type { SapContext } from './context.ts';
import type { FailureRule, FailureRuleInput } from '../../../toolkit/src/faults.ts';
import { validateRule } from '../../../toolkit/src/faults.ts';
import { FULL_EXPAND, Serializer } from './odata.ts';
import type { RequestCounts } from './request-log.ts';
import type { Json } from './validation.ts';

export interface SapSimulatorControl {
  /** Drops every partner, failure rule, session and count; latency back to the start value
   * (the `latencyMs` option). Numbers keep
   * counting up (SAP never reuses a number) unless `numbers: true`. */
  reset(options?: { numbers?: boolean }): void;
  setLatency(ms: number): void;
  latencyMs(): number;
  /** Adds a failure rule (see faults.ts); returns it with its id. */
  injectFailures(rule: FailureRuleInput): FailureRule;
  failures(): FailureRule[];
  clearFailures(): void;
  /** Ends every CSRF session: the next modifying request gets 403 `x-csrf-token: Required`. */
  expireCsrfTokens(): number;
  setCsrfTokenLifetime(ms: number): void;
  /** Every stored partner, fully expanded, in the OData JSON shape (without `d`). */
  partners(): Json[];
  partner(number: string): Json | undefined;
  requests(): RequestCounts;
  resetRequests(): void;
}

export function createControl(ctx: SapContext, serviceUrl: () => string): SapSimulatorControl {
  const serializer = () => new Serializer(serviceUrl());
  return {
    reset(options = {}) {
      ctx.store.reset(options);
      ctx.faults.reset();
      ctx.csrf.expireAll();
      ctx.requests.reset();
    },
    setLatency(ms) {
      if (!Number.isFinite(ms) || ms < 0 || ms > 600_000) {
        throw new RangeError('latency must be from 0 to 600000 ms');
      }
      ctx.faults.latencyMs = ms;
    },
    latencyMs: () => ctx.faults.latencyMs,
    injectFailures: (rule) => ctx.faults.add(validateRule(rule)),
    failures: () => ctx.faults.list(),
    clearFailures: () => ctx.faults.clear(),
    expireCsrfTokens: () => ctx.csrf.expireAll(),
    setCsrfTokenLifetime(ms) {
      if (!Number.isFinite(ms) || ms <= 0) throw new RangeError('lifetime must be > 0 ms');
      ctx.csrf.lifetimeMs = ms;
    },
    partners: () => ctx.store.list().map((p) => serializer().partner(p, FULL_EXPAND)),
    partner(number) {
      const partner = ctx.store.get(number);
      return partner ? serializer().partner(partner, FULL_EXPAND) : undefined;
    },
    requests: () => ctx.requests.snapshot(),
    resetRequests: () => ctx.requests.reset()
  };
}
