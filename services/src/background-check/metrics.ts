// Prometheus metrics of the background-check service, on the platform's registry (GET /metrics):
// what an operator alerts on - callbacks by outcome (refused signatures, replays), results
// written and refused, checks by state (the backlog, the overdue, the undelivered), polls that
// found a lost callback. Labels are fixed sets: no application ids or references in metrics.
import type pg from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';

export type CallbackOutcome =
  'recorded' | 'duplicate' | 'replayed' | 'unknown' | 'invalid_signature' | 'invalid_body';

export interface BackgroundCheckMetrics {
  callback(outcome: CallbackOutcome): void;
  written(count: number, calls: number): void;
  refused(): void;
  polled(completed: number): void;
  /** The kill switch's state (on, off, unknown: not read or unreadable). */
  killSwitch(state: 'on' | 'off' | 'unknown'): void;
}

export function createBackgroundCheckMetrics(
  registry: Registry,
  pool: pg.Pool
): BackgroundCheckMetrics {
  const registers = [registry];
  const callbacks = new Counter({
    name: 'background_check_callbacks_total',
    help: 'BackCheck callbacks by outcome (recorded, duplicate, replayed, unknown, invalid_signature, invalid_body); alert on invalid_signature.',
    labelNames: ['outcome'] as const,
    registers
  });
  const written = new Counter({
    name: 'background_check_results_written_total',
    help: 'Results and failures written to Passport_Application__c.',
    registers
  });
  const calls = new Counter({
    name: 'background_check_write_calls_total',
    help: 'sObject Collections calls of the outbox (results written / calls = results per API call).',
    registers
  });
  const refused = new Counter({
    name: 'background_check_results_refused_total',
    help: 'Results Salesforce refused (retried alone through the job queue); alert on any.',
    registers
  });
  const found = new Counter({
    name: 'background_check_poll_completions_total',
    help: 'Checks the fallback poll completed (their callback never arrived).',
    registers
  });
  const paused = new Gauge({
    name: 'background_check_paused',
    help: 'Paused by kill switch (Integration_Setting__mdt BackgroundCheck Enabled__c): 1 while BackCheck submissions and polls are held (off, or the switch unreadable), by state; callbacks are still recorded.',
    labelNames: ['state'] as const,
    registers
  });
  new Gauge({
    name: 'background_check_checks',
    help: 'Checks in the log table by state; overdue = accepted past the deadline, undelivered = results waiting for Salesforce.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const { rows } = await pool.query<{ state: string; n: number }>(
        `SELECT state, count(*)::int AS n FROM background_checks GROUP BY state
         UNION ALL
         SELECT 'overdue', count(*)::int FROM background_checks
          WHERE state = 'accepted' AND deadline_at <= now()
         UNION ALL
         SELECT 'undelivered', count(*)::int FROM background_checks
          WHERE state IN ('completed', 'failed') AND delivered_at IS NULL`
      );
      this.reset();
      for (const row of rows) this.set({ state: row.state }, row.n);
    }
  });
  return {
    callback: (outcome) => callbacks.inc({ outcome }),
    written(count, callCount) {
      written.inc(count);
      calls.inc(callCount);
    },
    refused: () => refused.inc(),
    polled(completed) {
      if (completed > 0) found.inc(completed);
    },
    killSwitch(state) {
      paused.reset();
      if (state !== 'on') paused.set({ state }, 1);
    }
  };
}
