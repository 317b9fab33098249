/**
 * Step and progress output for the org scripts' long operations. The generic command-line
 * pieces (runMain, ScriptError, Output) are the toolkit's (toolkit/src/cli/main.ts).
 */
import { consoleOutput, formatDuration, type Output } from '../../toolkit/src/cli/main.ts';

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
