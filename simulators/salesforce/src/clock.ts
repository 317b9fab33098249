import type { Clock } from './model.ts';

/**
 * Emulated time: the real clock shifted by everything tests have advanced it. Time keeps flowing
 * (tokens and events age as they would in an org) and `advance` jumps ahead without waiting.
 * With `start`, the clock begins at that instant instead of now.
 */
export function createClock(start?: Date): Clock {
  const createdAt = Date.now();
  const startOffset = start === undefined ? 0 : start.getTime() - createdAt;
  let advancedMs = 0;
  const listeners: Array<() => void> = [];

  return {
    now: () => new Date(Date.now() + startOffset + advancedMs),
    advance(ms: number): void {
      if (!Number.isFinite(ms) || ms < 0) {
        throw new RangeError(`The clock only moves forward by a finite number of ms, got ${ms}`);
      }
      advancedMs += ms;
      for (const listener of listeners) listener();
    },
    onAdvance(listener: () => void): void {
      listeners.push(listener);
    },
    reset(): void {
      advancedMs = 0;
    }
  };
}
