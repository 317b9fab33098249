/**
 * What every command-line entry point shares (scripts, simulators, the gate): known-failure
 * errors, the main wrapper that turns them into one clear line and exit code 1 (no stack trace),
 * and durations for progress output.
 */
import { UsageError } from './args.ts';

/** A known failure with a message meant for the user (printed as one line, exit code 1). */
export class ScriptError extends Error {
  override readonly name = 'ScriptError';
}

/**
 * An error of a lower layer that knows how to describe itself on one line for the user (e.g. a
 * failed `sf` command). runMain prints it like a ScriptError.
 */
export interface DescribedFailure {
  describeFailure(): string;
}

function isDescribedFailure(error: unknown): error is DescribedFailure {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as Partial<DescribedFailure>).describeFailure === 'function'
  );
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

/** Collapses multi-line messages into one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The one-line message for a known failure, or undefined for an unexpected error. */
export function knownFailureMessage(error: unknown): string | undefined {
  if (error instanceof UsageError) return `${error.message} Run with --help to see the options.`;
  if (error instanceof ScriptError) return oneLine(error.message);
  if (isDescribedFailure(error)) return error.describeFailure();
  return undefined;
}

/**
 * Runs a command's main function: exit code from its return value (0 by default), known
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

/** 75_000 -> "1m 15s", 4_200 -> "4.2s". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes}m ${seconds}s`;
}
