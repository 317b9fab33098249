/**
 * The agency API's requests as the simulator saw them, newest last (the last 1000): method,
 * route pattern, status, the reference concerned and whether a fault or an idempotent replay
 * answered. Never a body, a header value or a subject's data.
 */
export interface LoggedRequest {
  at: string;
  method: string;
  /** The route pattern (`/v1/checks/:reference`) or, when no route matched, the path. */
  route: string;
  status: number;
  reference?: string;
  /** An injected submit failure (`500`, `503`, `timeout`). */
  injected?: string;
  replayed?: boolean;
}

const KEEP = 1000;

export class RequestLog {
  private entries: LoggedRequest[] = [];

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > KEEP) this.entries.splice(0, this.entries.length - KEEP);
  }

  list(): LoggedRequest[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  reset(): void {
    this.entries = [];
  }
}
