/**
 * Faults the test driver arms on Bulk API 2.0 query jobs, so a client's error and resume paths
 * can be exercised against the failures a real org produces:
 *
 * - a query job that ends `Failed` (or `Aborted`, as when an admin aborts it) with an
 *   `errorMessage` in its job info. By default the message Salesforce documents for a query
 *   whose results could not be retrieved ("How Bulk Queries Are Processed": after 15 attempts
 *   the job fails with "Retried more than fifteen times"). A real job fails before any result
 *   exists (results are served only once a job is JobComplete), so this is the whole fault;
 * - a results request that fails on the wire: a 5xx answer, or the connection dropped after some
 *   bytes of the set, which is what a client resuming by locator has to survive.
 *
 * Each fault applies to the next `count` matching requests and is then spent.
 */
import type { EmulatorContext } from '../model.ts';

/** Salesforce's text for a query whose results could not be retrieved (older orgs: fifteen). */
export const DEFAULT_QUERY_FAILURE = 'Retried more than fifteen times';

export interface QueryJobFault {
  /** Only jobs on this object (API name, case-insensitive); every job when absent. */
  object?: string;
  state: 'Failed' | 'Aborted';
  message: string;
  /** Jobs still to be hit. */
  remaining: number;
}

export type ResultsFault =
  | { kind: 'status'; status: number; remaining: number }
  /** Sends the headers and `afterBytes` bytes of the set's CSV, then drops the connection. */
  | { kind: 'drop'; afterBytes: number; remaining: number };

export class BulkFaults {
  private queryJobs: QueryJobFault[] = [];
  private results: ResultsFault[] = [];

  armQueryJob(fault: QueryJobFault): void {
    this.queryJobs.push(fault);
  }

  armResults(fault: ResultsFault): void {
    this.results.push(fault);
  }

  /** The fault a new query job on `object` meets, if any (spending one of its count). */
  takeQueryJob(object: string): { state: 'Failed' | 'Aborted'; message: string } | undefined {
    const fault = this.queryJobs.find(
      (candidate) =>
        candidate.object === undefined || candidate.object.toLowerCase() === object.toLowerCase()
    );
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.queryJobs = this.queryJobs.filter((other) => other !== fault);
    return { state: fault.state, message: fault.message };
  }

  /** The fault the next results request meets, if any (spending one of its count). */
  takeResults(): ResultsFault | undefined {
    const [fault] = this.results;
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.results.shift();
    return fault;
  }

  /** What is still armed (driver `GET /__emulator/faults`). */
  armed(): { bulkQuery: QueryJobFault[]; bulkResults: ResultsFault[] } {
    return {
      bulkQuery: this.queryJobs.map((fault) => ({ ...fault })),
      bulkResults: this.results.map((fault) => ({ ...fault }))
    };
  }

  clear(): void {
    this.queryJobs = [];
    this.results = [];
  }
}

const faults = new WeakMap<EmulatorContext, BulkFaults>();

/** The bulk faults of an emulator (one set per context, shared by the driver and the routes). */
export function bulkFaultsOf(ctx: EmulatorContext): BulkFaults {
  let found = faults.get(ctx);
  if (found === undefined) {
    found = new BulkFaults();
    faults.set(ctx, found);
  }
  return found;
}
