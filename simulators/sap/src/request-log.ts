/**
 * Counts of the SAP requests the simulator received, by method and path pattern (keys
 * replaced by `(...)`), e.g. `POST A_BusinessPartner`, `PATCH A_BusinessPartner(...)`,
 * `GET (service root)`. Failed and injected requests count too.
 */
export interface RequestCounts {
  total: number;
  byRoute: Record<string, number>;
  /** Token fetches (`x-csrf-token: Fetch`). */
  csrfFetches: number;
  /** Requests that failed through an injected failure. */
  injectedFailures: number;
}

export function routePattern(method: string, path: string): string {
  const pattern = path.replace(/\([^)]*\)/g, '(...)');
  return `${method} ${pattern === '' ? '(service root)' : pattern}`;
}

export class RequestLog {
  private counts: RequestCounts = this.empty();

  count(method: string, path: string): void {
    const key = routePattern(method, path);
    this.counts.total++;
    this.counts.byRoute[key] = (this.counts.byRoute[key] ?? 0) + 1;
  }

  csrfFetch(): void {
    this.counts.csrfFetches++;
  }

  injected(): void {
    this.counts.injectedFailures++;
  }

  snapshot(): RequestCounts {
    return { ...this.counts, byRoute: { ...this.counts.byRoute } };
  }

  reset(): void {
    this.counts = this.empty();
  }

  private empty(): RequestCounts {
    return { total: 0, byRoute: {}, csrfFetches: 0, injectedFailures: 0 };
  }
}
