/**
 * The simulator's clock: wall time plus an offset that only grows. Checks complete and
 * callbacks are retried on it; `advance(ms)` moves it forward and runs at once whatever fell
 * due, so a test turns BackCheck's 2-3 days into milliseconds. Left alone it runs in real time
 * (a real timer wakes it for the earliest task), so a standalone simulator completes a check
 * after real days, as the agency would.
 *
 * Callback signatures are stamped with the wall clock instead (see callbacks.ts): a receiver
 * checks them against its own clock, which tests do not advance.
 */

/** Node's timers overflow past 2^31 - 1 ms (about 24.8 days): sleep in slices. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Task {
  id: number;
  dueAt: number;
  run: () => void;
}

export class SimClock {
  private offsetMs = 0;
  private tasks: Task[] = [];
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly wallClock: () => number = Date.now) {}

  /** Simulated now, in ms since the epoch. */
  now(): number {
    return this.wallClock() + this.offsetMs;
  }

  /** How far the clock has been advanced beyond wall time. */
  offset(): number {
    return this.offsetMs;
  }

  /** Runs `run` when the simulated time reaches `dueAt`; returns an id for `cancel`. */
  at(dueAt: number, run: () => void): number {
    const task = { id: this.nextId++, dueAt, run };
    this.tasks.push(task);
    this.tasks.sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
    this.arm();
    return task.id;
  }

  after(ms: number, run: () => void): number {
    return this.at(this.now() + ms, run);
  }

  cancel(id: number): void {
    this.tasks = this.tasks.filter((task) => task.id !== id);
    this.arm();
  }

  /** Moves simulated time forward and runs every task now due, in due order. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('ms must be a number >= 0');
    this.offsetMs += ms;
    this.runDue();
  }

  /** When the earliest waiting task is due (simulated ms), if any. */
  nextDueAt(): number | undefined {
    return this.tasks[0]?.dueAt;
  }

  pending(): number {
    return this.tasks.length;
  }

  /** Drops every task and the offset (the simulator's reset). */
  reset(): void {
    this.tasks = [];
    this.offsetMs = 0;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.tasks = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private runDue(): void {
    const now = this.now();
    // A task may schedule another one that is due at once: loop until none is.
    for (let task = this.tasks[0]; task && task.dueAt <= now; task = this.tasks[0]) {
      this.tasks.shift();
      task.run();
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.tasks[0];
    if (!next || this.stopped) return;
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, next.dueAt - this.now()));
    this.timer = setTimeout(() => this.runDue(), wait);
    this.timer.unref();
  }
}
