// Configuration of the background-check service (Scenario 3): the BackCheck connection, its
// webhook secret, and the timeouts of the long-running transaction, in the toolkit's
// configuration style (docs/background-check.md shows this table; a test keeps them equal).
import {
  defineConfig,
  httpUrl,
  integer,
  list,
  optional,
  required,
  text,
  withDefault
} from '../../../toolkit/src/env.ts';
import { MIN_API_TOKEN_LENGTH } from '../platform/index.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const backgroundCheckConfig = defineConfig({
  name: 'background-check',
  subject: 'background-check',
  docs: 'docs/background-check.md',
  variables: {
    BACKGROUND_CHECK_API_TOKENS: optional(
      list({
        minItemLength: MIN_API_TOKEN_LENGTH,
        itemName: 'token',
        itemHint: 'use long random tokens (e.g. openssl rand -hex 32)'
      }),
      {
        secret: true,
        description:
          "Comma-separated bearer tokens that may call `POST /background-checks` (the Background_Check_ESB Named Credential's); each must also be in `SERVICE_API_TOKENS`, which the platform checks first. A token of another service is refused (403). Unset: every submit is refused."
      }
    ),
    BACKCHECK_BASE_URL: required(
      httpUrl({ https: 'production', example: 'https://api.backcheck.example' }),
      { description: 'BackCheck API base URL (`/v1/checks` is appended).' }
    ),
    BACKCHECK_API_KEY: required(text(), {
      secret: true,
      description:
        "BackCheck API key, sent as `Authorization: Bearer`; BackCheck sends this key's callbacks to `<service>/backcheck/callbacks`."
    }),
    BACKCHECK_WEBHOOK_SECRET: required(text(), {
      secret: true,
      description: 'Shared secret of the `BackCheck-Signature` HMAC on callbacks.'
    }),
    BACKCHECK_TIMEOUT_MS: withDefault(integer(100, 600_000), '60000', {
      description:
        'Time box of one BackCheck call (a submit streams up to 10 MB of photo). Runs in the job queue, never while Salesforce waits.'
    }),
    BACKGROUND_CHECK_DEADLINE_MS: withDefault(integer(1, 365 * DAY_MS), String(78 * HOUR_MS), {
      description:
        "Time after the request after which a check without a result is flagged overdue and BackCheck's status endpoint is polled (lost callback). Default 78 h: BackCheck takes 2-3 days."
    }),
    BACKGROUND_CHECK_EXPIRE_MS: withDefault(integer(1, 365 * DAY_MS), String(5 * DAY_MS), {
      description:
        "Time after the request after which a check still without a result is `expired` (a resubmit then starts a new attempt; a late result is still recorded, but Salesforce refuses it once its timeout sweep moved the application to Error). Keep it at Salesforce's `Pending_Timeout_Days__c` (5 days)."
    }),
    BACKGROUND_CHECK_POLL_INTERVAL_MS: withDefault(integer(100, 7 * DAY_MS), String(HOUR_MS), {
      description: 'Least time between two status polls of one overdue check.'
    }),
    BACKGROUND_CHECK_SWEEP_INTERVAL_MS: withDefault(integer(50, DAY_MS), '60000', {
      description: 'How often the deadline sweep runs (flag, poll, expire, prune).'
    }),
    BACKGROUND_CHECK_BATCH_WAIT_MS: withDefault(integer(0, 60_000), '200', {
      description:
        'Longest a recorded result waits for others before the Salesforce write (one sObject Collections call takes 200).'
    }),
    BACKGROUND_CHECK_RETRY_LIMIT: withDefault(integer(0, 50), '10', {
      description:
        'Retries of a failed BackCheck submit, or of one record Salesforce refused, through the job queue.'
    }),
    BACKGROUND_CHECK_RETRY_DELAY_S: withDefault(integer(1, 3600), '5', {
      description: 'Base delay of their exponential backoff in seconds.'
    }),
    BACKGROUND_CHECK_KILL_SWITCH_INTERVAL_MS: withDefault(integer(100, 3_600_000), '30000', {
      description:
        'How often the kill switch (`Integration_Setting__mdt` `Enabled__c`, BackgroundCheck else Default) is read: one SOQL query each time, 2,880 API calls a day at the default; also the longest BackCheck keeps being called after an admin switches it off, and how long a held submit job waits before it looks again. While off, queued submissions are held and overdue checks are not polled; callbacks are still recorded and written.'
    })
  },
  build: (v): BackgroundCheckConfig => ({
    submitTokens: v.BACKGROUND_CHECK_API_TOKENS ?? [],
    backCheck: {
      baseUrl: v.BACKCHECK_BASE_URL,
      apiKey: v.BACKCHECK_API_KEY,
      timeoutMs: v.BACKCHECK_TIMEOUT_MS
    },
    webhookSecret: v.BACKCHECK_WEBHOOK_SECRET,
    deadlineMs: v.BACKGROUND_CHECK_DEADLINE_MS,
    expireMs: Math.max(v.BACKGROUND_CHECK_EXPIRE_MS, v.BACKGROUND_CHECK_DEADLINE_MS),
    pollIntervalMs: v.BACKGROUND_CHECK_POLL_INTERVAL_MS,
    sweepIntervalMs: v.BACKGROUND_CHECK_SWEEP_INTERVAL_MS,
    batchWaitMs: v.BACKGROUND_CHECK_BATCH_WAIT_MS,
    retry: {
      limit: v.BACKGROUND_CHECK_RETRY_LIMIT,
      delaySeconds: v.BACKGROUND_CHECK_RETRY_DELAY_S
    },
    killSwitchIntervalMs: v.BACKGROUND_CHECK_KILL_SWITCH_INTERVAL_MS
  })
});

export interface BackCheckConnection {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

export interface BackgroundCheckConfig {
  /** BACKGROUND_CHECK_API_TOKENS: who may submit checks. */
  submitTokens: readonly string[];
  backCheck: BackCheckConnection;
  webhookSecret: string;
  /** Overdue (flag + poll) this long after the request. */
  deadlineMs: number;
  /** Expired this long after the request (never before the deadline). */
  expireMs: number;
  pollIntervalMs: number;
  sweepIntervalMs: number;
  batchWaitMs: number;
  retry: { limit: number; delaySeconds: number };
  killSwitchIntervalMs: number;
}
