/**
 * What every script shares: known-failure errors, the main wrapper that turns them into one
 * clear line and exit code 1 (no stack trace), and step/progress output for long operations.
 */
import { UsageError } from './args.ts';
import { SfCommandError, oneLine } from './sf.ts';

/** A known failure with a message meant for the user (printed as one line, exit code 1). */
export class ScriptError extends Error {
  override readonly name = 'ScriptError';
}

export interface Output {
  /** Progress and results (stdout). */
  info(line: string): void;
  /** Warnings and errors (stderr). */
  error(line: string): void;
}

export const consoleOutput: Output = {
  info: (line) => console.log(line),
  error: (line) => console.error(line)
};

/** One line describing a failed sf command, with sf's first suggested action when there is one. */
export function describeSfError(error: SfCommandError): string {
  const action = error.actions[0] ? ` Hint: ${oneLine(error.actions[0])}` : '';
  return `${error.command} failed: ${oneLine(error.message)} (${error.sfName})${action}`;
}

/** The one-line message for a known failure, or undefined for an unexpected error. */
export function knownFailureMessage(error: unknown): string | undefined {
  if (error instanceof UsageError) return `${error.message} Run with --help to see the options.`;
  if (error instanceof ScriptError) return oneLine(error.message);
  if (error instanceof SfCommandError) return describeSfError(error);
  return undefined;
}

/**
 * Runs a script's main function: exit code from its return value (0 by default), known
 * failures as `error: <one line>` and exit code 1; anything unexpected with its stack.
 */
export async function runMain(
  main: (argv: readonly string[]) => Promise<number | void>,
  argv: readonly string[] = process.argv.slice(2),
  output: Output = consoleOutput
): Promise<void> {
  try {
    process.exitCode = (await main(argv)) ?? 0;
  } catch (error) {
    const known = knownFailureMessage(error);
    output.error(
      known ? `error: ${known}` : `unexpected error: ${(error as Error).stack ?? String(error)}`
    );
    process.exitCode = 1;
  }
}

/** What `runUntilStopSignal` logs through (a pino/fastify logger fits). */
export interface StopLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * For a long-running command (the simulators): waits for SIGINT or SIGTERM, then runs `close`
 * and resolves. A second signal while closing stops waiting (exit code 130).
 */
export function runUntilStopSignal(close: () => Promise<void>, log: StopLogger): Promise<void> {
  return new Promise<void>((stopped) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      log.info({ signal }, 'shutting down');
      close()
        .catch((error: unknown) => log.error({ err: error }, 'error while closing'))
        .finally(() => stopped());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** 75_000 -> "1m 15s", 4_200 -> "4.2s". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes}m ${seconds}s`;
}

export interface StepReporterOptions {
  /** Print "still running" this often during a step (default 30 s; 0 disables). */
  heartbeatMs?: number;
  now?: () => number;
}

/** Prints "[3/6] Deploying source..." lines, a heartbeat during long steps, and durations. */
export class StepReporter {
  private index = 0;
  private readonly heartbeatMs: number;
  private readonly now: () => number;

  constructor(
    private readonly total: number,
    private readonly output: Output = consoleOutput,
    options: StepReporterOptions = {}
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  async step<T>(title: string, work: () => Promise<T> | T): Promise<T> {
    this.index += 1;
    this.output.info(`[${this.index}/${this.total}] ${title}...`);
    const started = this.now();
    const timer =
      this.heartbeatMs > 0
        ? setInterval(
            () =>
              this.output.info(`      ... still running (${formatDuration(this.now() - started)})`),
            this.heartbeatMs
          )
        : undefined;
    timer?.unref();
    try {
      const result = await work();
      this.output.info(`      done in ${formatDuration(this.now() - started)}`);
      return result;
    } finally {
      if (timer) clearInterval(timer);
    }
  }
}
