// The Activity kill switch, off platform: Integration_Setting__mdt Enabled__c of the Activity
// record (platform/kill-switch.ts: read as the integration user, held while unreadable).
//
// While off (or unknown) the call-in sends Salesforce nothing: no summary job, no poll, no goal
// event. Nothing is lost meanwhile: the summary watermark and the goal outbox stay where they
// are, so the first run after the switch is on again catches up. Ingestion and the Activity API
// do not talk to Salesforce and go on.
import {
  ScenarioKillSwitch,
  type KillSwitchState,
  type Logger,
  type RestClient
} from '../../platform/index.ts';

export const ACTIVITY_SCENARIO = 'Activity';

export interface ActivitySwitchOptions {
  rest: Pick<RestClient, 'query'>;
  /** Read interval (each read is one SOQL query, one API call). */
  intervalMs: number;
  maxFailures?: number;
  logger?: Logger;
  onState?: (state: KillSwitchState) => void;
}

export class ActivitySwitch extends ScenarioKillSwitch {
  constructor(private readonly options: ActivitySwitchOptions) {
    super({
      rest: options.rest,
      scenario: ACTIVITY_SCENARIO,
      component: 'activity',
      whileOff: 'no daily summary push and no goal events to Salesforce; both catch up when on',
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
