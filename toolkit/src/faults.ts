/**
 * Fault injection for the simulators: a fixed latency before every answer and failure rules.
 * A rule fails matching requests with an HTTP status (each simulator answers it with its own
 * error body, e.g. SAP's OData error with `Retry-After` on 429), or with 'timeout': the request
 * is held open (no answer within any sane client timeout) until the hold time passes or the
 * simulator closes. A rule with `count` fails the next N matching requests; with `rate` each
 * matching request fails with that probability (from a seeded generator, so runs repeat), for
 * at most `count` failures when both are given.
 */

export type FailureStatus = 500 | 503 | 429;
export type FailureKind = FailureStatus | 'timeout';

export interface FailureRuleInput {
  status: FailureKind;
  /** Fail the next N matching requests (default 1 unless `rate` is given). */
  count?: number;
  /** Fail each matching request with this probability, 0..1. */
  rate?: number;
  /** Only requests whose path below the service root starts with one of these (e.g. `A_BusinessPartner`). */
  paths?: string[];
  /** Only these HTTP methods (e.g. `['POST', 'PATCH']`). */
  methods?: string[];
}

export interface FailureRule extends FailureRuleInput {
  id: number;
  /** Failures still to inject (undefined: unlimited, for a rate rule). */
  remaining?: number;
  injected: number;
}

export const DEFAULT_TIMEOUT_HOLD_MS = 60_000;

/** mulberry32: a small seeded generator, enough for reproducible failure rates. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Checks a rule sent to a simulator's control API; `statuses` are the HTTP statuses that
 * simulator can inject (besides 'timeout').
 */
export function validateRule(
  input: unknown,
  statuses: readonly FailureStatus[] = [503, 500, 429]
): FailureRuleInput {
  const body = (input ?? {}) as Record<string, unknown>;
  const { status, count, rate, paths, methods } = body;
  if (status !== 'timeout' && !statuses.includes(status as FailureStatus)) {
    throw new RangeError(`status must be ${statuses.join(', ')} or 'timeout'`);
  }
  if (count !== undefined && (!Number.isSafeInteger(count) || (count as number) < 1)) {
    throw new RangeError('count must be a whole number >= 1');
  }
  if (rate !== undefined && (typeof rate !== 'number' || rate < 0 || rate > 1)) {
    throw new RangeError('rate must be a number from 0 to 1');
  }
  const strings = (value: unknown, name: string) => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
      throw new RangeError(`${name} must be an array of strings`);
    return value as string[];
  };
  const pathList = strings(paths, 'paths');
  const methodList = strings(methods, 'methods')?.map((m) => m.toUpperCase());
  return {
    status: status as FailureKind,
    ...(count !== undefined ? { count: count as number } : {}),
    ...(rate !== undefined ? { rate } : {}),
    ...(pathList ? { paths: pathList } : {}),
    ...(methodList ? { methods: methodList } : {})
  };
}

export class Faults {
  latencyMs: number;
  private rules: FailureRule[] = [];
  private nextId = 1;
  private random: () => number;
  private readonly holds = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly initialLatencyMs = 0,
    private readonly seed = 1,
    readonly timeoutHoldMs = DEFAULT_TIMEOUT_HOLD_MS
  ) {
    this.latencyMs = initialLatencyMs;
    this.random = seeded(seed);
  }

  add(input: FailureRuleInput): FailureRule {
    const rule: FailureRule = {
      ...input,
      id: this.nextId++,
      injected: 0,
      ...(input.count !== undefined
        ? { remaining: input.count }
        : input.rate === undefined
          ? { remaining: 1 }
          : {})
    };
    this.rules.push(rule);
    return rule;
  }

  list(): FailureRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  clear(): void {
    this.rules = [];
  }

  reset(): void {
    this.clear();
    this.latencyMs = this.initialLatencyMs;
    this.random = seeded(this.seed);
  }

  /** The failure to inject for this request, if a rule fires (consuming one of its count). */
  pick(method: string, path: string): FailureKind | undefined {
    for (const rule of this.rules) {
      if (rule.methods && !rule.methods.includes(method.toUpperCase())) continue;
      if (rule.paths && !rule.paths.some((prefix) => path.startsWith(prefix.replace(/^\/+/, ''))))
        continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      rule.injected++;
      if (rule.remaining !== undefined) {
        rule.remaining--;
        if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
      }
      return rule.status;
    }
    return undefined;
  }

  async delay(): Promise<void> {
    if (this.latencyMs > 0) await this.wait(this.latencyMs);
  }

  /** Holds a 'timeout' request; resolves true when the simulator closes meanwhile. */
  async hold(): Promise<boolean> {
    await this.wait(this.timeoutHoldMs);
    return this.closed;
  }

  /** Lets every held or delayed request go (on close). */
  release(): void {
    this.closed = true;
    for (const wake of this.holds) wake();
    this.holds.clear();
  }

  private wait(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.holds.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.holds.add(wake);
    });
  }
}
