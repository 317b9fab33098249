// Waiting in tests (and benches) for something that happens in the background: another process,
// a stream, a job. The one polling loop of the project: a clear message naming what was awaited
// when it times out.

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between polls (default 10 ms). */
  intervalMs?: number;
  /** Called about every 5 s while waiting (progress lines of long benches). */
  onWait?: () => void;
}

/**
 * Polls `probe` until it returns a value other than undefined, and returns it; throws
 * `timed out waiting for <what>` once the timeout has passed.
 */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string | (() => string),
  options: WaitOptions = {}
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let nextProgress = Date.now() + 5000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    if (options.onWait && Date.now() >= nextProgress) {
      options.onWait();
      nextProgress = Date.now() + 5000;
    }
    await sleep(options.intervalMs ?? 10);
  }
}

/** Polls `predicate` until it holds; throws `timed out waiting for <what>` after the timeout. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutOrOptions: number | WaitOptions = {}
): Promise<void> {
  const options =
    typeof timeoutOrOptions === 'number' ? { timeoutMs: timeoutOrOptions } : timeoutOrOptions;
  await eventually(async () => ((await predicate()) ? true : undefined), what, options);
}
