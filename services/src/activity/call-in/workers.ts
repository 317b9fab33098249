// The Remote Call-In as workers of the activity service: the Activity kill switch read every
// interval, the daily summary push and the goal event publisher, each under its own lease so
// that one instance at a time talks to Salesforce for it (a second instance waits and takes over
// when the holder dies). The service's start() adds `workers` to its own and hands `kick` to
// ingestion (called when a batch inserted goal rows).
//
// No readiness probe: the call-in being held (kill switch off) or failing must not take the
// instance out of the load balancer, which would stop ingestion and the Activity API too. Its
// failures are logged and written to Integration_Log__c; status() of each part tells the rest.
import {
  startExclusiveDuty,
  type ExclusiveDuty,
  type Logger,
  type SalesforceClients,
  type ServiceWorker
} from '../../platform/index.ts';
import type pg from 'pg';
import { GoalEventPublisher, type GoalEventsReport } from './goal-events.ts';
import { ActivitySwitch } from './kill-switch.ts';
import { SummaryPusher, type SummaryPushReport } from './summary-push.ts';

/** The call-in's configuration (the ACTIVITY_* variables of the activity service). */
export interface CallInConfig {
  /** ACTIVITY_SUMMARY_PUSH_INTERVAL_MS */
  summaryPushIntervalMs: number;
  /** ACTIVITY_SUMMARY_SETTLE_MS */
  summarySettleMs: number;
  /** ACTIVITY_SUMMARY_MAX_RECORDS_PER_JOB */
  summaryMaxRecordsPerJob: number;
  /** ACTIVITY_SUMMARY_RETRY_DELAY_MS (first retry of a refused day; doubles up to a day) */
  summaryRetryDelayMs: number;
  /** ACTIVITY_GOAL_EVENTS_POLL_MS */
  goalEventsPollMs: number;
  /** ACTIVITY_GOAL_EVENT_MAX_ATTEMPTS */
  goalEventMaxAttempts: number;
  /** ACTIVITY_GOAL_EVENTS_MAX_PER_HOUR (0 = no cap) */
  goalEventsMaxPerHour: number;
  /** ACTIVITY_KILL_SWITCH_INTERVAL_MS */
  killSwitchIntervalMs: number;
}

export interface CallInWorkersOptions {
  pool: pg.Pool;
  salesforce: Pick<SalesforceClients, 'rest' | 'bulkIngest'>;
  config: CallInConfig;
  logger?: Logger;
  /** Pause between attempts to take a lease (default 5 s). */
  leaseRetryMs?: number;
  onSummaryRun?(report: SummaryPushReport): void;
  onGoalRound?(report: GoalEventsReport): void;
}

export interface CallInWorkers {
  workers: ServiceWorker[];
  /** Ingestion inserted goal rows: publish soon (only the lease holder acts on it). */
  kick(): void;
  killSwitch: ActivitySwitch;
  summary: SummaryPusher;
  goals: GoalEventPublisher;
}

export function createCallInWorkers(options: CallInWorkersOptions): CallInWorkers {
  const { pool, salesforce, config, logger } = options;
  const killSwitch = new ActivitySwitch({
    rest: salesforce.rest,
    intervalMs: config.killSwitchIntervalMs,
    ...(logger ? { logger } : {})
  });
  const summary = new SummaryPusher({
    pool,
    bulkIngest: salesforce.bulkIngest,
    rest: salesforce.rest,
    killSwitch,
    intervalMs: config.summaryPushIntervalMs,
    settleMs: config.summarySettleMs,
    maxRecordsPerJob: config.summaryMaxRecordsPerJob,
    retryBackoff: { initialDelayMs: config.summaryRetryDelayMs, maxDelayMs: 24 * 3_600_000 },
    // A job of 100k+ rows takes minutes: poll every 30 s at most (each poll is an API call).
    poll: { initialDelayMs: 1_000, maxDelayMs: 30_000, timeoutMs: 60 * 60_000 },
    ...(logger ? { logger } : {}),
    ...(options.onSummaryRun ? { onRun: options.onSummaryRun } : {})
  });
  const goals = new GoalEventPublisher({
    pool,
    rest: salesforce.rest,
    killSwitch,
    pollIntervalMs: config.goalEventsPollMs,
    maxAttempts: config.goalEventMaxAttempts,
    maxPerHour: config.goalEventsMaxPerHour,
    ...(logger ? { logger } : {}),
    ...(options.onGoalRound ? { onRound: options.onGoalRound } : {})
  });

  const watch = new AbortController();
  let watching: Promise<void> | undefined;
  const duties: ExclusiveDuty[] = [];
  const lease = { retryMs: options.leaseRetryMs ?? 5_000, ...(logger ? { logger } : {}) };

  return {
    killSwitch,
    summary,
    goals,
    kick: () => goals.kick(),
    workers: [
      {
        name: 'call-in',
        async start() {
          await killSwitch.check();
          watching = killSwitch.watch(watch.signal);
          duties.push(
            startExclusiveDuty(
              pool,
              'activity:summary-push',
              (signal) => summary.run(signal),
              lease
            ),
            startExclusiveDuty(pool, 'activity:goal-events', (signal) => goals.run(signal), lease)
          );
        },
        async stop() {
          watch.abort();
          await Promise.all(duties.map((duty) => duty.stop()));
          await watching;
        }
      }
    ]
  };
}
