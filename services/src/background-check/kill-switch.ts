// The background-check kill switch, off platform: Integration_Setting__mdt Enabled__c of the
// BackgroundCheck record, read and held when unreadable as every slice's (platform/kill-switch.ts),
// as the integration user, whose permission set can read the type. Unlike account sync's, it keeps
// no off marker: nothing is missed while off (Apex sends nothing, and what was queued stays queued).
//
// While off (or unknown: never read, or unreadable) the service calls BackCheck for nothing:
// queued submissions and their retries are held (the submit job puts itself back, its retries
// kept), the sweep does not poll. Requests are still accepted and recorded (Apex sends none while
// off; one already on its way is held, not lost), and callbacks are still recorded and written to
// Salesforce: BackCheck already did the work, and a result is never dropped.
import {
  ScenarioKillSwitch,
  type KillSwitchState,
  type Logger,
  type RestClient
} from '../platform/index.ts';

export const BACKGROUND_CHECK_SCENARIO = 'BackgroundCheck';

export type SwitchState = KillSwitchState;

export interface BackgroundCheckSwitchOptions {
  rest: Pick<RestClient, 'query'>;
  intervalMs: number;
  /** Passing read failures in a row after which the service holds (default 3). */
  maxFailures?: number;
  logger?: Logger;
  onState?: (state: SwitchState) => void;
}

export class BackgroundCheckSwitch extends ScenarioKillSwitch {
  constructor(private readonly options: BackgroundCheckSwitchOptions) {
    super({
      rest: options.rest,
      scenario: BACKGROUND_CHECK_SCENARIO,
      component: 'background-check',
      whileOff: 'no BackCheck submissions or polls; callbacks still recorded',
      maxFailures: options.maxFailures,
      logger: options.logger,
      ...(options.onState ? { onState: options.onState } : {})
    });
  }

  /** Reads the switch every interval until `signal` aborts (the first read is `check`'s). */
  watch(signal: AbortSignal): Promise<void> {
    return this.watchEvery(this.options.intervalMs, signal);
  }
}
