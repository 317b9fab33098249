/**
 * The simulator's control surface, programmatically (`control`) and over HTTP under `/__sim/`
 * (routes/control.ts): reset, latency, failure injection, the charges and the request counts.
 * Failure rules are the toolkit's (`toolkit/src/faults.ts`): `{ status: 503|500|'timeout',
 * count?, rate?, paths?, methods? }`; `paths` are prefixes such as `/v2/payments`.
 */
import { z } from 'zod';
import {
  validateRule,
  type FailureRule,
  type FailureRuleInput
} from '../../../toolkit/src/faults.ts';
import type { SecurePayContext } from './context.ts';
import type { AfterChargeStatus, ChargeSummary, RequestCounts } from './store.ts';

export interface SecurePaySimulatorControl {
  /** Forgets card tokens, payments, failure rules and counts; latency back to `latencyMs`. */
  reset(): void;
  setLatency(ms: number): void;
  latencyMs(): number;
  /** Adds a failure rule; returns it with its id. */
  injectFailures(rule: FailureRuleInput): FailureRule;
  failures(): FailureRule[];
  clearFailures(): void;
  /**
   * The next `count` new charges (default 1) are applied (the lookup finds them) but answered
   * with `status` (default 500): a gateway failing after its commit, a proxy timing out.
   */
  failAfterCharging(options?: { count?: number; status?: AfterChargeStatus }): void;
  /** Every payment attempt (paid or failed) in order: never a card number. */
  charges(): ChargeSummary[];
  requests(): RequestCounts;
}

const latencySchema = z.number().min(0).max(600_000);

export function createControl(ctx: SecurePayContext): SecurePaySimulatorControl {
  return {
    reset() {
      ctx.store.reset();
      ctx.faults.reset();
      ctx.requests.reset();
      ctx.afterCharge.reset();
    },
    setLatency(ms) {
      if (!latencySchema.safeParse(ms).success) {
        throw new RangeError('latency must be a number of ms from 0 to 600000');
      }
      ctx.faults.latencyMs = ms;
    },
    latencyMs: () => ctx.faults.latencyMs,
    injectFailures(rule) {
      return ctx.faults.add(validateRule(rule, [503, 500]));
    },
    failures: () => ctx.faults.list(),
    clearFailures: () => {
      ctx.faults.clear();
      ctx.afterCharge.reset();
    },
    failAfterCharging({ count = 1, status = 500 } = {}) {
      if (!Number.isSafeInteger(count) || count < 1) {
        throw new RangeError('count must be a whole number >= 1');
      }
      if (![500, 502, 504].includes(status)) throw new RangeError('status must be 500, 502 or 504');
      ctx.afterCharge.set(count, status);
    },
    charges: () => ctx.store.charges(),
    requests: () => ctx.requests.snapshot()
  };
}
