// Configuration of the account-sync service (Scenario 1): the SAP connection, batching and
// retry settings, in the toolkit's configuration style (docs/account-sync.md shows this table;
// a test keeps them equal). The SAP password is never echoed.
import {
  defineConfig,
  httpUrl,
  integer,
  required,
  text,
  withDefault
} from '../../../toolkit/src/env.ts';

export const accountSyncConfig = defineConfig({
  name: 'account-sync',
  subject: 'account-sync',
  docs: 'docs/account-sync.md',
  variables: {
    SAP_BASE_URL: required(httpUrl({ https: 'production', example: 'https://sap.example.com' }), {
      description:
        'SAP host, e.g. `https://my-s4.example.com`; the service path `/sap/opu/odata/sap/API_BUSINESS_PARTNER` is appended. In production https, unless `ALLOW_PLAINTEXT`.'
    }),
    SAP_USERNAME: required(text(), {
      description: 'SAP communication user (basic authentication).'
    }),
    SAP_PASSWORD: required(text(), { secret: true, description: 'Its password.' }),
    SAP_TIMEOUT_MS: withDefault(integer(100, 600_000), '30000', {
      description: 'Timeout of one SAP request.'
    }),
    SAP_CONCURRENCY: withDefault(integer(1, 256), '32', {
      description: 'SAP requests in flight from the batcher.'
    }),
    ACCOUNT_SYNC_BATCH_SIZE: withDefault(integer(1, 10_000), '1000', {
      description: 'Events per batch.'
    }),
    ACCOUNT_SYNC_MAX_WAIT_MS: withDefault(integer(0, 60_000), '200', {
      description: 'Longest the oldest event waits for a fuller batch.'
    }),
    ACCOUNT_SYNC_RETRY_LIMIT: withDefault(integer(0, 50), '6', {
      description: 'Retries of a transient failure through the queue.'
    }),
    ACCOUNT_SYNC_RETRY_DELAY_S: withDefault(integer(1, 3600), '5', {
      description: 'Base delay of the exponential backoff in seconds.'
    }),
    ACCOUNT_SYNC_KILL_SWITCH_INTERVAL_MS: withDefault(integer(100, 3_600_000), '30000', {
      description:
        'How often the kill switch (`Integration_Setting__mdt` `Enabled__c`, AccountSync else Default) is read: one SOQL query each time, 2,880 API calls a day at the default. Also the longest SAP keeps being called after an admin switches sync off.'
    }),
    ACCOUNT_SYNC_SWEEP_INTERVAL_MS: withDefault(integer(100, 86_400_000), '300000', {
      description:
        'How often the batcher lease holder sweeps, while the kill switch is on: accounts still Pending (unchanged for 2 minutes) and deletions with an SAP number since the last sweep are queued, whether or not the service saw an off period or an event. Two SOQL queries each time, 576 API calls a day at the default.'
    }),
    ACCOUNT_SYNC_KILL_SWITCH_MAX_FAILURES: withDefault(integer(1, 100), '3', {
      description:
        'Failed reads of the kill switch in a row (network, 5xx, limits) after which the service holds as if it were off, with readiness failing; any other failure (INVALID_TYPE, INSUFFICIENT_ACCESS, 4xx) holds at once.'
    })
  },
  build: (v): AccountSyncConfig => ({
    sap: {
      baseUrl: v.SAP_BASE_URL,
      username: v.SAP_USERNAME,
      password: v.SAP_PASSWORD,
      timeoutMs: v.SAP_TIMEOUT_MS,
      concurrency: v.SAP_CONCURRENCY
    },
    batchSize: v.ACCOUNT_SYNC_BATCH_SIZE,
    maxWaitMs: v.ACCOUNT_SYNC_MAX_WAIT_MS,
    retry: { limit: v.ACCOUNT_SYNC_RETRY_LIMIT, delaySeconds: v.ACCOUNT_SYNC_RETRY_DELAY_S },
    killSwitchIntervalMs: v.ACCOUNT_SYNC_KILL_SWITCH_INTERVAL_MS,
    killSwitchMaxFailures: v.ACCOUNT_SYNC_KILL_SWITCH_MAX_FAILURES,
    sweepIntervalMs: v.ACCOUNT_SYNC_SWEEP_INTERVAL_MS
  })
});

export interface AccountSyncConfig {
  sap: {
    baseUrl: string;
    username: string;
    password: string;
    timeoutMs: number;
    concurrency: number;
  };
  batchSize: number;
  maxWaitMs: number;
  /** Retries of a transient failure through the queue (exponential backoff with jitter). */
  retry: { limit: number; delaySeconds: number };
  /** How often the kill switch is read again (kill-switch.ts). */
  killSwitchIntervalMs: number;
  /** Failed reads in a row after which the service holds (kill-switch.ts). */
  killSwitchMaxFailures: number;
  /** How often the reconcile sweep runs (reconcile.ts `sweep`). */
  sweepIntervalMs: number;
}

export function loadAccountSyncConfig(
  env: Record<string, string | undefined> = process.env
): AccountSyncConfig {
  return accountSyncConfig.load(env);
}
