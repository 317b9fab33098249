// Graceful shutdown on SIGINT/SIGTERM: run registered steps one after another in `order`
// (stop accepting + drain HTTP, stop the services' workers, the queue, close the pool, stop the
// embedded PostgreSQL), each time-boxed so one stuck step cannot block the rest. Signals are read
// by the toolkit's listenForStop: copies of the first signal (a terminal's Ctrl+C reaches npm and
// node alike, npm forwards it again) are ignored, an operator's later second signal exits at once
// (128 + signal number), and the parent process exiting stops the process too.
import { EventEmitter } from 'node:events';
import { listenForStop } from '../../../toolkit/src/cli/signals.ts';
import type { Logger } from './logger.ts';

/** Conventional step orders; steps of equal order run in registration order. */
export const SHUTDOWN_ORDER = {
  /** Stop accepting requests, finish in-flight ones. */
  http: 10,
  /** Services' workers: subscriptions, batch loops, pending writes (they may still queue jobs). */
  workers: 15,
  /** Stop queue workers (running jobs finish or are failed for retry). */
  queue: 20,
  /** Other service steps. */
  services: 50,
  /** Close idle client connections (Salesforce). */
  clients: 70,
  /** Local stand-ins of the systems the services call (the lab's simulators). */
  dependencies: 75,
  /** Close the connection pool. */
  pool: 80,
  /** Stop the embedded PostgreSQL. */
  database: 90
} as const;

export interface ShutdownStepResult {
  name: string;
  status: 'ok' | 'failed' | 'timed_out';
  ms: number;
}

interface Step {
  name: string;
  order: number;
  timeoutMs: number;
  run: () => Promise<unknown>;
  seq: number;
}

export interface GracefulShutdownOptions {
  logger?: Logger;
  /** Default time box per step (default 10 s). */
  stepTimeoutMs?: number;
  /** Injected for tests; process.exit by default. */
  exit?: (code: number) => void;
  /** Emitter of the signals; `process` by default. */
  signalSource?: EventEmitter;
  signals?: readonly NodeJS.Signals[];
  /** Signals this soon after the first are copies of it (default 500 ms). */
  duplicateWindowMs?: number;
  /** Injected for tests. */
  now?: () => number;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGTERM: 15
};

export class GracefulShutdown {
  private readonly steps: Step[] = [];
  private readonly logger: Logger | undefined;
  private readonly stepTimeoutMs: number;
  private readonly exit: (code: number) => void;
  private readonly signalSource: EventEmitter;
  private readonly signals: readonly NodeJS.Signals[];
  private readonly duplicateWindowMs: number | undefined;
  private readonly now: (() => number) | undefined;
  private running: Promise<ShutdownStepResult[]> | undefined;
  private listening: { dispose(): void } | undefined;
  private seq = 0;

  constructor(options: GracefulShutdownOptions = {}) {
    this.logger = options.logger;
    this.stepTimeoutMs = options.stepTimeoutMs ?? 10_000;
    this.exit = options.exit ?? ((code) => process.exit(code));
    this.signalSource = options.signalSource ?? process;
    this.signals = options.signals ?? ['SIGINT', 'SIGTERM'];
    this.duplicateWindowMs = options.duplicateWindowMs;
    this.now = options.now;
  }

  /** Registers a step; `order` from SHUTDOWN_ORDER (default `services`). */
  add(
    name: string,
    run: () => Promise<unknown>,
    options: { order?: number; timeoutMs?: number } = {}
  ): this {
    this.steps.push({
      name,
      run,
      order: options.order ?? SHUTDOWN_ORDER.services,
      timeoutMs: options.timeoutMs ?? this.stepTimeoutMs,
      seq: this.seq++
    });
    return this;
  }

  get inProgress(): boolean {
    return this.running !== undefined;
  }

  /** Runs every step once (later calls return the same run). */
  run(reason = 'requested'): Promise<ShutdownStepResult[]> {
    this.running ??= this.runSteps(reason);
    return this.running;
  }

  private async runSteps(reason: string): Promise<ShutdownStepResult[]> {
    this.logger?.info({ reason }, 'shutting down');
    const ordered = [...this.steps].sort((a, b) => a.order - b.order || a.seq - b.seq);
    const results: ShutdownStepResult[] = [];
    for (const step of ordered) {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      let status: ShutdownStepResult['status'];
      try {
        const timedOut = await Promise.race([
          Promise.resolve()
            .then(step.run)
            .then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), step.timeoutMs);
          })
        ]);
        status = timedOut ? 'timed_out' : 'ok';
      } catch (error) {
        status = 'failed';
        this.logger?.error({ step: step.name, err: error }, 'shutdown step failed');
      } finally {
        clearTimeout(timer);
      }
      if (status === 'timed_out') {
        this.logger?.error(
          { step: step.name, timeoutMs: step.timeoutMs },
          'shutdown step timed out; continuing'
        );
      }
      const result = { name: step.name, status, ms: Date.now() - started };
      if (status === 'ok') this.logger?.info(result, 'shutdown step done');
      results.push(result);
    }
    this.logger?.info({ reason }, 'shutdown complete');
    return results;
  }

  /**
   * Listens for the signals (and the parent process exiting): the first runs the shutdown and
   * exits, an operator's second signal forces the exit.
   */
  install(): this {
    this.listening ??= listenForStop({
      source: this.signalSource,
      signals: this.signals,
      ...(this.duplicateWindowMs !== undefined
        ? { duplicateWindowMs: this.duplicateWindowMs }
        : {}),
      ...(this.now ? { now: this.now } : {}),
      onStop: (reason) => {
        this.logger?.info({ reason }, 'stop requested');
        this.run(reason).then(
          (results) => this.exit(results.every((r) => r.status === 'ok') ? 0 : 1),
          () => this.exit(1)
        );
      },
      onDuplicate: (signal) =>
        this.logger?.debug({ signal }, 'copy of the stop signal ignored (forwarded by a parent)'),
      onForce: (signal) => {
        this.logger?.warn({ signal }, 'second signal during shutdown: exiting now');
        this.exit(128 + (SIGNAL_NUMBERS[signal] ?? 15));
      }
    });
    return this;
  }

  uninstall(): void {
    this.listening?.dispose();
    this.listening = undefined;
  }
}
