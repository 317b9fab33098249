// Configuration of the activity service (Scenario 4): the MQTT broker the ingest workers read,
// how they split the device topics, batching, the late window and the retention of the
// time-partitioned tables (docs/activity.md shows this table; `npm run docs:config` writes it).
import {
  defineConfig,
  integer,
  oneOf,
  optional,
  text,
  withDefault
} from '../../../toolkit/src/env.ts';
import { DEVICE_TOPIC_PARTITIONS } from '../../../toolkit/src/device-topic.ts';

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
    ACTIVITY_MQTT_USERNAME: withDefault(text(), 'activity-ingest', {
      description:
        "The ingest workers' broker login; the broker lets this user subscribe to `activity/v1/#` only (mosquitto acl: `user activity-ingest` / `topic read activity/v1/#`)."
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
        'Days of per-minute rollups kept (`activity_minutes`); daily rollups (`activity_days`) are kept.'
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
    if (context.production && !isSet('ACTIVITY_MQTT_PASSWORD'))
      issues.push({ variable: 'ACTIVITY_MQTT_PASSWORD', message: 'is required in production' });
    const late = values.ACTIVITY_LATE_WINDOW_HOURS;
    const raw = values.ACTIVITY_RAW_RETENTION_DAYS;
    if (late !== undefined && raw !== undefined && late > raw * 24)
      issues.push({
        variable: 'ACTIVITY_LATE_WINDOW_HOURS',
        message: `must not exceed ACTIVITY_RAW_RETENTION_DAYS (${raw} days = ${raw * 24} h)`
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
    mqttUsername: v.ACTIVITY_MQTT_USERNAME,
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
    deviceKey: v.ACTIVITY_DEVICE_KEY
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
}
