// Liveness and readiness, for orchestrators and load balancers. Both are public.
//   GET /healthz  200 {"status":"ok"} while the process serves HTTP at all.
//   GET /readyz   200 when every registered probe (database ping, Salesforce token, the
//                 services' workers such as a Pub/Sub subscription) passed its last check, 503
//                 otherwise, and 503 {"status":"draining"} once shutdown has begun so traffic
//                 moves away before the server stops accepting.
// Probes run in the background on an interval and /readyz answers from the last results: the
// endpoint is public, and a probe per request would let anyone turn requests into database
// round trips or (worse) Salesforce API calls, which count against the org's daily allowance.
// Probe failure details go to the log, not to the (unauthenticated) response.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../logger.ts';
import { jsonResponse } from './openapi.ts';

export type ReadinessProbe = () => Promise<void> | void;

export interface ReadinessReport {
  status: 'ready' | 'not_ready' | 'draining';
  checks: Record<string, 'ok' | 'failed' | 'pending'>;
}

export interface ReadinessOptions {
  logger?: Logger;
  /** Time box of one probe (default 2 s). */
  probeTimeoutMs?: number;
  /** How often probes run once started (default 5 s). */
  intervalMs?: number;
}

export class Readiness {
  private readonly probes = new Map<string, ReadinessProbe>();
  private readonly results = new Map<string, 'ok' | 'failed'>();
  private readonly failures = new Map<string, string>();
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly logger: Logger | undefined;
  private readonly probeTimeoutMs: number;
  private readonly intervalMs: number;

  constructor(options: ReadinessOptions = {}) {
    this.logger = options.logger;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 2000;
    this.intervalMs = options.intervalMs ?? 5000;
  }

  add(name: string, probe: ReadinessProbe): void {
    this.probes.set(name, probe);
  }

  /** Runs the probes now and then every interval (the platform starts it once it listens). */
  start(): Promise<void> {
    if (!this.timer) {
      this.timer = setInterval(() => void this.refresh(), this.intervalMs);
      this.timer.unref();
    }
    return this.refresh();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** From now on /readyz answers 503 draining. */
  startDraining(): void {
    this.draining = true;
    this.stop();
  }

  /** Runs every probe once (concurrent callers share the run) and keeps the results. */
  refresh(): Promise<void> {
    this.refreshing ??= this.runProbes().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async runProbes(): Promise<void> {
    await Promise.all(
      [...this.probes].map(async ([name, probe]) => {
        try {
          await withTimeout(
            Promise.resolve().then(probe),
            this.probeTimeoutMs,
            `probe ${name} timed out`
          );
          if (this.results.get(name) === 'failed')
            this.logger?.info({ probe: name }, 'readiness probe recovered');
          this.results.set(name, 'ok');
          this.failures.delete(name);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          // Logged when it starts failing or its reason changes, not every interval.
          if (this.failures.get(name) !== message)
            this.logger?.warn({ probe: name, err: error }, 'readiness probe failed');
          this.results.set(name, 'failed');
          this.failures.set(name, message);
        }
      })
    );
  }

  /** The last results; probes that have not run yet count as not ready. */
  report(): ReadinessReport {
    const checks: ReadinessReport['checks'] = {};
    for (const name of this.probes.keys()) checks[name] = this.results.get(name) ?? 'pending';
    const ready = Object.values(checks).every((result) => result === 'ok');
    return { status: this.draining ? 'draining' : ready ? 'ready' : 'not_ready', checks };
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      })
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const healthSchema = z.object({ status: z.literal('ok') });

export const readinessReportSchema = z
  .object({
    status: z.enum(['ready', 'not_ready', 'draining']),
    checks: z
      .record(z.string(), z.enum(['ok', 'failed', 'pending']))
      .meta({ description: 'The last result of each probe, by name.' })
  })
  .meta({ id: 'ReadinessReport', description: 'Readiness and the result of every probe.' });

export async function healthPlugin(app: FastifyInstance, options: { readiness: Readiness }) {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness: the process serves HTTP',
        tags: ['platform'],
        response: { 200: jsonResponse(healthSchema, 'The process is alive.') }
      }
    },
    async () => ({ status: 'ok' as const })
  );
  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: every probe passed its last check',
        description:
          'Answers from the results of the last probe interval (no probe runs per request); probe failure details are in the log only.',
        tags: ['platform'],
        response: {
          200: jsonResponse(readinessReportSchema, 'Ready: every probe passed.'),
          503: jsonResponse(
            readinessReportSchema,
            'Not ready (a probe failed or has not run yet), or draining for shutdown.'
          )
        }
      }
    },
    async (_request, reply) => {
      const report = options.readiness.report();
      return reply.code(report.status === 'ready' ? 200 : 503).send(report);
    }
  );
}
