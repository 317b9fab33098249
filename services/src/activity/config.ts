// Configuration of the activity service (Scenario 4): the MQTT broker the ingest workers read,
// how they split the device topics, batching, the late window and the retention of the
// time-partitioned tables; who may call the API, OData and the device registry; the Remote
// Call-In's pace (docs/activity.md shows this table; `npm run docs:config` writes it).
import {
  defineConfig,
  httpUrl,
  integer,
  list,
  oneOf,
  optional,
  text,
  withDefault
} from '../../../toolkit/src/env.ts';
import { DEVICE_TOPIC_PARTITIONS } from '../../../toolkit/src/device-topic.ts';
import { MIN_API_TOKEN_LENGTH } from '../platform/index.ts';
import type { CallInConfig } from './call-in/workers.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

const tokenList = (description: string) =>
  optional(
    list({
      minItemLength: MIN_API_TOKEN_LENGTH,
      itemName: 'token',
      itemHint: 'use long random tokens (e.g. openssl rand -hex 32)'
    }),
    { secret: true, description }
  );

export type SubscriptionMode = 'shared' | 'partitioned';

export const activityConfig = defineConfig({
  name: 'activity',
  subject: 'activity',
  docs: 'docs/activity.md',
  variables: {
    MQTT_URL: optional(
      text({
        pattern: /^mqtts?:\/\/[^\s/]+(:\d+)?\/?$/,
        patternMessage: 'must be mqtt://host:port or mqtts://host:port',
        label: 'mqtt(s) URL'
      }),
      {
        description:
          'The MQTT broker devices publish to and the ingest workers subscribe on (production: a Mosquitto/EMQX cluster, mqtts://). Required in production; unset elsewhere, the process starts the embedded aedes broker (per-device authentication with ACTIVITY_DEVICE_KEY) and uses it.'
      }
    ),
    ACTIVITY_MQTT_USERNAME: optional(text(), {
      description:
        "The ingest worker's broker login. Unset: `activity-ingest-<ACTIVITY_WORKER_INDEX>`, each worker its own user, which the production Mosquitto needs (use_username_as_clientid: the username is the client id of the worker's persistent session; acl: `user activity-ingest-<n>` / `topic read activity/v1/#`). The embedded broker accepts this name and any `activity-ingest-<n>` with ACTIVITY_MQTT_PASSWORD; the worker's client id is always `activity-ingest-<index>`."
    }),
    ACTIVITY_MQTT_PASSWORD: optional(text(), {
      secret: true,
      description:
        "The ingest workers' broker password. Required in production. The embedded broker accepts the ingest user only with this password; unset outside production, a random one is made at start."
    }),
    ACTIVITY_SUBSCRIPTION_MODE: withDefault(oneOf(['shared', 'partitioned']), 'partitioned', {
      description:
        'How several ingest workers split the devices without double counting. `shared`: one MQTT 5 shared subscription `$share/activity-ingest/activity/v1/+/+` (Mosquitto, EMQX, HiveMQ; the broker spreads messages over the workers; any number of workers). `partitioned`: worker ACTIVITY_WORKER_INDEX of ACTIVITY_WORKER_COUNT subscribes to its topic partitions only (MQTT 3.1.1 brokers without `$share`, such as the embedded aedes). The embedded broker needs `partitioned`.'
    }),
    ACTIVITY_WORKER_INDEX: withDefault(integer(0, DEVICE_TOPIC_PARTITIONS - 1), '0', {
      description:
        "This worker's number. It names the worker's persistent MQTT session (`activity-ingest-<index>`), so a restarted worker gets the QoS 1 messages queued while it was away: every instance needs its own index in both modes (two with one index take the session from each other). Partitioned mode: also which partitions it reads (0 to ACTIVITY_WORKER_COUNT - 1)."
    }),
    ACTIVITY_WORKER_COUNT: withDefault(integer(1, DEVICE_TOPIC_PARTITIONS), '1', {
      description:
        'Partitioned mode: how many workers split the 64 topic partitions (every partition has exactly one worker; run exactly this many, each with its own index).'
    }),
    ACTIVITY_BATCH_SIZE: withDefault(integer(1, 50_000), '2000', {
      description:
        'Most readings written in one SQL statement (one insert + rollup upsert per batch). Also bounds the unacknowledged QoS 1 messages a worker holds (its MQTT receive maximum).'
    }),
    ACTIVITY_BATCH_WAIT_MS: withDefault(integer(0, 10_000), '100', {
      description:
        'Longest a reading waits for others before its batch is written (latency versus statements per second).'
    }),
    ACTIVITY_MAX_MESSAGE_BYTES: withDefault(integer(64, 65_536), '1024', {
      description:
        'Largest reading payload accepted (the contract allows 1024 bytes); larger messages are counted (`oversized`) and dropped.'
    }),
    ACTIVITY_LATE_WINDOW_HOURS: withDefault(integer(1, 24 * 30), '48', {
      description:
        'Readings older than this (a device that was offline) are counted (`too_late`) and dropped; within it they land in the day they were taken. Must not exceed the raw retention (a late reading needs its raw partition to detect a duplicate).'
    }),
    ACTIVITY_RAW_RETENTION_DAYS: withDefault(integer(1, 3650), '7', {
      description:
        'Days of raw readings kept (`activity_readings`, daily partitions dropped whole by the hourly maintenance).'
    }),
    ACTIVITY_MINUTE_RETENTION_DAYS: withDefault(integer(1, 3650), '35', {
      description:
        'Days of per-minute rollups kept (`activity_minutes`); daily rollups (`activity_days`) are kept. Must cover the late window (ACTIVITY_MINUTE_RETENTION_DAYS × 24 ≥ ACTIVITY_LATE_WINDOW_HOURS).'
    }),
    ACTIVITY_API_TOKENS: tokenList(
      "Comma-separated bearer tokens that may read activity over REST (`/activity/users/...`): the Activity_API External Credential's (the portal dashboard's path). Each must also be in `SERVICE_API_TOKENS`, which the platform checks first. Unset: every REST read is refused."
    ),
    ACTIVITY_ODATA_TOKENS: tokenList(
      "Comma-separated bearer tokens that may read `/odata/v4/activity` (Salesforce Connect): the Activity_OData External Credential's. Kept apart from ACTIVITY_API_TOKENS: OData reads every user's rows, the portal path one user's. Each must also be in `SERVICE_API_TOKENS`. Unset: every OData read is refused."
    ),
    ACTIVITY_REGISTRY_TOKENS: tokenList(
      "Comma-separated bearer tokens that may register users and devices (`PUT /activity/users/...`, `PUT` or `DELETE /activity/devices/...`): the provisioning back office's. Never a token stored in Salesforce: registering answers device logins. Each must also be in `SERVICE_API_TOKENS`. Unset: every registration is refused."
    ),
    ACTIVITY_ODATA_MAX_PAGE_SIZE: withDefault(integer(1, 10_000), '1000', {
      description:
        'Most entities in one OData answer; the rest follow through `@odata.nextLink` (Salesforce Connect: enable server-driven paging on the External Data Source).'
    }),
    ACTIVITY_ODATA_STATEMENT_TIMEOUT_MS: withDefault(integer(100, 120_000), '5000', {
      description:
        'Longest an OData statement may run (SET LOCAL statement_timeout); past it the answer is 503 `query_timeout`. OData queries without a UserId filter (list views, reports) must not hold the connections the ingest and the REST API need.'
    }),
    ACTIVITY_ODATA_MAX_SKIP: withDefault(integer(0, 10_000_000), '100000', {
      description:
        'Deepest row offset ($skip plus the pages already delivered) allowed without a `UserId` or `Id` eq filter; deeper is 400 (an offset scan of the whole table).'
    }),
    ACTIVITY_ODATA_SERVICE_ROOT: optional(
      httpUrl({ https: 'production', example: 'https://activity.example.com/odata/v4/activity' }),
      {
        description:
          "Public URL of the OData service root, used in `@odata.context` and `@odata.nextLink` (never the request's Host header, which a client or proxy sets). Required in production; unset elsewhere, links are path-absolute (`/odata/v4/activity/...`)."
      }
    ),
    ACTIVITY_SUMMARY_PUSH_INTERVAL_MS: withDefault(
      integer(1000, 7 * 24 * HOUR_MS),
      String(4 * HOUR_MS),
      {
        description:
          "Time between daily summary pushes (one Bulk API 2.0 upsert job of every day changed since the last one). Default 4 h: at 10M active users a run is 10M records, and Bulk API 2.0 takes 150M a day (docs/activity.md, 'API and event budget')."
      }
    ),
    ACTIVITY_SUMMARY_SETTLE_MS: withDefault(integer(0, HOUR_MS), '60000', {
      description:
        'Days updated more recently than this wait for the next push; longer than the longest ingest transaction (updated_at is set when it starts).'
    }),
    ACTIVITY_SUMMARY_MAX_RECORDS_PER_JOB: withDefault(integer(1, 150_000_000), '500000', {
      description:
        'Days per Bulk API 2.0 job; a full job is followed by the next at once (jobs are also cut at 100 MB of CSV).'
    }),
    ACTIVITY_SUMMARY_RETRY_DELAY_MS: withDefault(
      integer(1000, 24 * HOUR_MS),
      String(15 * MINUTE_MS),
      {
        description: 'First retry of a day Salesforce refused; the delay doubles up to 24 h.'
      }
    ),
    ACTIVITY_GOAL_EVENTS_POLL_MS: withDefault(integer(100, HOUR_MS), '30000', {
      description:
        'How often the goal outbox is read when ingestion did not kick it (it does when a batch reaches a goal).'
    }),
    ACTIVITY_GOAL_EVENT_MAX_ATTEMPTS: withDefault(integer(1, 100), '10', {
      description:
        'Publish attempts of one goal event before it is given up (logged to Integration_Log__c, kept unpublished).'
    }),
    ACTIVITY_GOAL_EVENTS_MAX_PER_HOUR: withDefault(integer(0, 10_000_000), '200000', {
      description:
        "Goal events published per rolling hour at most, under the org's high-volume publishing allocation (250,000 an hour by default in Enterprise, Performance and Unlimited Editions); the rest wait. 0: no cap."
    }),
    ACTIVITY_KILL_SWITCH_INTERVAL_MS: withDefault(integer(100, HOUR_MS), '30000', {
      description:
        'How often the kill switch (`Integration_Setting__mdt` `Enabled__c`, Activity else Default) is read: one SOQL query each time, 2,880 API calls a day at the default. While off, nothing is pushed or published to Salesforce; ingestion and the API go on.'
    }),
    ACTIVITY_DEVICE_KEY: optional(
      text({ pattern: /^.{16,}$/, patternMessage: 'must be at least 16 characters' }),
      {
        secret: true,
        description:
          "Secret from which each device's broker password is derived: base64url(HMAC-SHA256(key, deviceId)). The embedded broker checks device logins with it and `PUT /activity/devices/:id` returns the device's password. Unset outside production: a random key per start (devices then need re-provisioning). In production the broker's own password file is the authority (docs/activity.md)."
      }
    )
  },
  rules(values, context, isSet) {
    const issues = [];
    if (context.production && !isSet('MQTT_URL'))
      issues.push({ variable: 'MQTT_URL', message: 'is required in production' });
    for (const variable of ['ACTIVITY_MQTT_PASSWORD', 'ACTIVITY_ODATA_SERVICE_ROOT'] as const)
      if (context.production && !isSet(variable))
        issues.push({ variable, message: 'is required in production' });
    const late = values.ACTIVITY_LATE_WINDOW_HOURS;
    const raw = values.ACTIVITY_RAW_RETENTION_DAYS;
    if (late !== undefined && raw !== undefined && late > raw * 24)
      issues.push({
        variable: 'ACTIVITY_LATE_WINDOW_HOURS',
        message: `must not exceed ACTIVITY_RAW_RETENTION_DAYS (${raw} days = ${raw * 24} h)`
      });
    const minutes = values.ACTIVITY_MINUTE_RETENTION_DAYS;
    if (late !== undefined && minutes !== undefined && late > minutes * 24)
      issues.push({
        variable: 'ACTIVITY_MINUTE_RETENTION_DAYS',
        message: `must cover ACTIVITY_LATE_WINDOW_HOURS (${late} h): a late reading needs its minute partition`
      });
    const index = values.ACTIVITY_WORKER_INDEX;
    const count = values.ACTIVITY_WORKER_COUNT;
    const partitioned = values.ACTIVITY_SUBSCRIPTION_MODE !== 'shared';
    if (partitioned && index !== undefined && count !== undefined && index >= count)
      issues.push({
        variable: 'ACTIVITY_WORKER_INDEX',
        message: `must be below ACTIVITY_WORKER_COUNT (${count})`
      });
    return issues;
  },
  build: (v): ActivityConfig => ({
    workerIndex: v.ACTIVITY_WORKER_INDEX,
    mqttUrl: v.MQTT_URL,
    mqttUsername: v.ACTIVITY_MQTT_USERNAME ?? `activity-ingest-${v.ACTIVITY_WORKER_INDEX}`,
    mqttPassword: v.ACTIVITY_MQTT_PASSWORD,
    subscription:
      v.ACTIVITY_SUBSCRIPTION_MODE === 'shared'
        ? { mode: 'shared' }
        : { mode: 'partitioned', index: v.ACTIVITY_WORKER_INDEX, count: v.ACTIVITY_WORKER_COUNT },
    batchSize: v.ACTIVITY_BATCH_SIZE,
    batchWaitMs: v.ACTIVITY_BATCH_WAIT_MS,
    maxMessageBytes: v.ACTIVITY_MAX_MESSAGE_BYTES,
    lateWindowHours: v.ACTIVITY_LATE_WINDOW_HOURS,
    rawRetentionDays: v.ACTIVITY_RAW_RETENTION_DAYS,
    minuteRetentionDays: v.ACTIVITY_MINUTE_RETENTION_DAYS,
    deviceKey: v.ACTIVITY_DEVICE_KEY,
    tokens: {
      api: v.ACTIVITY_API_TOKENS ?? [],
      odata: v.ACTIVITY_ODATA_TOKENS ?? [],
      registry: v.ACTIVITY_REGISTRY_TOKENS ?? []
    },
    odata: {
      maxPageSize: v.ACTIVITY_ODATA_MAX_PAGE_SIZE,
      serviceRoot: v.ACTIVITY_ODATA_SERVICE_ROOT,
      statementTimeoutMs: v.ACTIVITY_ODATA_STATEMENT_TIMEOUT_MS,
      maxSkip: v.ACTIVITY_ODATA_MAX_SKIP
    },
    callIn: {
      summaryPushIntervalMs: v.ACTIVITY_SUMMARY_PUSH_INTERVAL_MS,
      summarySettleMs: v.ACTIVITY_SUMMARY_SETTLE_MS,
      summaryMaxRecordsPerJob: v.ACTIVITY_SUMMARY_MAX_RECORDS_PER_JOB,
      summaryRetryDelayMs: v.ACTIVITY_SUMMARY_RETRY_DELAY_MS,
      goalEventsPollMs: v.ACTIVITY_GOAL_EVENTS_POLL_MS,
      goalEventMaxAttempts: v.ACTIVITY_GOAL_EVENT_MAX_ATTEMPTS,
      goalEventsMaxPerHour: v.ACTIVITY_GOAL_EVENTS_MAX_PER_HOUR,
      killSwitchIntervalMs: v.ACTIVITY_KILL_SWITCH_INTERVAL_MS
    }
  })
});

export type Subscription =
  { mode: 'shared' } | { mode: 'partitioned'; index: number; count: number };

export interface ActivityConfig {
  /** Names the worker's MQTT session (client id activity-ingest-<index>). */
  workerIndex: number;
  /** Unset: the embedded broker (never in production). */
  mqttUrl: string | undefined;
  mqttUsername: string;
  mqttPassword: string | undefined;
  subscription: Subscription;
  batchSize: number;
  batchWaitMs: number;
  maxMessageBytes: number;
  lateWindowHours: number;
  rawRetentionDays: number;
  minuteRetentionDays: number;
  deviceKey: string | undefined;
  /** Who may call what (api-tokens.ts); an empty list refuses everyone. */
  tokens: { api: readonly string[]; odata: readonly string[]; registry: readonly string[] };
  odata: {
    maxPageSize: number;
    serviceRoot: string | undefined;
    statementTimeoutMs: number;
    maxSkip: number;
  };
  callIn: CallInConfig;
}
