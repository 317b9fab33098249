// API-call accounting of the Salesforce clients.
//
// An org allows a fixed number of API calls per rolling 24 hours, shared by every integration,
// so each scenario has to prove what it spends ("0.05 API calls per account"). Every HTTP request
// the clients send to the REST or Bulk API goes through one meter, labelled with the operation
// that sent it (`rest.query`, `rest.collections.create`, `bulk.query.poll`...). OAuth token
// requests are not API calls in Salesforce's accounting and are counted apart.
//
// A request answered 401 INVALID_SESSION_ID did not count in the org (it never authenticated),
// so `total()` excludes it; `sent()` includes it. The meter also keeps the org's own figure from
// the last `Sforce-Limit-Info: api-usage=used/max` header it saw.
import { Counter, type Registry } from 'prom-client';

export type ApiCallOutcome = 'ok' | 'error' | 'unauthorized';

export interface ApiUsage {
  used: number;
  max: number;
}

export interface ApiCallMeter {
  /** Records one request sent to the API. */
  record(operation: string, outcome: ApiCallOutcome): void;
  /** Records one OAuth token request (not an API call). */
  recordTokenRequest(outcome: 'ok' | 'error'): void;
  /** Takes the org's figure from a `Sforce-Limit-Info` header value. */
  observeLimitInfo(header: string | null): void;
  /** Requests the org counted (everything but 401 answers). */
  total(): number;
  /** Every request sent, 401 answers included. */
  sent(): number;
  /** Counted requests per operation. */
  byOperation(): Record<string, number>;
  tokenRequests(): number;
  /** The org's own count at the last answer (`api-usage=used/max`), if any was seen. */
  lastReportedUsage(): ApiUsage | undefined;
  reset(): void;
}

export interface ApiCallMeterOptions {
  /**
   * A prom-client registry to expose `salesforce_api_calls_total{operation,outcome}` and
   * `salesforce_oauth_token_requests_total{outcome}` on (the service's /metrics).
   */
  registry?: Registry;
}

const LIMIT_INFO = /api-usage=(\d+)\/(\d+)/;

export function createApiCallMeter(options: ApiCallMeterOptions = {}): ApiCallMeter {
  const counted = new Map<string, number>();
  let unauthorized = 0;
  let tokens = 0;
  let usage: ApiUsage | undefined;

  const registry = options.registry;
  const callCounter = registry
    ? ((registry.getSingleMetric('salesforce_api_calls_total') as Counter<string> | undefined) ??
      new Counter({
        name: 'salesforce_api_calls_total',
        help: 'HTTP requests sent to the Salesforce REST and Bulk APIs, by client operation and outcome.',
        labelNames: ['operation', 'outcome'],
        registers: [registry]
      }))
    : undefined;
  const tokenCounter = registry
    ? ((registry.getSingleMetric('salesforce_oauth_token_requests_total') as
        Counter<string> | undefined) ??
      new Counter({
        name: 'salesforce_oauth_token_requests_total',
        help: 'OAuth token requests sent to Salesforce (not API calls), by outcome.',
        labelNames: ['outcome'],
        registers: [registry]
      }))
    : undefined;

  return {
    record(operation, outcome) {
      callCounter?.inc({ operation, outcome });
      if (outcome === 'unauthorized') {
        unauthorized += 1;
        return;
      }
      counted.set(operation, (counted.get(operation) ?? 0) + 1);
    },
    recordTokenRequest(outcome) {
      tokenCounter?.inc({ outcome });
      tokens += 1;
    },
    observeLimitInfo(header) {
      const match = header ? LIMIT_INFO.exec(header) : null;
      if (match) usage = { used: Number(match[1]), max: Number(match[2]) };
    },
    total() {
      let sum = 0;
      for (const value of counted.values()) sum += value;
      return sum;
    },
    sent() {
      return this.total() + unauthorized;
    },
    byOperation() {
      return Object.fromEntries([...counted.entries()].sort(([a], [b]) => a.localeCompare(b)));
    },
    tokenRequests() {
      return tokens;
    },
    lastReportedUsage() {
      return usage;
    },
    reset() {
      counted.clear();
      unauthorized = 0;
      tokens = 0;
      usage = undefined;
    }
  };
}
