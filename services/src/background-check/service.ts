// The background-check service (Scenario 3, off platform): the ESB half of a long-running
// transaction.
//
//   Apex --POST /background-checks--> log table row + submit job (one transaction) --202-->
//   submit job: ContentVersion VersionData (stream) --multipart--> BackCheck POST /v1/checks
//   BackCheck --signed callback--> result recorded (outbox) --200-->
//   outbox loop (lease): sObject Collections of 200 --> Passport_Application__c
//   sweep (lease): overdue -> flagged + GET /v1/checks/{ref} (lost callbacks), expired, pruning
//
// Any number of instances may run on one database: requests and callbacks on all of them, the
// outbox and the sweep on the one holding each lease, submit and deliver jobs anywhere.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  defineService,
  startExclusiveDuty,
  type ExclusiveDuty,
  type JobQueue
} from '../platform/index.ts';
import { BackCheckClient } from './backcheck-client.ts';
import {
  Checks,
  DELIVER_QUEUE,
  SUBMIT_DEAD_LETTER,
  SUBMIT_QUEUE,
  type BackgroundCheckJobs
} from './checks.ts';
import { backgroundCheckConfig } from './config.ts';
import { BackgroundCheckSwitch } from './kill-switch.ts';
import { createBackgroundCheckMetrics } from './metrics.ts';
import { Outbox } from './outbox.ts';
import { backgroundCheckRoutes } from './routes.ts';
import { createSubmitDeadLetterHandler, createSubmitter } from './submitter.ts';
import { sweep, type SweepReport } from './sweep.ts';

export interface BackgroundCheckHooks {
  /** Lease retry (tests: short; default 2 s). */
  leaseRetryMs?: number;
  /** Outbox poll without a kick (default 1000 ms). */
  outboxPollMs?: number;
  /** Job queue polling (default 0.5 s). */
  queuePollSeconds?: number;
  /** Largest photo sent (default 10 MB, BackCheck's limit). */
  maxPhotoBytes?: number;
  onDelivered?: (count: number, calls: number) => void;
  onSweep?: (report: SweepReport) => void;
}

export function createBackgroundCheckService(hooks: BackgroundCheckHooks = {}) {
  return defineService({
    name: 'background-check',
    config: backgroundCheckConfig,
    needs: { queue: true, salesforce: true },
    async start({ config, pool, logger, salesforce, metrics, readiness, ...context }) {
      const measure = createBackgroundCheckMetrics(metrics, pool);
      const killSwitch = new BackgroundCheckSwitch({
        rest: salesforce.rest,
        intervalMs: config.killSwitchIntervalMs,
        logger,
        onState: (state) => measure.killSwitch(state)
      });
      // Read before the server listens, so the first readiness probe knows the switch.
      await killSwitch.check();
      // Not ready while BackCheck calls are held, with the reason; callbacks are still served.
      readiness.add('background-check: kill switch', () => {
        const reason = killSwitch.pausedReason;
        if (reason !== undefined) throw new Error(reason);
      });
      const queue = context.queue as unknown as JobQueue<BackgroundCheckJobs>;
      const retry = {
        retryLimit: config.retry.limit,
        retryDelay: config.retry.delaySeconds,
        retryBackoff: true
      };
      await queue.defineQueue(SUBMIT_QUEUE, { ...retry, expireInSeconds: 600 });
      await queue.defineQueue(DELIVER_QUEUE, { ...retry, expireInSeconds: 300 });
      const backCheck = new BackCheckClient(config.backCheck);
      const checks = new Checks({
        pool,
        queue,
        deadlineMs: config.deadlineMs,
        expireMs: config.expireMs
      });
      const outbox = new Outbox({
        pool,
        rest: salesforce.rest,
        queue,
        logger,
        batchWaitMs: config.batchWaitMs,
        pollMs: hooks.outboxPollMs,
        onDelivered(count, calls) {
          measure.written(count, calls);
          hooks.onDelivered?.(count, calls);
        },
        onRefused: () => measure.refused()
      });
      const submit = createSubmitter({
        checks,
        backCheck,
        salesforce: salesforce.connection,
        logger,
        maxPhotoBytes: hooks.maxPhotoBytes,
        onFailed: () => outbox.kick(),
        hold: {
          isOpen: () => killSwitch.open,
          queue,
          holdSeconds: Math.max(1, Math.ceil(config.killSwitchIntervalMs / 1000))
        }
      });
      logger.info(
        {
          backCheck: config.backCheck.baseUrl,
          deadlineMs: config.deadlineMs,
          expireMs: config.expireMs
        },
        'background-check configured'
      );
      const leaseRetryMs = hooks.leaseRetryMs ?? 2000;
      const pollingIntervalSeconds = hooks.queuePollSeconds ?? 0.5;
      let outboxDuty: ExclusiveDuty | undefined;
      let sweepDuty: ExclusiveDuty | undefined;
      const switchWatch = new AbortController();
      let watching: Promise<void> | undefined;
      return {
        routes: async (app) =>
          app.register(backgroundCheckRoutes, {
            checks,
            rest: salesforce.rest,
            submitTokens: config.submitTokens,
            webhookSecret: config.webhookSecret,
            onResult: () => outbox.kick(),
            onCallback: (outcome) => measure.callback(outcome)
          }),
        workers: [
          {
            // Every instance reads the switch: each one runs submit jobs.
            name: 'kill switch',
            start() {
              watching = killSwitch.watch(switchWatch.signal);
            },
            async stop() {
              switchWatch.abort();
              await watching;
            }
          },
          {
            name: 'submit and deliver jobs',
            async start() {
              await queue.work(
                SUBMIT_QUEUE,
                { batchSize: 1, concurrency: 4, pollingIntervalSeconds },
                submit
              );
              await queue.work(
                SUBMIT_DEAD_LETTER,
                { batchSize: 1, concurrency: 1, pollingIntervalSeconds },
                createSubmitDeadLetterHandler({ checks, logger, onFailed: () => outbox.kick() })
              );
              await queue.work(
                DELIVER_QUEUE,
                { batchSize: 1, concurrency: 1, pollingIntervalSeconds },
                (job) => outbox.deliverOne(job)
              );
            },
            // The queue stops (and fails what still runs, to be retried) after the workers.
            async stop() {
              backCheck.close();
            }
          },
          {
            name: 'outbox',
            start() {
              outboxDuty = startExclusiveDuty(
                pool,
                'background-check:outbox',
                (signal) => outbox.run(signal),
                {
                  retryMs: leaseRetryMs,
                  logger
                }
              );
            },
            stop: async () => outboxDuty?.stop()
          },
          {
            name: 'deadline sweep',
            start() {
              sweepDuty = startExclusiveDuty(
                pool,
                'background-check:sweep',
                async (signal) => {
                  while (!signal.aborted) {
                    try {
                      const report = await sweep({
                        pool,
                        checks,
                        backCheck,
                        logger,
                        pollIntervalMs: config.pollIntervalMs,
                        pollAllowed: killSwitch.open,
                        onResult: () => outbox.kick()
                      });
                      measure.polled(report.completed);
                      hooks.onSweep?.(report);
                    } catch (error) {
                      logger.error({ err: error }, 'background-check sweep failed');
                    }
                    // Removes its abort listener when it ends (a listener per round would pile up).
                    await sleep(config.sweepIntervalMs, undefined, { signal }).catch(
                      () => undefined
                    );
                  }
                },
                { retryMs: leaseRetryMs, logger }
              );
            },
            stop: async () => sweepDuty?.stop()
          }
        ]
      };
    }
  });
}

/** The service as `npm start` and `npm run service:background-check` run it. */
export const backgroundCheckService = createBackgroundCheckService();
