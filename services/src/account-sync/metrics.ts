// Prometheus metrics of the account-sync service, on the platform's registry (GET /metrics):
// what an operator alerts on - accounts by outcome, the inbox backlog, batch durations, retries
// queued and reconciliations. Labels are fixed sets: no account ids in metrics.
import type pg from 'pg';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { inboxSize } from './inbox.ts';
import type { KillSwitchState } from './kill-switch.ts';
import type { ReconcileResult } from './reconcile.ts';
import type { BatchResult } from './sync-batch.ts';

export interface AccountSyncMetrics {
  batch(result: BatchResult, seconds: number): void;
  reconciled(result: ReconcileResult): void;
  /** One run of the periodic sweep; what it queued is counted by `reconciled`. */
  swept(outcome: 'ok' | 'failed'): void;
  /** The kill switch's state as this instance last read it. */
  killSwitch(state: KillSwitchState): void;
}

export function createAccountSyncMetrics(registry: Registry, pool: pg.Pool): AccountSyncMetrics {
  const registers = [registry];
  const accounts = new Counter({
    name: 'account_sync_accounts_total',
    help: 'Accounts processed, by outcome (success, blocked, skipped, permanent = Failed, transient = queued for retry).',
    labelNames: ['outcome'] as const,
    registers
  });
  const notFound = new Counter({
    name: 'account_sync_accounts_not_found_total',
    help: 'Accounts an event named that Salesforce did not return even with queryAll (invisible to the integration user, or purged), by operation: skipped, SAP unchanged; alert on any.',
    labelNames: ['operation'] as const,
    registers
  });
  const conflicts = new Counter({
    name: 'account_sync_partner_conflicts_total',
    help: "Upserts refused because the account's SAP number names a business partner of another account (SearchTerm1): Failed, SAP unchanged; alert on any.",
    registers
  });
  const duration = new Histogram({
    name: 'account_sync_batch_duration_seconds',
    help: 'Duration of one batch: Salesforce read, SAP calls and write-back.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers
  });
  const reconciled = new Counter({
    name: 'account_sync_reconciled_accounts_total',
    help: 'Accounts found by reconciliation and queued, by reason (start, replay-gap, kill-switch, sweep) and operation.',
    labelNames: ['reason', 'operation'] as const,
    registers
  });
  const sweeps = new Counter({
    name: 'account_sync_sweeps_total',
    help: 'Runs of the periodic reconcile sweep (Pending accounts, deletions since its watermark), by outcome (ok, failed: tried again at the next interval).',
    labelNames: ['outcome'] as const,
    registers
  });
  const paused = new Gauge({
    name: 'account_sync_paused',
    help: '1 while this instance holds account sync: the kill switch (Integration_Setting__mdt AccountSync Enabled__c) is off, or not read yet; no SAP calls. 0 when it runs. Standby instances report 0.',
    registers
  });
  new Gauge({
    name: 'account_sync_inbox_events',
    help: 'Events received and not yet processed (the backlog).',
    registers,
    async collect() {
      this.set(await inboxSize(pool));
    }
  });
  return {
    batch(result, seconds) {
      for (const outcome of result.outcomes) {
        accounts.inc({ outcome: outcome.kind });
        if (outcome.kind === 'skipped' && outcome.notFound)
          notFound.inc({ operation: outcome.notFound });
        if (outcome.kind === 'permanent' && outcome.conflict !== undefined) conflicts.inc();
      }
      duration.observe(seconds);
    },
    reconciled(result) {
      reconciled.inc({ reason: result.reason, operation: 'upsert' }, result.upserts);
      reconciled.inc({ reason: result.reason, operation: 'delete' }, result.deletes);
    },
    swept(outcome) {
      sweeps.inc({ outcome });
    },
    killSwitch(state) {
      paused.set(state === 'on' ? 0 : 1);
    }
  };
}
