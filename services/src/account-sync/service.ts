// The account-sync service (Scenario 1, Accounts from Salesforce to SAP, off platform):
//
//   Pub/Sub /event/Account_Sync__e --(DurablePubSubSubscriber, lease, durable replay id)-->
//   inbox (PostgreSQL) --(Batcher: coalesce, lease)--> syncBatch (SOQL IN, SAP, Collections)
//   transient failures --> queue 'account-sync-retry' (retries.ts) --> the batcher again
//   reconcile() at start and on a replay gap.
//   KillSwitch (kill-switch.ts): read at start and every interval; while off the batcher holds
//   and nothing reaches SAP; when on again, a catch-up reconcile of the off period.
//   sweep() every ACCOUNT_SYNC_SWEEP_INTERVAL_MS while the switch is on: what no event and no
//   observed off period brought (reconcile.ts).
//
// Two workers on the platform: the subscriber (one instance holds the subscription) and the
// batcher (one instance holds the batch lease); any number of instances may run.
import {
  DurablePubSubSubscriber,
  PgReplayStore,
  defineService,
  pubSubCredentialsFrom,
  startExclusiveDuty,
  type ExclusiveDuty,
  type JobQueue,
  type PubSubEvent
} from '../platform/index.ts';
import { Batcher } from './batcher.ts';
import type { AccountSyncEvent } from './coalescer.ts';
import { accountSyncConfig } from './config.ts';
import { eventFromPayload, SUBSCRIBER, TOPIC } from './events.ts';
import { appendToInbox } from './inbox.ts';
import { KillSwitch, type KillSwitchState } from './kill-switch.ts';
import { createAccountSyncMetrics } from './metrics.ts';
import { reconcile, sweep, type ReconcileReason, type ReconcileResult } from './reconcile.ts';
import { createRetries, type RetryJobs } from './retries.ts';
import { SapClient } from './sap-client.ts';
import type { BatchResult, SyncDeps } from './sync-batch.ts';

export interface AccountSyncHooks {
  /** Lease retry (tests: short; default 2 s). */
  leaseRetryMs?: number;
  /** How often due retries are looked for when there is nothing else to do (default 1000 ms). */
  retryPollMs?: number;
  /** Observability (tests, bench). */
  onBatch?: (result: BatchResult, events: number, seconds: number) => void;
  /** Every reconciliation, the sweeps too (reason `sweep`). */
  onReconcile?: (result: ReconcileResult) => void;
  /** A Pending account changed more recently is left to its event by the sweep (default 2 min). */
  sweepSettleMs?: number;
  /** First delay before a failed reconciliation at start is tried again (default 1 s). */
  reconcileRetryMs?: number;
  /** Every change of the kill switch's state as the batch lease holder reads it. */
  onKillSwitch?: (state: KillSwitchState) => void;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function createAccountSyncService(hooks: AccountSyncHooks = {}) {
  return defineService({
    name: 'account-sync',
    config: accountSyncConfig,
    needs: { queue: true, salesforce: true },
    async start({ config, platform, pool, logger, salesforce, readiness, metrics, ...context }) {
      const queue = context.queue as unknown as JobQueue<RetryJobs>;
      const sap = new SapClient(config.sap);
      const measure = createAccountSyncMetrics(metrics, pool);
      const killSwitch = new KillSwitch({
        pool,
        rest: salesforce.rest,
        intervalMs: config.killSwitchIntervalMs,
        maxFailures: config.killSwitchMaxFailures,
        logger,
        onState(state) {
          measure.killSwitch(state);
          hooks.onKillSwitch?.(state);
        }
      });
      // Held by the kill switch: not ready, with the reason (the batch lease holder only; a
      // standby instance has nothing to hold). No SAP ping then either: sync is off, also for a
      // standby, which skips it while the lease holder has marked the switch off.
      let holdsLease = false;
      readiness.add('account-sync: kill switch', () => {
        const reason = holdsLease ? killSwitch.pausedReason : undefined;
        if (reason !== undefined) throw new Error(reason);
      });
      readiness.add('sap', async () => {
        if (!(await killSwitch.sapWanted(holdsLease))) return;
        await sap.ping();
      });
      const deps: SyncDeps = {
        rest: salesforce.rest,
        sap,
        pool,
        concurrency: config.sap.concurrency,
        logger
      };
      const retries = await createRetries({
        queue,
        deps,
        retry: config.retry,
        batchSize: config.batchSize,
        logger,
        onBatch: (result, seconds) => measure.batch(result, seconds)
      });
      const batcher = new Batcher({
        pool,
        deps,
        batchSize: config.batchSize,
        maxWaitMs: config.maxWaitMs,
        retry: retries.queue,
        retries: { process: retries.processDue, pollMs: hooks.retryPollMs ?? 1000 },
        logger,
        isOpen: () => killSwitch.open,
        onBatch(result, events, seconds) {
          measure.batch(result, seconds);
          hooks.onBatch?.(result, events, seconds);
        }
      });

      const runReconcile = async (reason: ReconcileReason, offSince?: Date) => {
        const result = await reconcile({ pool, rest: salesforce.rest, reason, offSince, logger });
        measure.reconciled(result);
        hooks.onReconcile?.(result);
        batcher.kick();
        return result;
      };

      // The reconciliation at start also finds edits whose Pending a write-back overwrote
      // (SystemModstamp since the checkpoint), which the sweep does not: a failure (Salesforce or
      // the database down) is tried again with backoff until it succeeds or the lease is lost.
      const reconcileAtStart = async (signal: AbortSignal) => {
        let delayMs = hooks.reconcileRetryMs ?? 1000;
        for (let attempt = 1; !signal.aborted; attempt++) {
          try {
            await runReconcile('start');
            return;
          } catch (error) {
            logger.error(
              { err: error, attempt, retryInMs: delayMs },
              'reconciliation at start failed; trying again'
            );
          }
          await pause(delayMs * (0.5 + Math.random() / 2), signal);
          delayMs = Math.min(delayMs * 2, config.sweepIntervalMs);
        }
      };

      // The sweep does not depend on the service having seen the switch off, or on any event:
      // an off period shorter than one read, or while the switch could not be read, and a
      // reconciliation that failed are all covered by it. Only while the switch is on (off, the
      // Pending accounts belong to the catch-up, and nothing may reach SAP anyway).
      const sweeping = async (signal: AbortSignal) => {
        for (;;) {
          await pause(config.sweepIntervalMs, signal);
          if (signal.aborted) return;
          if (!killSwitch.open) continue;
          try {
            const result = await sweep({
              pool,
              rest: salesforce.rest,
              settleMs: hooks.sweepSettleMs,
              logger
            });
            measure.swept('ok');
            measure.reconciled(result);
            hooks.onReconcile?.(result);
            batcher.kick();
          } catch (error) {
            measure.swept('failed');
            logger.error({ err: error }, 'account-sync sweep failed; trying again at the next one');
          }
        }
      };

      const leaseRetryMs = hooks.leaseRetryMs ?? 2000;
      const subscriber = new DurablePubSubSubscriber({
        subscriber: SUBSCRIBER,
        topic: TOPIC,
        pubSubEndpoint: platform.salesforce.pubsubEndpoint,
        credentials: pubSubCredentialsFrom(salesforce.tokenProvider),
        rejectUnauthorizedSsl: !platform.salesforce.pubsubInsecureTls,
        replayStore: new PgReplayStore(pool),
        lease: { db: pool, retryMs: leaseRetryMs },
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
          // Also while the kill switch is off: reconciliation only queries Salesforce and fills
          // the inbox, which the held batcher does not send to SAP. (This instance may not hold
          // the batcher lease, so it may not know the switch's state.)
          logger.warn({ lastReplayId: String(gap.lastReplayId) }, 'replay gap: reconciling');
          await runReconcile('replay-gap');
        }
      });

      let duty: ExclusiveDuty | undefined;
      return {
        workers: [
          {
            name: 'subscriber',
            start: () => subscriber.start(),
            stop: () => subscriber.stop(),
            health: () => subscriber.health()
          },
          {
            name: 'batcher',
            start() {
              duty = startExclusiveDuty(
                pool,
                'account-sync:batcher',
                async (signal) => {
                  // Retry jobs still active now were left by the previous lease holder.
                  retries.leaseAcquired();
                  holdsLease = true;
                  measure.killSwitch(killSwitch.state);
                  // The batcher holds until the switch is read and on; the reconciliation at
                  // start waits for it too, and after an off period it is the catch-up.
                  const watching = killSwitch.watch(signal, async (offSince, first) => {
                    if (offSince !== undefined)
                      await runReconcile(
                        'kill-switch',
                        new Date(offSince.getTime() - config.killSwitchIntervalMs)
                      );
                    else if (first) await reconcileAtStart(signal);
                  });
                  try {
                    await Promise.all([watching, batcher.run(signal), sweeping(signal)]);
                  } finally {
                    holdsLease = false;
                    measure.killSwitch('on'); // a standby instance holds nothing
                  }
                },
                { retryMs: leaseRetryMs, logger }
              );
            },
            // The batcher still queues and takes retries until it has stopped: workers stop
            // before the queue does.
            stop: async () => duty?.stop()
          }
        ]
      };
    }
  });
}

/** The service as `npm start` and `npm run service:account-sync` run it. */
export const accountSyncService = createAccountSyncService();
