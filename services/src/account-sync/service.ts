// The account-sync service (Scenario 1, Accounts from Salesforce to SAP, off platform):
//
//   Pub/Sub /event/Account_Sync__e --(DurablePubSubSubscriber, lease, durable replay id)-->
//   inbox (PostgreSQL) --(Batcher: coalesce, lease)--> syncBatch (SOQL IN, SAP, Collections)
//   transient failures --> queue 'account-sync-retry' (pg-boss: backoff + jitter, dead letter)
//   reconcile() at start and on a replay gap.
import type { Platform } from '../platform/index.ts';
import type { JobQueue } from '../platform/queue.ts';
import { startExclusiveDuty, type ExclusiveDuty } from '../platform/lease.ts';
import { SHUTDOWN_ORDER } from '../platform/shutdown.ts';
import type { SalesforceClients } from '../platform/salesforce/index.ts';
import {
  DurablePubSubSubscriber,
  pubSubCredentialsFrom,
  type PubSubEvent
} from '../platform/salesforce/pubsub-subscriber.ts';
import { PgReplayStore } from '../platform/salesforce/replay-store.ts';
import { Batcher } from './batcher.ts';
import { coalesce, parseOperation, type AccountSyncEvent } from './coalescer.ts';
import type { AccountSyncConfig } from './config.ts';
import { appendToInbox } from './inbox.ts';
import { createAccountSyncMetrics } from './metrics.ts';
import { reconcile, type ReconcileReason, type ReconcileResult } from './reconcile.ts';
import { SapClient } from './sap-client.ts';
import {
  syncBatch,
  writeBack,
  type BatchResult,
  type SyncDeps,
  type SyncOutcome
} from './sync-batch.ts';

export const TOPIC = '/event/Account_Sync__e';
export const RETRY_QUEUE = 'account-sync-retry';
export const SUBSCRIBER = 'account-sync';

export interface RetryJob {
  accountId: string;
  action: 'upsert' | 'delete';
  sapNumber?: string | undefined;
}
type Jobs = { [RETRY_QUEUE]: RetryJob };

export interface StartAccountSyncOptions {
  platform: Platform;
  salesforce: SalesforceClients;
  config: AccountSyncConfig;
  /** Lease retry (tests: short). */
  leaseRetryMs?: number;
  /** How often due retries are looked for when there is nothing else to do (default 1000 ms). */
  retryPollMs?: number;
  /** Observability hook (tests, bench). */
  onBatch?: (result: BatchResult, events: number, seconds: number) => void;
  onReconcile?: (result: ReconcileResult) => void;
}

export interface AccountSync {
  stop(): Promise<void>;
}

const id15 = (id: string) => id.slice(0, 15);
const ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

export function eventFromPayload(payload: Record<string, unknown>): AccountSyncEvent | undefined {
  const accountId = payload.Account_Id__c;
  const operation = parseOperation(payload.Operation__c);
  if (typeof accountId !== 'string' || !ID.test(accountId) || operation === undefined)
    return undefined;
  const changed = payload.Changed_At__c;
  const sap = payload.SAP_Customer_Number__c;
  return {
    accountId,
    operation,
    changedAt: typeof changed === 'number' ? changed : undefined,
    sapNumber: typeof sap === 'string' && sap !== '' ? sap : undefined
  };
}

export async function startAccountSync(options: StartAccountSyncOptions): Promise<AccountSync> {
  const { platform, salesforce, config } = options;
  const pool = platform.database.pool;
  const logger = platform.logger.child({ component: 'account-sync' });
  const queue = platform.queue as unknown as JobQueue<Jobs> | undefined;
  if (!queue) throw new Error('account-sync needs the platform job queue');
  const sap = new SapClient(config.sap);
  platform.http?.readiness.add('sap', () => sap.ping());
  const metrics = platform.http && createAccountSyncMetrics(platform.http.metrics, pool);
  const deps: SyncDeps = {
    rest: salesforce.rest,
    sap,
    pool,
    concurrency: config.sap.concurrency,
    logger
  };

  await queue.defineQueue(RETRY_QUEUE, {
    retryLimit: config.retry.limit,
    retryDelay: config.retry.delaySeconds,
    retryBackoff: true
  });
  const enqueue = async (transient: BatchResult['transient']) => {
    // One statement for the lot: a SAP outage fails a whole batch at once.
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
  };

  // Due retries are taken by the batch processor's own loop, between inbox batches: one place
  // talks to SAP, so a retry and a new event for the same account never race (two creates), and
  // retries take the batch path too (one SOQL IN query and one write-back per fetch, not 2 API
  // calls per account during a SAP outage).
  const processRetries = () =>
    queue.processBatch(RETRY_QUEUE, config.batchSize, async (jobs) => {
      const started = performance.now();
      const ordered = [...jobs].sort((a, b) => a.createdOn.getTime() - b.createdOn.getTime());
      const changes = coalesce(
        ordered.map((job) => ({
          accountId: job.data.accountId,
          operation: job.data.action === 'delete' ? ('Delete' as const) : ('Update' as const),
          sapNumber: job.data.sapNumber
        }))
      );
      const result = await syncBatch(changes, deps);
      metrics?.batch(result, (performance.now() - started) / 1000);
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

  const batcher = new Batcher({
    pool,
    deps,
    batchSize: config.batchSize,
    maxWaitMs: config.maxWaitMs,
    retry: enqueue,
    retries: { process: processRetries, pollMs: options.retryPollMs ?? 1000 },
    logger,
    onBatch(result, events, seconds) {
      metrics?.batch(result, seconds);
      options.onBatch?.(result, events, seconds);
    }
  });

  const runReconcile = async (reason: ReconcileReason) => {
    const result = await reconcile({ pool, rest: salesforce.rest, reason, logger });
    metrics?.reconciled(result);
    options.onReconcile?.(result);
    batcher.kick();
    return result;
  };

  const retryMs = options.leaseRetryMs ?? 2000;
  const subscriber = new DurablePubSubSubscriber({
    subscriber: SUBSCRIBER,
    topic: TOPIC,
    pubSubEndpoint: platform.config.salesforce.pubsubEndpoint,
    credentials: pubSubCredentialsFrom(salesforce.tokenProvider),
    rejectUnauthorizedSsl: !platform.config.salesforce.pubsubInsecureTls,
    replayStore: new PgReplayStore(pool),
    lease: { db: pool, retryMs },
    initialReplay: 'EARLIEST',
    logger,
    // One INSERT per delivered batch: the subscriber commits the replay ids only after it.
    async batchHandler(events: PubSubEvent[]) {
      const parsed: AccountSyncEvent[] = [];
      for (const event of events) {
        const change = eventFromPayload(event.payload);
        if (change !== undefined) parsed.push(change);
        else
          logger.error(
            { replayId: String(event.replayId), payload: event.payload },
            'unusable Account_Sync__e event dropped'
          );
      }
      await appendToInbox(pool, parsed);
      batcher.kick();
    },
    async onReplayGap(gap) {
      logger.warn({ lastReplayId: String(gap.lastReplayId) }, 'replay gap: reconciling');
      await runReconcile('replay-gap');
    }
  });

  const duty: ExclusiveDuty = startExclusiveDuty(
    pool,
    'account-sync:batcher',
    async (signal) => {
      await runReconcile('start').catch((error: unknown) =>
        logger.error({ err: error }, 'reconciliation at start failed')
      );
      await batcher.run(signal);
    },
    { retryMs, logger }
  );
  subscriber.start();

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await subscriber.stop();
      await duty.stop();
    })());
  // Before the queue stops: the batcher still queues and takes retries until it has stopped.
  platform.shutdown.add('stop account-sync', stop, { order: SHUTDOWN_ORDER.queue - 5 });
  return { stop };
}
