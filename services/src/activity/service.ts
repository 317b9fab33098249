// The activity service (Scenario 4, off platform): ingestion of fitness device readings, the
// Activity API and OData service Salesforce reads them through, and the Remote Call-In.
//
//   device --MQTT QoS 1, activity/v1/{partition}/{deviceId}--> broker (per-device login + ACL)
//   broker --subscription ($share on MQTT 5, topic partitions on 3.1.1)--> ingest worker
//   worker: validate -> batch -> ONE statement: raw insert (PK drops duplicates) + minute and
//           day rollups of the inserted rows + goal outbox -> COMMIT -> PUBACK
//   partition maintenance (lease, hourly): partitions ahead, expired ones dropped
//   GET /activity/users/{id}/summary|series (ActivityController) and /odata/v4/activity
//   (Salesforce Connect): primary-key reads of the rollups, each with its own token list
//   call-in (leases): daily summaries --Bulk API 2.0 upsert--> Daily_Activity_Summary__c;
//           goal outbox --sObject Collections--> Activity_Goal_Reached__e; kill switch honoured
//
// Any number of instances run on one database; each one's worker subscription comes from its
// configuration (ACTIVITY_SUBSCRIPTION_MODE, ACTIVITY_WORKER_INDEX/COUNT).
// MQTT_URL unset (never in production): the process starts the embedded aedes broker itself,
// with derived device passwords, and logs its URL.
import { randomBytes } from 'node:crypto';
import { defineService, startExclusiveDuty, type ExclusiveDuty } from '../platform/index.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.ts';
import { activityApiRoutes } from './api-routes.ts';
import { createCallInWorkers, type CallInWorkersOptions } from './call-in/workers.ts';
import { activityConfig } from './config.ts';
import { deviceRoutes } from './devices.ts';
import { IngestWorker, type BatchReport } from './ingest-worker.ts';
import { activityMetrics } from './metrics.ts';
import { odataRoutes } from './odata/routes.ts';
import { ensurePartitions, runPartitionMaintenance, type MaintenanceReport } from './partitions.ts';

export interface ActivityHooks {
  /** Port of the embedded broker when MQTT_URL is unset (default 0: any free port). */
  embeddedBrokerPort?: number;
  /** Lease retry of the maintenance duty (default 5 s). */
  leaseRetryMs?: number;
  /** Partition maintenance interval (default 1 h). */
  maintenanceIntervalMs?: number;
  /** MQTT reconnect delay (default 1 s). */
  reconnectMs?: number;
  onBatch?: (report: BatchReport) => void;
  /** The embedded broker once started (MQTT_URL unset): its URL for devices. */
  onEmbeddedBroker?: (broker: EmbeddedBroker) => void;
  onMaintenance?: (report: MaintenanceReport) => void;
  /** Call-in reports (summary runs, goal rounds). */
  onSummaryRun?: CallInWorkersOptions['onSummaryRun'];
  onGoalRound?: CallInWorkersOptions['onGoalRound'];
}

export function createActivityService(hooks: ActivityHooks = {}) {
  return defineService({
    name: 'activity',
    config: activityConfig,
    needs: { salesforce: true },
    async start({ config, pool, logger, metrics, salesforce }) {
      const measure = activityMetrics(metrics);
      const callIn = createCallInWorkers({
        pool,
        salesforce,
        config: config.callIn,
        logger,
        ...(hooks.leaseRetryMs ? { leaseRetryMs: hooks.leaseRetryMs } : {}),
        ...(hooks.onSummaryRun ? { onSummaryRun: hooks.onSummaryRun } : {}),
        ...(hooks.onGoalRound ? { onGoalRound: hooks.onGoalRound } : {})
      });
      // Outside production only (the configuration requires them there): a key per start.
      const deviceKey =
        config.deviceKey ?? (config.mqttUrl ? undefined : randomBytes(32).toString('base64url'));
      const ingestPassword = config.mqttPassword ?? randomBytes(24).toString('base64url');
      if (!config.mqttUrl && config.subscription.mode === 'shared')
        throw new Error(
          'The embedded broker (MQTT 3.1.1) has no shared subscriptions: use ACTIVITY_SUBSCRIPTION_MODE=partitioned or set MQTT_URL.'
        );
      const policy = {
        lateWindowHours: config.lateWindowHours,
        rawRetentionDays: config.rawRetentionDays,
        minuteRetentionDays: config.minuteRetentionDays
      };
      let broker: EmbeddedBroker | undefined;
      let worker: IngestWorker | undefined;
      // start() only wires (the API documents are generated from it without a database or
      // broker); the broker, the partitions and the subscription come with the worker's start.
      const startIngest = async () => {
        if (!config.mqttUrl) {
          broker = await startEmbeddedBroker({
            port: hooks.embeddedBrokerPort ?? 0,
            deviceKey,
            ingest: { username: config.mqttUsername, password: ingestPassword },
            logger
          });
          logger.info({ url: broker.url }, 'embedded MQTT broker started (MQTT_URL unset)');
          hooks.onEmbeddedBroker?.(broker);
        }
        // Before the worker subscribes: a valid reading always finds its partition.
        await ensurePartitions(pool, policy);
        worker = new IngestWorker({
          url: config.mqttUrl ?? broker!.url,
          username: config.mqttUsername,
          password: ingestPassword,
          clientId: `activity-ingest-${config.workerIndex}`,
          subscription: config.subscription,
          pool,
          limits: {
            maxBytes: config.maxMessageBytes,
            lateWindowMs: config.lateWindowHours * 3_600_000
          },
          batchSize: config.batchSize,
          batchWaitMs: config.batchWaitMs,
          sessionExpirySeconds: config.lateWindowHours * 3600,
          metrics: measure,
          logger,
          ...(hooks.reconnectMs ? { reconnectMs: hooks.reconnectMs } : {}),
          ensurePartitions: async () => {
            await ensurePartitions(pool, policy);
          },
          onBatch(report) {
            // A day reached its goal: publish the event now rather than at the next poll.
            if (report.goalsReached > 0) callIn.kick();
            hooks.onBatch?.(report);
          }
        });
        await worker.start();
      };
      let duty: ExclusiveDuty | undefined;
      return {
        routes: async (app) => {
          await app.register(deviceRoutes, { pool, deviceKey, tokens: config.tokens.registry });
          await app.register(activityApiRoutes, { pool, tokens: config.tokens.api });
          await app.register(odataRoutes, {
            pool,
            tokens: config.tokens.odata,
            maxPageSize: config.odata.maxPageSize,
            statementTimeoutMs: config.odata.statementTimeoutMs,
            maxSkip: config.odata.maxSkip,
            ...(config.odata.serviceRoot ? { serviceRoot: config.odata.serviceRoot } : {})
          });
        },
        workers: [
          {
            name: 'partition maintenance',
            start() {
              duty = startExclusiveDuty(
                pool,
                'activity:partitions',
                (signal) =>
                  runPartitionMaintenance(pool, policy, signal, {
                    logger,
                    ...(hooks.maintenanceIntervalMs
                      ? { intervalMs: hooks.maintenanceIntervalMs }
                      : {}),
                    ...(hooks.onMaintenance ? { onRound: hooks.onMaintenance } : {})
                  }),
                { retryMs: hooks.leaseRetryMs ?? 5000, logger }
              );
            },
            stop: async () => duty?.stop()
          },
          {
            name: 'ingest',
            start: startIngest,
            // Writes and acknowledges what it holds, then the embedded broker (if any) stops.
            async stop() {
              await worker?.stop();
              await broker?.stop();
            },
            // The platform probes once before workers start: not started is not a failure.
            health: () => worker?.health() ?? { ok: true }
          },
          ...callIn.workers
        ]
      };
    }
  });
}

/** The service as `npm start` and `npm run service:activity` run it. */
export const activityService = createActivityService();
