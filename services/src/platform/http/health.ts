// Liveness and readiness, for orchestrators and load balancers. Both are public.
//   GET /healthz  200 {"status":"ok"} while the process serves HTTP at all.
//   GET /readyz   200 when every registered probe (database ping, ...) passes within its time
//                 box, 503 otherwise, and 503 {"status":"draining"} once shutdown has begun so
//                 traffic moves away before the server stops accepting.
// Probe failure details go to the log, not to the (unauthenticated) response.
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logger.ts';

export type ReadinessProbe = () => Promise<void>;

export interface ReadinessReport {
  status: 'ready' | 'not_ready' | 'draining';
  checks: Record<string, 'ok' | 'failed'>;
}

export class Readiness {
  private readonly probes = new Map<string, ReadinessProbe>();
  private draining = false;

  constructor(
    private readonly logger?: Logger,
    private readonly probeTimeoutMs = 2000
  ) {}

  add(name: string, probe: ReadinessProbe): void {
    this.probes.set(name, probe);
  }

  remove(name: string): void {
    this.probes.delete(name);
  }

  /** From now on /readyz answers 503 draining. */
  startDraining(): void {
    this.draining = true;
  }

  async check(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.probes].map(async ([name, probe]) => {
        try {
          await withTimeout(probe(), this.probeTimeoutMs, `probe ${name} timed out`);
          return [name, 'ok'] as const;
        } catch (error) {
          this.logger?.warn({ probe: name, err: error }, 'readiness probe failed');
          return [name, 'failed'] as const;
        }
      })
    );
    const checks = Object.fromEntries(entries);
    const failed = entries.some(([, result]) => result === 'failed');
    return { status: this.draining ? 'draining' : failed ? 'not_ready' : 'ready', checks };
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

export async function healthPlugin(app: FastifyInstance, options: { readiness: Readiness }) {
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true } }, async (_request, reply) => {
    const report = await options.readiness.check();
    return reply.code(report.status === 'ready' ? 200 : 503).send(report);
  });
}
