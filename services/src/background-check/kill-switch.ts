// The background-check kill switch, off platform: Integration_Setting__mdt Enabled__c of the
// BackgroundCheck record, else of the Default record, else on - read with account sync's reader
// (the same rule as IntegrationSettings.cls), as the integration user, whose permission set can
// read the type. Account sync's KillSwitch class is not reused: it keeps an off marker in
// account_sync_checkpoint for its catch-up reconciliation, which background checks do not need
// (nothing is missed while off: Apex sends nothing, and what was queued stays queued).
//
// While off (or unknown: never read, or unreadable) the service calls BackCheck for nothing:
// queued submissions and their retries are held (the submit job puts itself back, its retries
// kept), the sweep does not poll. Requests are still accepted and recorded (Apex sends none while
// off; one already on its way is held, not lost), and callbacks are still recorded and written to
// Salesforce: BackCheck already did the work, and a result is never dropped.
import { setTimeout as sleep } from 'node:timers/promises';
import { isTransientError, type Logger, type RestClient } from '../platform/index.ts';
import { readKillSwitch } from '../account-sync/kill-switch.ts';

export const BACKGROUND_CHECK_SCENARIO = 'BackgroundCheck';
export const PAUSED_REASON =
  'paused by kill switch (Integration_Setting__mdt BackgroundCheck Enabled__c = false)';

export type SwitchState = 'on' | 'off' | 'unknown';

export interface BackgroundCheckSwitchOptions {
  rest: Pick<RestClient, 'query'>;
  intervalMs: number;
  /** Passing read failures in a row after which the service holds (default 3). */
  maxFailures?: number;
  logger?: Logger;
  onState?: (state: SwitchState) => void;
}

export class BackgroundCheckSwitch {
  private current: SwitchState = 'unknown';
  private reason = 'the kill switch has not been read yet';
  private failures = 0;

  constructor(private readonly options: BackgroundCheckSwitchOptions) {}

  get state(): SwitchState {
    return this.current;
  }

  /** BackCheck may be called only when the switch was read and is on. */
  get open(): boolean {
    return this.current === 'on';
  }

  /** Why BackCheck is not called, for readiness; undefined when on. */
  get pausedReason(): string | undefined {
    return this.open ? undefined : this.reason;
  }

  private set(state: SwitchState, reason: string): void {
    this.reason = reason;
    if (state === this.current) return;
    const before = this.current;
    this.current = state;
    if (state === 'off')
      this.options.logger?.warn(
        `background-check ${PAUSED_REASON}: no BackCheck submissions or polls; callbacks still recorded`
      );
    else if (state === 'on' && before === 'off')
      this.options.logger?.info('background-check kill switch is on again: resuming');
    this.options.onState?.(state);
  }

  /** Reads the switch once (one SOQL query). */
  async check(): Promise<SwitchState> {
    try {
      const enabled = await readKillSwitch(this.options.rest, BACKGROUND_CHECK_SCENARIO);
      this.failures = 0;
      if (enabled) this.set('on', '');
      else this.set('off', PAUSED_REASON);
    } catch (error) {
      this.failures++;
      const transient = isTransientError(error);
      // A short outage keeps the state; an admin's "off" must never be ignored for long.
      if (
        this.current === 'unknown' ||
        !transient ||
        this.failures >= (this.options.maxFailures ?? 3)
      ) {
        this.options.logger?.error(
          { err: error, failures: this.failures },
          'background-check: cannot read the kill switch (Integration_Setting__mdt); holding BackCheck calls'
        );
        this.set('unknown', `the kill switch cannot be read: ${(error as Error).message}`);
      }
    }
    return this.current;
  }

  /** Reads the switch every interval until `signal` aborts (the first read is `check`'s). */
  async watch(signal: AbortSignal): Promise<void> {
    for (;;) {
      await sleep(this.options.intervalMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      await this.check();
    }
  }
}
