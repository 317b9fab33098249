// A scenario's kill switch, off platform: Integration_Setting__mdt Enabled__c of the scenario's
// record, else of the Default record, else on - the rule IntegrationSettings.cls applies in Apex,
// so a service and the Apex entry points of its scenario always agree on whether it is on.
//
// A switch that cannot be read is not assumed on: before the first read the service holds; once
// on, a read that fails with a passing error (network, 5xx, limits) keeps the state for up to
// `maxFailures` reads in a row, and after that, or at once on an error that will not pass by
// itself (INVALID_TYPE when the metadata grant was removed, INSUFFICIENT_ACCESS, other 4xx), the
// service holds (unknown) with readiness failing and an error logged: an admin's "off" must
// never be ignored because the switch cannot be read. What a slice holds while off, and what it
// does when the switch is on again, is the slice's (account-sync/kill-switch.ts,
// background-check/kill-switch.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { isTransientError } from './salesforce/index.ts';
import type { RestClient } from './salesforce/index.ts';
import type { Logger } from './logger.ts';

const DEFAULT_RECORD = 'Default';

export type KillSwitchState = 'on' | 'off' | 'unknown';

export interface SettingRow {
  DeveloperName: string;
  Enabled__c: boolean | string | null;
}

/** The switch as Apex resolves it: the scenario's record, else Default, else on. */
export function resolveEnabled(rows: readonly SettingRow[], scenario: string): boolean {
  const byName = new Map(rows.map((r) => [r.DeveloperName, r]));
  const record = byName.get(scenario) ?? byName.get(DEFAULT_RECORD);
  if (record === undefined) return true;
  return !(record.Enabled__c === false || record.Enabled__c === 'false');
}

/** Reads the switch (one SOQL query; custom metadata queries count as API calls). */
export async function readKillSwitch(
  rest: Pick<RestClient, 'query'>,
  scenario: string
): Promise<boolean> {
  const rows: SettingRow[] = [];
  for await (const row of rest.query<SettingRow>(
    `SELECT DeveloperName, Enabled__c FROM Integration_Setting__mdt WHERE DeveloperName IN ('${scenario}', '${DEFAULT_RECORD}')`
  ))
    rows.push(row);
  return resolveEnabled(rows, scenario);
}

export interface ScenarioKillSwitchOptions {
  rest: Pick<RestClient, 'query'>;
  /** DeveloperName of the scenario's Integration_Setting__mdt record. */
  scenario: string;
  /** The slice, as its log lines start (`account-sync`). */
  component: string;
  /** What is held while off, for the warning logged when the switch goes off. */
  whileOff: string;
  /** Failed reads in a row (passing errors) after which the service holds; default 3. */
  maxFailures?: number | undefined;
  logger?: Logger | undefined;
  /** Called on every change of state (metrics). */
  onState?: (state: KillSwitchState) => void;
}

/** The switch's state as this instance last read it; see the top of this file. */
export class ScenarioKillSwitch {
  private current: KillSwitchState = 'unknown';
  private reason = 'the kill switch has not been read yet';
  private attempted = false;
  private failures = 0;

  constructor(protected readonly switchOptions: ScenarioKillSwitchOptions) {}

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

  /** The reason readiness gives while the switch is off. */
  get offReason(): string {
    return `paused by kill switch (Integration_Setting__mdt ${this.switchOptions.scenario} Enabled__c = false)`;
  }

  /**
   * Reads the switch once. A read that fails with a passing error keeps the state it had for up
   * to `maxFailures` reads in a row (the switch is not flipped by a short outage); after that,
   * at once on any other error, and before the first successful read, the service holds.
   */
  /** Reads the switch every `intervalMs` until `signal` aborts (the first read is `check`'s). */
  async watchEvery(intervalMs: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      await this.check();
    }
  }

  async check(): Promise<KillSwitchState> {
    const { rest, scenario, component, whileOff, logger } = this.switchOptions;
    let enabled: boolean;
    try {
      enabled = await readKillSwitch(rest, scenario);
    } catch (error) {
      this.attempted = true;
      this.failures++;
      const limit = this.switchOptions.maxFailures ?? 3;
      const transient = isTransientError(error);
      if (this.current === 'unknown' || !transient || this.failures >= limit) {
        logger?.error(
          { err: error, failures: this.failures, transient },
          `${component}: cannot read the kill switch (Integration_Setting__mdt); holding until it can be read`
        );
        this.set(
          'unknown',
          `the kill switch cannot be read (${this.failures} failed read(s)): ${(error as Error).message}`
        );
      } else
        logger?.warn(
          { err: error, failures: this.failures },
          `${component}: kill switch read failed; state kept`
        );
      return this.current;
    }
    this.failures = 0;
    this.attempted = true;
    await this.onRead(enabled);
    if (!enabled) {
      if (this.current !== 'off') logger?.warn(`${component} ${this.offReason}: ${whileOff}`);
      this.set('off', this.offReason);
    } else {
      if (this.current === 'off') logger?.info(`${component} kill switch is on again: resuming`);
      this.set('on', '');
    }
    return this.current;
  }

  /**
   * A slice's work after every successful read, before the state changes (none by default).
   * @param enabled what the switch says
   */
  protected onRead(enabled: boolean): Promise<void> {
    void enabled;
    return Promise.resolve();
  }

  private set(state: KillSwitchState, reason: string): void {
    this.reason = reason;
    if (state === this.current) return;
    this.current = state;
    this.switchOptions.onState?.(state);
  }
}
