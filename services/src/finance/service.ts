// The Finance export as a service (`npm run service:finance`, part of `npm start`): the nightly
// schedule. The export itself is export-job.ts, which `npm run finance:export` runs on demand.
//
// The mapping is read and its query checked when the service starts: a mapping Bulk API 2.0
// would refuse stops the service at once with the reason, not at 02:00. With the Finance
// connected app configured (FINANCE_SF_CLIENT_*) the schedule runs as the export's own user
// through clients of its own, closed when the worker stops (salesforce.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import {
  defineService,
  isTransientError,
  SalesforceError,
  type SalesforceClients,
  type ServiceContext,
  type ServiceWorker
} from '../platform/index.ts';
import { financeConfig, type FinanceConfig } from './config.ts';
import { ExportBusyError, ExportSlotDoneError, runExport } from './export-job.ts';
import type { ExportQuery } from './export-query.ts';
import type { FinanceMapping } from './mapping.ts';
import { prepareExport } from './prepare.ts';
import { ownSalesforceClients } from './salesforce.ts';
import { dueSlot, latestSlot, nextSlot, readLastSlot, recordSlot } from './schedule.ts';

/** How often the schedule looks at the clock. */
const TICK_MS = 60_000;

export interface ScheduleWorkerOptions {
  tickMs?: number;
  now?: () => Date;
}

export const financeService = defineService<FinanceConfig>({
  name: 'finance',
  config: financeConfig,
  needs: { salesforce: true },
  async start(context) {
    const { mapping, query } = await prepareExport(context.config.mappingFile);
    if (!context.config.schedule.enabled) {
      context.logger.info('finance export: schedule disabled (FINANCE_SCHEDULE_ENABLED=false)');
      return {};
    }
    const own = ownSalesforceClients(
      context.config,
      context.platform.salesforce,
      context.logger.child({ component: 'salesforce', identity: 'finance' })
    );
    if (own) {
      // Ready means the Finance app can get a token (token requests are not API calls).
      context.readiness.add('salesforce-finance', async () => {
        await own.tokenProvider.getToken();
      });
    }
    return {
      workers: [
        scheduleWorker(context, {
          mapping,
          query,
          salesforce: own ?? context.salesforce,
          ...(own ? { close: () => own.close() } : {})
        })
      ]
    };
  }
});

export function scheduleWorker(
  context: ServiceContext<FinanceConfig>,
  prepared: {
    mapping: FinanceMapping;
    query: ExportQuery;
    /** The clients the export runs with (default: the platform's). */
    salesforce?: SalesforceClients;
    /** Closes `salesforce` when the worker stops (the export's own clients). */
    close?: () => void;
  },
  options: ScheduleWorkerOptions = {}
): ServiceWorker {
  const { config, logger, pool } = context;
  const { time, timeZone, retryMs } = config.schedule;
  const target = prepared.mapping.target.qualified;
  const salesforce = prepared.salesforce ?? context.salesforce;
  const now = options.now ?? (() => new Date());
  const stop = new AbortController();
  let loop: Promise<void> | undefined;
  let retryAfter = 0;
  let lastOutcome: { ok: boolean; reason?: string } = { ok: true };
  // Whether the export's Salesforce user can read the object at all (checked at start, one API
  // call, and again before a retried night): a process whose export runs as a user without the
  // Finance permission set (FINANCE_SF_CLIENT_* unset next to other services) is not ready,
  // rather than green until every night fails.
  let accessProblem: string | undefined;
  const checkAccess = async () => {
    try {
      await salesforce.rest.queryRecords(`SELECT Id FROM ${prepared.mapping.object} LIMIT 1`);
      accessProblem = undefined;
    } catch (error) {
      if (!(error instanceof SalesforceError) || isTransientError(error)) return;
      accessProblem = `the Finance export's Salesforce user cannot read ${prepared.mapping.object} (${error.errorCode}): give it Finance_Export_Integration, or set FINANCE_SF_CLIENT_ID/SECRET to the Finance connected app (docs/finance.md, "Who the export runs as")`;
      logger.error({ err: error }, `finance export: ${accessProblem}`);
    }
  };

  const tick = async () => {
    const last = await readLastSlot(pool, target);
    if (last === undefined) {
      // A new installation starts with the next slot (not at once).
      await recordSlot(pool, target, latestSlot(now(), time, timeZone));
      logger.info(
        { next: nextSlot(now(), time, timeZone), timeZone },
        'finance export: schedule started'
      );
      return;
    }
    const due = dueSlot(now(), last, time, timeZone);
    if (!due || Date.now() < retryAfter) return;
    logger.info(
      { slot: due.slot, missedNights: due.missed },
      due.missed > 0
        ? 'finance export: catching up missed nights in one run'
        : 'finance export: nightly run'
    );
    try {
      const summary = await runExport({
        pool,
        salesforce,
        mapping: prepared.mapping,
        query: prepared.query,
        mappingFile: config.mappingFile,
        settings: config.export,
        mode: 'incremental',
        trigger: 'schedule',
        scheduleSlot: due.slot,
        logger,
        signal: stop.signal
      });
      lastOutcome = { ok: true };
      logger.info(
        { runId: summary.runId, next: nextSlot(now(), time, timeZone) },
        'finance export: night done'
      );
    } catch (error) {
      if (stop.signal.aborted) return;
      if (error instanceof ExportBusyError || error instanceof ExportSlotDoneError) {
        // Another instance holds the lease or did the night; look again next tick.
        logger.info(
          { reason: (error as Error).message },
          "finance export: not this instance's run"
        );
        return;
      }
      retryAfter = Date.now() + retryMs;
      lastOutcome = { ok: false, reason: (error as Error).message };
      await checkAccess();
      logger.error(
        { err: error, retryInMinutes: retryMs / 60_000 },
        'finance export: nightly run did not finish; trying again later'
      );
    }
  };

  return {
    name: 'finance-schedule',
    start() {
      loop = (async () => {
        await checkAccess();
        while (!stop.signal.aborted) {
          try {
            await tick();
          } catch (error) {
            logger.error({ err: error }, 'finance export: schedule check failed');
          }
          await sleep(options.tickMs ?? TICK_MS, undefined, { signal: stop.signal }).catch(
            () => undefined
          );
        }
      })();
    },
    async stop() {
      stop.abort();
      await loop;
      prepared.close?.();
    },
    health: () =>
      accessProblem
        ? { ok: false, reason: accessProblem }
        : { ok: true, ...(lastOutcome.ok ? {} : { reason: lastOutcome.reason }) }
  };
}
