// Transient failures (SAP down, 429, timeouts) go to the pg-boss queue 'account-sync-retry'
// with exponential backoff and jitter; the batcher takes the due ones between inbox batches.
//
// One place talks to SAP, so a retry and a new event for the same account never race (two
// creates), and retries take the batch path too (one SOQL IN query and one write-back per fetch,
// not 2 API calls per account during an SAP outage). When a job has used its retries, the
// account is written back Failed with the last error (the give-up rule) and pg-boss moves the
// job to the dead-letter queue.
import { id15 } from '../../../toolkit/src/salesforce-id.ts';
import type { JobQueue, Logger } from '../platform/index.ts';
import { coalesce } from './coalescer.ts';
import {
  syncBatch,
  writeBack,
  type BatchResult,
  type SyncDeps,
  type SyncOutcome
} from './sync-batch.ts';

export const RETRY_QUEUE = 'account-sync-retry';

export interface RetryJob {
  accountId: string;
  action: 'upsert' | 'delete';
  sapNumber?: string | undefined;
}

export type RetryJobs = { [RETRY_QUEUE]: RetryJob };

export interface Retries {
  /** Queues a batch's transient failures (one statement for the lot). */
  queue(transient: BatchResult['transient']): Promise<void>;
  /** Runs the retries that are due; resolves to how many jobs it took. */
  processDue(): Promise<number>;
  /**
   * The batcher (re)gained its lease: jobs active now were left by a worker that is gone, and the
   * next processDue recovers them first.
   */
  leaseAcquired(): void;
}

export async function createRetries(options: {
  queue: JobQueue<RetryJobs>;
  deps: SyncDeps;
  retry: { limit: number; delaySeconds: number };
  batchSize: number;
  logger: Logger;
  onBatch?: (result: BatchResult, seconds: number) => void;
}): Promise<Retries> {
  const { queue, deps, logger } = options;
  await queue.defineQueue(RETRY_QUEUE, {
    retryLimit: options.retry.limit,
    retryDelay: options.retry.delaySeconds,
    retryBackoff: true
  });

  // Only the lease holder takes retries, one fetch at a time: before its first fetch (a new
  // process, a lease taken over) and after a fetch that failed (database outage: its jobs may
  // not have been settled), every active job is stale, and is recovered at once instead of
  // waiting for pg-boss's expiry (15 min + its maintenance interval).
  let recoverStale = true;
  const processDue = async (): Promise<number> => {
    if (recoverStale) {
      await queue.recoverActive(RETRY_QUEUE, 'stale: the worker that took it stopped');
      recoverStale = false;
    }
    try {
      return await take();
    } catch (error) {
      recoverStale = true;
      throw error;
    }
  };

  const take = () =>
    queue.processBatch(RETRY_QUEUE, options.batchSize, async (jobs) => {
      const started = performance.now();
      const ordered = [...jobs].sort((a, b) => a.createdOn.getTime() - b.createdOn.getTime());
      const changes = coalesce(
        ordered.map((job) => ({
          accountId: job.data.accountId,
          operation: job.data.action === 'delete' ? ('Delete' as const) : ('Update' as const),
          sapNumber: job.data.sapNumber
        }))
      );
      // An account synced after its job was queued (a later event, the start reconciliation)
      // is in its final state: the retry is dropped (the newest job of the account decides).
      const queuedAt = new Map<string, Date>();
      for (const job of ordered) queuedAt.set(id15(job.data.accountId), job.createdOn);
      const result = await syncBatch(changes, { ...deps, settledSince: queuedAt });
      options.onBatch?.(result, (performance.now() - started) / 1000);
      const stillFailing = new Map(result.transient.map((t) => [id15(t.accountId), t.message]));
      const failures = new Map<string, Error>();
      const exhausted = new Map<string, SyncOutcome>();
      for (const job of ordered) {
        const message = stillFailing.get(id15(job.data.accountId));
        if (message === undefined) continue;
        failures.set(job.id, new Error(message));
        if (job.retryCount >= job.retryLimit)
          exhausted.set(id15(job.data.accountId), {
            accountId: job.data.accountId,
            kind: 'permanent',
            // The batch's attempt, then the job's first run and its retries.
            message: `SAP still failing after ${job.retryCount + 2} attempts: ${message}`
          });
      }
      const deleted = new Set(
        changes.filter((c) => c.action === 'delete').map((c) => id15(c.accountId))
      );
      if (exhausted.size > 0) await writeBack(deps, [...exhausted.values()], deleted);
      return failures;
    });

  return {
    leaseAcquired() {
      recoverStale = true;
    },

    async queue(transient) {
      // One statement for the lot: an SAP outage fails a whole batch at once.
      await queue.sendMany(
        RETRY_QUEUE,
        transient.map((t) => ({
          accountId: t.accountId,
          action: t.change.action,
          sapNumber: t.change.sapNumber
        }))
      );
      logger.warn(
        { count: transient.length, first: transient[0]?.message },
        'transient SAP failures queued for retry'
      );
    },

    processDue
  };
}
