// The activity configuration's rules across variables.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activityConfig } from '../../src/activity/config.ts';

const problems = (env: Record<string, string>) => {
  const parsed = activityConfig.parse(env);
  return parsed.issues.map((issue) => `${issue.variable} ${issue.message}`);
};

describe('activity configuration', () => {
  it('runs with defaults outside production (embedded broker, one partitioned worker)', () => {
    const config = activityConfig.load({});
    assert.equal(config.mqttUrl, undefined);
    assert.deepEqual(config.subscription, { mode: 'partitioned', index: 0, count: 1 });
    assert.equal(config.batchSize, 2000);
    assert.equal(config.lateWindowHours, 48);
  });

  it('requires the broker, the ingest password and the public OData root in production', () => {
    assert.deepEqual(problems({ NODE_ENV: 'production' }), [
      'MQTT_URL is required in production',
      'ACTIVITY_MQTT_PASSWORD is required in production',
      'ACTIVITY_ODATA_SERVICE_ROOT is required in production'
    ]);
    assert.deepEqual(
      problems({
        NODE_ENV: 'production',
        MQTT_URL: 'mqtts://broker:8883',
        ACTIVITY_MQTT_PASSWORD: 'x',
        ACTIVITY_ODATA_SERVICE_ROOT: 'https://activity.example.com/odata/v4/activity'
      }),
      []
    );
    // Links Salesforce follows with its bearer token must not go out over plain HTTP.
    assert.match(
      problems({
        NODE_ENV: 'production',
        MQTT_URL: 'mqtts://broker:8883',
        ACTIVITY_MQTT_PASSWORD: 'x',
        ACTIVITY_ODATA_SERVICE_ROOT: 'http://activity.example.com/odata/v4/activity'
      }).join('\n'),
      /ACTIVITY_ODATA_SERVICE_ROOT/
    );
    assert.deepEqual(problems({ MQTT_URL: 'http://broker' }), [
      'MQTT_URL must be mqtt://host:port or mqtts://host:port (got "http://broker")'
    ]);
  });

  it('keeps the late window within the raw retention and the index below the count', () => {
    assert.deepEqual(
      problems({ ACTIVITY_LATE_WINDOW_HOURS: '200', ACTIVITY_RAW_RETENTION_DAYS: '7' }),
      ['ACTIVITY_LATE_WINDOW_HOURS must not exceed ACTIVITY_RAW_RETENTION_DAYS (7 days = 168 h)']
    );
    // A late reading adds to its minute rollup: that minute's partition must still be there.
    assert.deepEqual(
      problems({
        ACTIVITY_LATE_WINDOW_HOURS: '72',
        ACTIVITY_RAW_RETENTION_DAYS: '7',
        ACTIVITY_MINUTE_RETENTION_DAYS: '2'
      }),
      [
        'ACTIVITY_MINUTE_RETENTION_DAYS must cover ACTIVITY_LATE_WINDOW_HOURS (72 h): a late reading needs its minute partition'
      ]
    );
    assert.deepEqual(problems({ ACTIVITY_WORKER_INDEX: '2', ACTIVITY_WORKER_COUNT: '2' }), [
      'ACTIVITY_WORKER_INDEX must be below ACTIVITY_WORKER_COUNT (2)'
    ]);
    // Shared mode: the index only names the session.
    const shared = activityConfig.load({
      ACTIVITY_SUBSCRIPTION_MODE: 'shared',
      ACTIVITY_WORKER_INDEX: '5'
    });
    assert.deepEqual(shared.subscription, { mode: 'shared' });
    assert.equal(shared.workerIndex, 5);
  });
});
