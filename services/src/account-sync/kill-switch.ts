// The kill switch of account sync, off platform: Integration_Setting__mdt Enabled__c of the
// AccountSync record, else of the Default record, else on - the rule IntegrationSettings.cls
// applies in Apex, so the service and the flows always agree on whether sync is on.
//
// While it is off, Apex publishes nothing, but the before-save flow still marks changed accounts
// Pending and deletions publish no Delete. So the service must not call SAP either: the batcher
// holds (events already in the inbox and queued retries stay where they are, neither processed
// nor failed), no reconciliation runs, and the SAP readiness ping is skipped. When the switch is
// on again, a catch-up reconciliation covers the off period (reconcile.ts). That moment is kept
// in PostgreSQL, so a restart while off (or a lease moving to another instance) still catches
// up; it is removed only once the catch-up has been queued, and only if it is still the marker
// the catch-up covered. An off period the service never saw is covered by the reconciliation at
// start when the service was down all along, and by the periodic sweep (reconcile.ts) when it
// ran: off and on again between two reads, or while the switch could not be read (unknown -> on
// starts no catch-up here).
//
// How the switch is read, and held when it cannot be, is the platform's (platform/kill-switch.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import {
  resolveEnabled as resolveScenario,
  ScenarioKillSwitch,
  type KillSwitchState,
  type Logger,
  type RestClient,
  type SettingRow
} from '../platform/index.ts';

export type { KillSwitchState };
export const KILL_SWITCH_SCENARIO = 'AccountSync';
/** Row of account_sync_checkpoint that keeps when the service first saw the switch off. */
const OFF_MARKER = 'account-sync:kill-switch-off';

/** The AccountSync switch as Apex resolves it (the record, else Default, else on). */
export function resolveEnabled(rows: readonly SettingRow[]): boolean {
  return resolveScenario(rows, KILL_SWITCH_SCENARIO);
}

export interface KillSwitchOptions {
  pool: pg.Pool;
  rest: Pick<RestClient, 'query'>;
  /** How often the switch is read again. */
  intervalMs: number;
  /** Failed reads in a row (passing errors) after which the service holds; default 3. */
  maxFailures?: number | undefined;
  logger?: Logger | undefined;
  /** Called on every change of state (metrics). */
  onState?: (state: KillSwitchState) => void;
}

export class KillSwitch extends ScenarioKillSwitch {
  constructor(private readonly options: KillSwitchOptions) {
    super({
      rest: options.rest,
      scenario: KILL_SWITCH_SCENARIO,
      component: 'account-sync',
      whileOff: 'no SAP calls; events are held in the inbox',
      maxFailures: options.maxFailures,
      logger: options.logger,
      ...(options.onState ? { onState: options.onState } : {})
    });
  }

  /** Off: the moment is marked, the earliest one kept (a restart while off must not move it). */
  protected override async onRead(enabled: boolean): Promise<void> {
    if (enabled) return;
    await this.options.pool.query(
      `INSERT INTO account_sync_checkpoint (name, checkpoint) VALUES ($1, now())
       ON CONFLICT (name) DO NOTHING`,
      [OFF_MARKER]
    );
  }

  /**
   * Whether SAP may be called (the readiness ping): by the batch lease holder, when it read the
   * switch on; by a standby instance, which does not read the switch, unless the lease holder's
   * off marker is in PostgreSQL (one local query, no Salesforce call).
   */
  async sapWanted(holdsLease: boolean): Promise<boolean> {
    if (holdsLease) return this.open;
    return (await this.offSince()) === undefined;
  }

  /** When the service first saw the switch off (kept across restarts), if it is marked. */
  async offSince(): Promise<Date | undefined> {
    const { rows } = await this.options.pool.query<{ checkpoint: Date }>(
      'SELECT checkpoint FROM account_sync_checkpoint WHERE name = $1',
      [OFF_MARKER]
    );
    return rows[0]?.checkpoint;
  }

  /**
   * The catch-up of the off period that began at `offSince` was queued: forget that moment, but
   * only that one (a new holder of the lease may have marked a later off period meanwhile, and
   * this instance may have lost the lease: then it leaves the marker alone).
   */
  async caughtUp(offSince: Date, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    await this.options.pool.query(
      // JavaScript dates carry milliseconds, PostgreSQL microseconds.
      `DELETE FROM account_sync_checkpoint
       WHERE name = $1 AND date_trunc('milliseconds', checkpoint) = $2`,
      [OFF_MARKER, offSince]
    );
  }

  /**
   * Reads the switch now and then every interval until `signal` aborts. Each time it is on,
   * `whenOn` is started with the moment it went off if an off period still needs its catch-up
   * (the first time, also at every start); the marker goes only when `whenOn` succeeded, so a
   * failed catch-up is tried again at the next interval. `whenOn` runs beside the loop, not in
   * it: a long reconciliation must not stop the switch being read while the batcher runs.
   */
  async watch(
    signal: AbortSignal,
    whenOn: (offSince: Date | undefined, first: boolean) => Promise<void>
  ): Promise<void> {
    const { intervalMs, logger } = this.options;
    let started = false;
    let running: Promise<void> | undefined;
    while (!signal.aborted) {
      try {
        if ((await this.check()) === 'on' && running === undefined) {
          const offSince = await this.offSince();
          if (!started || offSince !== undefined) {
            const first = !started;
            started = true;
            running = whenOn(offSince, first)
              .then(async () => {
                if (offSince !== undefined) await this.caughtUp(offSince, signal);
              })
              .catch((error: unknown) => {
                logger?.error(
                  { err: error },
                  'account-sync: reconciliation after the kill switch failed'
                );
              })
              .finally(() => {
                running = undefined;
              });
          }
        }
      } catch (error) {
        logger?.error({ err: error }, 'account-sync: reading the kill switch failed');
      }
      // timers/promises removes its abort listener when the timer fires: one listener added
      // per read and never removed would pile up for as long as the lease is held.
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
    }
    await running;
  }
}
