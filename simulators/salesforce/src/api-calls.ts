import type { ApiCallCounter, DailyUsageLimit } from './model.ts';

type CallKind = 'rest' | 'bulk' | 'pubsub';

/**
 * API-call accounting as an org does it: every authenticated REST, Bulk and Pub/Sub request
 * counts against the daily allocation that `/limits` reports as DailyApiRequests.
 */
export function createApiCallCounter(dailyMax: number): ApiCallCounter {
  if (!Number.isSafeInteger(dailyMax) || dailyMax <= 0) {
    throw new RangeError(`dailyMax must be a positive integer, got ${dailyMax}`);
  }
  const counts: Record<CallKind, number> = { rest: 0, bulk: 0, pubsub: 0 };
  const used = new Map<DailyUsageLimit, number>();

  return {
    dailyMax,
    increment(kind: CallKind): void {
      counts[kind] += 1;
    },
    total: () => counts.rest + counts.bulk + counts.pubsub,
    byKind: () => ({ ...counts }),
    addUsage(limit, amount = 1): void {
      used.set(limit, (used.get(limit) ?? 0) + amount);
    },
    usage: (limit) => used.get(limit) ?? 0,
    reset(): void {
      used.clear();
      counts.rest = 0;
      counts.bulk = 0;
      counts.pubsub = 0;
    }
  };
}
