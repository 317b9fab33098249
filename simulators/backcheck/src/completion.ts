/**
 * A check's life after it is accepted: it completes when its due time comes on the simulator's
 * clock (a delay drawn uniformly from the configured range, 2-3 days by default), takes the
 * result its passport number decides (results.ts) and emits its callback.
 */
import type { BackCheckContext } from './context.ts';
import { resultFor } from './results.ts';
import type { Check } from './store.ts';

export const DAY_MS = 86_400_000;
export const DEFAULT_COMPLETION_DELAY = { minMs: 2 * DAY_MS, maxMs: 3 * DAY_MS };

export function drawDelay(ctx: BackCheckContext): number {
  const { minMs, maxMs } = ctx.completionDelay;
  return Math.round(minMs + ctx.random() * (maxMs - minMs));
}

/** Schedules the completion; `onComplete` hears of every completed check (the clock control). */
export function scheduleCompletion(
  ctx: BackCheckContext,
  check: Check,
  onComplete: (check: Check) => void
): void {
  ctx.clock.at(check.dueAt, () => {
    if (ctx.store.get(check.reference) !== check || check.status !== 'pending') return;
    const { result, notes } = resultFor(check.passportNumber);
    check.status = 'completed';
    check.result = result;
    check.notes = notes;
    // Completed when it was due, even when the clock was moved well past that.
    check.completedAt = check.dueAt;
    onComplete(check);
    ctx.callbacks.emit(check);
  });
}
