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
// A switch that cannot be read is not assumed on: before the first read the service holds; once
// on, a read that fails with a passing error (network, 5xx, limits) keeps the state for up to
// `maxFailures` reads in a row, and after that, or at once on an error that will not pass by
// itself (INVALID_TYPE when the metadata grant was removed, INSUFFICIENT_ACCESS, other 4xx), the
// service holds (unknown) with readiness failing and an error logged: an admin's "off" must
// never be ignored because the switch cannot be read.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { isTransientError, type Logger, type RestClient } from '../platform/index.ts';

export const KILL_SWITCH_SCENARIO = 'AccountSync';
const DEFAULT_RECORD = 'Default';
/** Row of account_sync_checkpoint that keeps when the service first saw the switch off. */
const OFF_MARKER = 'account-sync:kill-switch-off';

export type KillSwitchState = 'on' | 'off' | 'unknown';

interface SettingRow {
  DeveloperName: string;
  Enabled__c: boolean | string | null;
}

/**
 * The switch as Apex resolves it: the scenario's record, else Default, else on. `scenario` lets
 * another slice (background-check) read its own record with the same rule.
 */
export function resolveEnabled(
  rows: readonly SettingRow[],
  scenario: string = KILL_SWITCH_SCENARIO
): boolean {
  const byName = new Map(rows.map((r) => [r.DeveloperName, r]));
  const record = byName.get(scenario) ?? byName.get(DEFAULT_RECORD);
  if (record === undefined) return true;
  return !(record.Enabled__c === false || record.Enabled__c === 'false');
}

/** Reads the switch (one SOQL query; custom metadata queries count as API calls). */
export async function readKillSwitch(
  rest: Pick<RestClient, 'query'>,
  scenario: string = KILL_SWITCH_SCENARIO
): Promise<boolean> {
  const rows: SettingRow[] = [];
  for await (const row of rest.query<SettingRow>(
    `SELECT DeveloperName, Enabled__c FROM Integration_Setting__mdt WHERE DeveloperName IN ('${scenario}', '${DEFAULT_RECORD}')`
  ))
    rows.push(row);
  return resolveEnabled(rows, scenario);
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

export class KillSwitch {
  private current: KillSwitchState = 'unknown';
  private reason = 'the kill switch has not been read yet';
  private attempted = false;
  private failures = 0;

  constructor(private readonly options: KillSwitchOptions) {}

  get state(): KillSwitchState {
    return this.current;
  }

  /** True only when the switch was read and is on: unknown holds, like off. */
  get open(): boolean {
    return this.current === 'on';
  }

  /**
   * Why the service is held, for readiness; undefined when it runs, and before the first read
   * has finished (a read takes milliseconds: readiness should not flap at every start).
   */
  get pausedReason(): string | undefined {
    return this.open || !this.attempted ? undefined : this.reason;
  }

  private set(state: KillSwitchState, reason: string): void {
    this.reason = reason;
    if (state === this.current) return;
    this.current = state;
    this.options.onState?.(state);
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
   * Reads the switch once. A read that fails with a passing error keeps the state it had for up
   * to `maxFailures` reads in a row (the switch is not flipped by a short outage); after that,
   * at once on any other error, and before the first successful read, the service holds.
   */
  async check(): Promise<KillSwitchState> {
    const { pool, logger } = this.options;
    let enabled: boolean;
    try {
      enabled = await readKillSwitch(this.options.rest);
    } catch (error) {
      this.attempted = true;
      this.failures++;
      const limit = this.options.maxFailures ?? 3;
      const transient = isTransientError(error);
      if (this.current === 'unknown' || !transient || this.failures >= limit) {
        logger?.error(
          { err: error, failures: this.failures, transient },
          'account-sync: cannot read the kill switch (Integration_Setting__mdt); holding until it can be read'
        );
        this.set(
          'unknown',
          `the kill switch cannot be read (${this.failures} failed read(s)): ${(error as Error).message}`
        );
      } else
        logger?.warn(
          { err: error, failures: this.failures },
          'account-sync: kill switch read failed; state kept'
        );
      return this.current;
    }
    this.failures = 0;
    this.attempted = true;
    if (!enabled) {
      // Keep the earliest moment: a restart while off must not move it forward.
      await pool.query(
        `INSERT INTO account_sync_checkpoint (name, checkpoint) VALUES ($1, now())
         ON CONFLICT (name) DO NOTHING`,
        [OFF_MARKER]
      );
      if (this.current !== 'off')
        logger?.warn(
          'account-sync paused by kill switch (Integration_Setting__mdt AccountSync Enabled__c = false): no SAP calls; events are held in the inbox'
        );
      this.set(
        'off',
        'paused by kill switch (Integration_Setting__mdt AccountSync Enabled__c = false)'
      );
    } else {
      if (this.current === 'off') logger?.info('account-sync kill switch is on again: resuming');
      this.set('on', '');
    }
    return this.current;
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
