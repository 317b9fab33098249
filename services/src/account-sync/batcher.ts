// The batch processor: takes up to batchSize events from the inbox (lingering up to maxWaitMs for
// a fuller batch), coalesces them per account, syncs the batch, queues transient failures for
// retry, and removes the events; between batches it runs the retries that are due. Runs in one
// instance at a time (the caller holds a lease), so nothing else talks to SAP concurrently.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from '../platform/index.ts';
import { jitteredDelay, type BackoffOptions } from '../../../toolkit/src/backoff.ts';
import { coalesce } from './coalescer.ts';
import { readInbox, removeFromInbox, type InboxRow } from './inbox.ts';
import { writeCheckpoint } from './reconcile.ts';
import { syncBatch, type BatchResult, type SyncDeps } from './sync-batch.ts';

/** After a failed batch (database or Salesforce unreachable): 0.4 s doubling to 30 s, jittered. */
const BATCH_BACKOFF: BackoffOptions = { initialDelayMs: 200, maxDelayMs: 30_000, factor: 2 };

export interface BatcherOptions {
  pool: pg.Pool;
  deps: SyncDeps;
  batchSize: number;
  maxWaitMs: number;
  /** Hands transient failures to the retry queue. */
  retry: (transient: BatchResult['transient']) => Promise<void>;
  logger?: Logger | undefined;
  /** Due retries, processed by this loop between inbox batches (returns how many it took). */
  retries?: { process: () => Promise<number>; pollMs: number };
  /** Called after each batch (tests, metrics). */
  onBatch?: (result: BatchResult, events: number, seconds: number) => void;
  /**
   * The kill switch: while it answers false the loop takes nothing (no inbox batch, no due
   * retry), so nothing reaches SAP; events and retry jobs wait where they are. A batch already
   * running when it turns false finishes.
   */
  isOpen?: () => boolean;
}

export class Batcher {
  private wake: (() => void) | undefined;

  constructor(private readonly options: BatcherOptions) {}

  /** New events arrived (the subscriber's handler in this process): stop waiting. */
  kick(): void {
    this.wake?.();
  }

  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    await Promise.race([
      sleep(ms, undefined, { signal }).catch(() => undefined),
      new Promise<void>((resolve) => (this.wake = resolve))
    ]);
    this.wake = undefined;
  }

  /** Processes one batch (`rows`, else the oldest events) if there is one; returns its size. */
  private async runOnce(rows?: InboxRow[]): Promise<number> {
    const { pool, deps, batchSize } = this.options;
    rows ??= await readInbox(pool, batchSize);
    if (rows.length === 0) return 0;
    const started = performance.now();
    const result = await syncBatch(coalesce(rows), deps);
    if (result.transient.length > 0) await this.options.retry(result.transient);
    await removeFromInbox(
      pool,
      rows.map((r) => r.id)
    );
    // Reconciliation after a replay gap looks for changes after the newest event processed.
    const newest = Math.max(...rows.map((r) => r.changedAt ?? 0));
    if (newest > 0) await writeCheckpoint(pool, new Date(newest));
    this.options.onBatch?.(result, rows.length, (performance.now() - started) / 1000);
    return rows.length;
  }

  /** Loops until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { pool, batchSize, maxWaitMs, logger } = this.options;
    let failures = 0;
    let nextRetryPoll = 0;
    while (!signal.aborted) {
      if (this.options.isOpen?.() === false) {
        await this.pause(Math.max(maxWaitMs, 200), signal);
        continue;
      }
      try {
        const retries = this.options.retries;
        if (retries && Date.now() >= nextRetryPoll) {
          const taken = await retries.process();
          // A full fetch means more may be due: look again at once.
          nextRetryPoll = taken > 0 ? 0 : Date.now() + retries.pollMs;
        }
        let rows: InboxRow[] | undefined = await readInbox(pool, batchSize);
        if (rows.length === 0) {
          await this.pause(Math.max(maxWaitMs, 50), signal);
          continue;
        }
        // Linger for a fuller batch, but never hold the oldest event longer than maxWaitMs.
        const age = Date.now() - (rows[0]?.receivedAt.getTime() ?? Date.now());
        if (rows.length < batchSize && age < maxWaitMs) {
          await sleep(maxWaitMs - age, undefined, { signal }).catch(() => undefined);
          rows = undefined;
        }
        if (signal.aborted) break;
        await this.runOnce(rows);
        failures = 0;
      } catch (error) {
        failures++;
        const delay = jitteredDelay(failures, BATCH_BACKOFF);
        logger?.warn(
          { err: error, retryInMs: Math.round(delay) },
          'account-sync batch failed; retrying'
        );
        await sleep(delay, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
