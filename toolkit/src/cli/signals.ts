/**
 * Stopping long-running commands (the simulators, the lab, the services) on SIGINT/SIGTERM.
 */

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
