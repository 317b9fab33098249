/**
 * Stopping long-running commands (the services, the lab, the simulators) the way operators and
 * supervisors expect, whatever sits between them and the process.
 *
 * - The first SIGINT/SIGTERM starts a graceful stop.
 * - The same signal often arrives more than once within milliseconds: Ctrl+C on a terminal
 *   signals the whole foreground process group (npm, sh and node alike), and npm then forwards
 *   what it received to its child. Signals within `duplicateWindowMs` of the first are those
 *   copies, not an operator's second Ctrl+C, and are ignored.
 * - A signal after that window is the operator insisting: the caller exits at once.
 * - When the parent process goes away (a container runtime or `kill` sent SIGTERM to npm alone,
 *   and npm exits without waiting for its child), nothing would ever stop this process: the
 *   parent id is watched, and a change stops it gracefully too.
 */
import type { EventEmitter } from 'node:events';

export interface StopSignalOptions {
  /** The graceful stop: the first signal, or the parent process exiting. Called once. */
  onStop(reason: string): void;
  /** An operator's second signal while stopping. */
  onForce(signal: NodeJS.Signals): void;
  /** A copy of the first signal arrived and was ignored. */
  onDuplicate?(signal: NodeJS.Signals): void;
  signals?: readonly NodeJS.Signals[];
  /** Signals this soon after the first are copies (default 500 ms). */
  duplicateWindowMs?: number;
  /** Stop when the parent process exits (default: for `process` when npm started it). */
  watchParent?: boolean;
  parentPollMs?: number;
  /** Where signals come from (tests pass an EventEmitter); `process` by default. */
  source?: EventEmitter;
  now?: () => number;
}

export const DUPLICATE_SIGNAL_WINDOW_MS = 500;

/**
 * npm runs the script in a child and does not wait for it when it is killed itself: that is the
 * orphan the parent watch is for. A process started otherwise (`nohup ... &` from a deploy
 * script, a daemoniser that forks) outlives its launcher on purpose.
 */
function startedByNpm(): boolean {
  return process.env.npm_lifecycle_event !== undefined;
}

/** Starts listening; `dispose()` removes the listeners and the parent watch. */
export function listenForStop(options: StopSignalOptions): { dispose(): void } {
  const source = options.source ?? process;
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const window = options.duplicateWindowMs ?? DUPLICATE_SIGNAL_WINDOW_MS;
  const now = options.now ?? Date.now;
  let stoppedAt: number | undefined;

  const stop = (reason: string) => {
    if (stoppedAt !== undefined) return;
    stoppedAt = now();
    options.onStop(reason);
  };
  const listener = (signal: NodeJS.Signals) => {
    if (stoppedAt === undefined) return stop(signal);
    if (now() - stoppedAt < window) return options.onDuplicate?.(signal);
    options.onForce(signal);
  };
  // One closure per signal: an emitter (tests) does not pass the name as process does.
  const listeners = new Map(signals.map((signal) => [signal, () => listener(signal)]));
  for (const [signal, handler] of listeners) source.on(signal, handler);

  let parentWatch: NodeJS.Timeout | undefined;
  if (options.watchParent ?? (source === process && startedByNpm())) {
    const parent = process.ppid;
    parentWatch = setInterval(() => {
      if (process.ppid !== parent) {
        clearInterval(parentWatch);
        stop('parent process exited');
      }
    }, options.parentPollMs ?? 500);
    parentWatch.unref();
  }

  return {
    dispose() {
      for (const [signal, handler] of listeners) source.off(signal, handler);
      clearInterval(parentWatch);
    }
  };
}

/** What `runUntilStopSignal` logs through (a pino/fastify logger fits). */
export interface StopLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * For a long-running command (the simulators): waits for a stop (see the file comment), then
 * runs `close` and resolves. An operator's second signal while closing exits at once (130).
 */
export function runUntilStopSignal(close: () => Promise<void>, log: StopLogger): Promise<void> {
  return new Promise<void>((stopped) => {
    const listening = listenForStop({
      onStop(reason) {
        log.info({ reason }, 'shutting down');
        close()
          .catch((error: unknown) => log.error({ err: error }, 'error while closing'))
          .finally(() => {
            listening.dispose();
            stopped();
          });
      },
      onForce: () => process.exit(130)
    });
  });
}
