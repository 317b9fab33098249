// The kill switch of account sync, off platform: Integration_Setting__mdt Enabled__c of the
// AccountSync record, else of the Default record, else on - the rule IntegrationSettings.cls
// applies in Apex, so the service and the flows always agree on whether sync is on.
//
// While it is off, Apex publishes nothing, but the before-save flow still marks changed accounts
// Pending and deletions publish no Delete. So the service must not call SAP either: the batcher
// holds (events already in the inbox and queued retries stay where they are, neither processed
// nor failed), no reconciliation runs, and the SAP readiness ping is skipped. When the switch is
// on again, a catch-up reconciliation covers the off period: Pending accounts plus accounts
// deleted (queryAll, IsDeleted, with an SAP number) since the moment it went off or the
// checkpoint, whichever is earlier. That moment is kept in PostgreSQL, so a restart while off
// (or a lease moving to another instance) still catches up; it is removed only once the
// catch-up has been queued.
import type pg from 'pg';
import type { Logger, RestClient } from '../platform/index.ts';

export const KILL_SWITCH_SCENARIO = 'AccountSync';
const DEFAULT_RECORD = 'Default';
/** Row of account_sync_checkpoint that keeps when the service first saw the switch off. */
const OFF_MARKER = 'account-sync:kill-switch-off';

export type KillSwitchState = 'on' | 'off' | 'unknown';

interface SettingRow {
  DeveloperName: string;
  Enabled__c: boolean | string | null;
}

/** The switch as Apex resolves it: the scenario's record, else Default, else on. */
export function resolveEnabled(rows: readonly SettingRow[]): boolean {
  const byName = new Map(rows.map((r) => [r.DeveloperName, r]));
  const record = byName.get(KILL_SWITCH_SCENARIO) ?? byName.get(DEFAULT_RECORD);
  if (record === undefined) return true;
  return !(record.Enabled__c === false || record.Enabled__c === 'false');
}

/** Reads the switch (one SOQL query; custom metadata queries count as API calls). */
export async function readKillSwitch(rest: Pick<RestClient, 'query'>): Promise<boolean> {
  const rows: SettingRow[] = [];
  for await (const row of rest.query<SettingRow>(
    `SELECT DeveloperName, Enabled__c FROM Integration_Setting__mdt WHERE DeveloperName IN ('${KILL_SWITCH_SCENARIO}', '${DEFAULT_RECORD}')`
  ))
    rows.push(row);
  return resolveEnabled(rows);
}

export interface KillSwitchOptions {
  pool: pg.Pool;
  rest: Pick<RestClient, 'query'>;
  /** How often the switch is read again. */
  intervalMs: number;
  logger?: Logger | undefined;
  /** Called on every change of state (metrics). */
  onState?: (state: KillSwitchState) => void;
}

export class KillSwitch {
  private current: KillSwitchState = 'unknown';
  private reason = 'the kill switch has not been read yet';
  private attempted = false;

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

  /** When the service first saw the switch off (kept across restarts), if it is marked. */
  async offSince(): Promise<Date | undefined> {
    const { rows } = await this.options.pool.query<{ checkpoint: Date }>(
      'SELECT checkpoint FROM account_sync_checkpoint WHERE name = $1',
      [OFF_MARKER]
    );
    return rows[0]?.checkpoint;
  }

  /**
   * Reads the switch once. A read that fails keeps the state it had (the switch is not flipped
   * by an outage); before the first successful read the service stays held.
   */
  async check(): Promise<KillSwitchState> {
    const { pool, logger } = this.options;
    let enabled: boolean;
    try {
      enabled = await readKillSwitch(this.options.rest);
    } catch (error) {
      this.attempted = true;
      if (this.current === 'unknown') {
        logger?.error(
          { err: error },
          'account-sync: cannot read the kill switch (Integration_Setting__mdt); holding until it can be read'
        );
        this.set('unknown', `the kill switch cannot be read: ${(error as Error).message}`);
      } else logger?.warn({ err: error }, 'account-sync: kill switch read failed; state kept');
      return this.current;
    }
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

  /** The catch-up after an off period was queued: forget the moment it went off. */
  async caughtUp(): Promise<void> {
    await this.options.pool.query('DELETE FROM account_sync_checkpoint WHERE name = $1', [
      OFF_MARKER
    ]);
  }

  /**
   * Reads the switch now and then every interval until `signal` aborts. Each time it is on,
   * `whenOn` runs with the moment it went off if an off period still needs its catch-up (the
   * first time, also at every start); the marker goes only when `whenOn` succeeded, so a
   * failed catch-up is tried again at the next interval.
   */
  async watch(
    signal: AbortSignal,
    whenOn: (offSince: Date | undefined, first: boolean) => Promise<void>
  ): Promise<void> {
    const { intervalMs, logger } = this.options;
    let started = false;
    while (!signal.aborted) {
      try {
        if ((await this.check()) === 'on') {
          const offSince = await this.offSince();
          if (!started || offSince !== undefined) {
            await whenOn(offSince, !started);
            started = true;
            if (offSince !== undefined) await this.caughtUp();
          }
        }
      } catch (error) {
        logger?.error({ err: error }, 'account-sync: reconciliation after the kill switch failed');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true }
        );
      });
    }
  }
}
