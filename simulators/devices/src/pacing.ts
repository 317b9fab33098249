// Time and pace of a fleet: the clock readings are stamped with (real, or simulated to run a
// day in minutes) and the fleet-wide rate cap.

export interface SimulatedClock {
  /** Simulated time at the start (ms since the epoch). */
  startMs: number;
  /** Simulated milliseconds per real millisecond (1 = real time). */
  speed: number;
}

export class FleetClock {
  private readonly realStart = Date.now();
  readonly startMs: number;
  readonly speed: number;

  constructor(clock?: SimulatedClock) {
    this.startMs = clock?.startMs ?? this.realStart;
    this.speed = clock?.speed ?? 1;
    if (!(this.speed > 0)) throw new Error('The clock speed must be above 0.');
  }

  now(): number {
    return this.startMs + (Date.now() - this.realStart) * this.speed;
  }

  /** Real milliseconds until the simulated time `ts`. */
  realDelayUntil(ts: number): number {
    return Math.max(0, (ts - this.now()) / this.speed);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The cap on messages per second over the whole fleet: each message takes the next free slot
 * (1/rate apart) and waits for it, so the cap holds over any window, not just on average.
 */
export class RateCap {
  private nextSlot = 0;
  constructor(private readonly perSecond: number | undefined) {
    if (perSecond !== undefined && !(perSecond > 0))
      throw new Error('The rate cap must be above 0.');
  }

  async take(): Promise<void> {
    if (this.perSecond === undefined) return;
    const now = performance.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + 1000 / this.perSecond;
    if (slot > now + 1) await new Promise((resolve) => setTimeout(resolve, slot - now));
  }
}
