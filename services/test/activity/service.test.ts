// The activity service on the platform, end to end: MQTT_URL unset starts the embedded broker;
// the device registry (ACTIVITY_REGISTRY_TOKENS only) answers a device's topic and derived login,
// with which a device publishes a reading that the Activity API answers within 5 s; the Remote
// Call-In then upserts the day into the org emulator as the integration user.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { loadProcessConfig, startPlatform, type Platform } from '../../src/platform/index.ts';
import type { EmbeddedBroker } from '../../src/activity/broker.ts';
import type { MaintenanceReport } from '../../src/activity/partitions.ts';
import { createActivityService } from '../../src/activity/service.ts';
import { writeBatch } from '../../src/activity/rollup-writer.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  startTestOrg,
  type TestOrg
} from '../platform/salesforce-test-org.ts';
import { readingPayload, waitFor } from './helpers.ts';
import { dayIn } from './harness.ts';

const TOKEN = 'activity-test-token-0123456789abcdef';
/** The Activity_API credential's token: reads, never registers. */
const READER = 'activity-reader-token-0123456789abcdef';

describe('activity service: device registry and embedded broker', () => {
  let db: TestDatabase;
  let org: TestOrg;
  let platform: Platform;
  let broker: EmbeddedBroker | undefined;
  const rounds: MaintenanceReport[] = [];
  const call = (method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
    fetch(`${platform.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {})
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {})
    });

  before(async () => {
    db = await createTestDatabase();
    org = await startTestOrg();
    // The person in Salesforce linked to the fitness user.
    await org
      .adminClients()
      .rest.createMany('Contact', [{ LastName: 'One', Fitness_User_Id__c: 'user-one' }], {
        allOrNone: true
      });
    const service = createActivityService({
      leaseRetryMs: 100,
      reconnectMs: 100,
      onEmbeddedBroker: (started) => (broker = started),
      onMaintenance: (report) => rounds.push(report)
    });
    const loaded = loadProcessConfig(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
        DATABASE_URL: db.url,
        HTTP_PORT: '0',
        SERVICE_API_TOKENS: `${TOKEN},${READER}`,
        ACTIVITY_REGISTRY_TOKENS: TOKEN,
        ACTIVITY_API_TOKENS: READER,
        ACTIVITY_SUMMARY_PUSH_INTERVAL_MS: '1000',
        ACTIVITY_SUMMARY_SETTLE_MS: '0',
        SF_INSTANCE_URL: org.emulator.instanceUrl,
        SF_CLIENT_ID: DEFAULT_CLIENT_ID,
        SF_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
        ACTIVITY_DEVICE_KEY: 'service-test-device-key-123',
        ACTIVITY_BATCH_WAIT_MS: '20'
      },
      [service]
    );
    platform = await startPlatform(loaded.platform, {
      services: loaded.services,
      readinessIntervalMs: 100
    });
  });
  after(async () => {
    await platform?.stop();
    await org?.close();
    await db?.drop();
  });

  it('refuses unauthenticated and invalid registrations', async () => {
    assert.equal(
      (await call('PUT', '/activity/users/user-one', { timeZone: 'UTC' }, null)).status,
      401
    );
    const badZone = await call('PUT', '/activity/users/user-one', { timeZone: 'Mars/Olympus' });
    assert.equal(badZone.status, 400);
    assert.match(((await badZone.json()) as { message: string }).message, /time zone/);
    // Node's ICU knows these retired names, PostgreSQL's tz data does not: refused with a 400,
    // never stored (a stored one would make every rollup of that user fail).
    for (const timeZone of ['US/Pacific-New', 'Canada/East-Saskatchewan', 'PST', '+05:30']) {
      const refused = await call('PUT', '/activity/users/user-zone', { timeZone });
      assert.equal(refused.status, 400, timeZone);
    }
    assert.equal(
      (await call('PUT', '/activity/users/user-one', { timeZone: 'UTC', extra: 1 })).status,
      400
    );
    assert.equal((await call('PUT', '/activity/users/x', { timeZone: 'UTC' })).status, 400);
    // The Activity API's token reads activity; it may not register (it would hand out logins).
    assert.equal(
      (await call('PUT', '/activity/users/user-one', { timeZone: 'UTC' }, READER)).status,
      403
    );
    assert.equal(
      (await call('PUT', '/activity/devices/dev-nouser-01', { userId: 'nobody' })).status,
      404
    );
    assert.equal(
      (await call('PUT', '/activity/devices/short', { userId: 'user-one' })).status,
      400
    );
  });

  it('registers a user and a device whose login publishes readings that land within 5 s', async () => {
    const user = await call('PUT', '/activity/users/user-one', {
      timeZone: 'Europe/Berlin',
      dailyStepGoal: 5000
    });
    assert.equal(user.status, 200);
    assert.deepEqual(await user.json(), {
      userId: 'user-one',
      timeZone: 'Europe/Berlin',
      dailyStepGoal: 5000
    });
    const answer = await call('PUT', '/activity/devices/dev-svc-0001', { userId: 'user-one' });
    assert.equal(answer.status, 200);
    const device = (await answer.json()) as {
      topic: string;
      mqttUsername: string;
      mqttPassword: string;
    };
    assert.match(device.topic, /^activity\/v1\/\d\d\/dev-svc-0001$/);
    assert.equal(device.mqttUsername, 'dev-svc-0001');
    assert.ok(broker, 'the embedded broker started');
    await waitFor(
      'the ingest worker ready',
      async () => (await fetch(`${platform.url}/readyz`)).status === 200
    );
    const client = await mqtt.connectAsync(broker.url, {
      username: device.mqttUsername,
      password: device.mqttPassword,
      reconnectPeriod: 0
    });
    const ts = new Date(Date.now() - 30_000);
    const started = Date.now();
    await client.publishAsync(device.topic, readingPayload('dev-svc-0001', ts, { steps: 21 }), {
      qos: 1
    });
    await waitFor('the day row', async () => {
      const { rows } = await db.pool.query(
        "SELECT steps::int FROM activity_days WHERE user_id = 'user-one' AND day = $1::date",
        [dayIn(ts, 'Europe/Berlin')]
      );
      return rows[0]?.steps === 21 ? true : undefined;
    });
    const summary = await call('GET', '/activity/users/user-one/summary', undefined, READER);
    assert.equal(summary.status, 200);
    assert.equal(((await summary.json()) as { steps: number }).steps, 21);
    assert.ok(Date.now() - started < 5000, 'visible through the API within 5 s');
    await client.endAsync();
    // Remote Call-In: the day reaches Salesforce as a Daily_Activity_Summary__c.
    const admin = org.adminClients();
    const pushed = await waitFor(
      'the summary in Salesforce',
      async () => {
        const records: Array<{ Steps__c: number }> = [];
        for await (const record of admin.rest.query<{ Steps__c: number }>(
          "SELECT Steps__c FROM Daily_Activity_Summary__c WHERE External_Key__c LIKE 'user-one:%'"
        ))
          records.push(record);
        return records.length > 0 ? records : undefined;
      },
      20_000
    );
    assert.equal(pushed[0]?.Steps__c, 21);
    assert.ok(rounds.length >= 1, 'partition maintenance ran');
  });

  it('refuses device ids reserved for the ingest workers', async () => {
    const answer = await call('PUT', '/activity/devices/activity-ingest-0', { userId: 'user-one' });
    assert.equal(answer.status, 400);
  });

  it("revokes the previous owner's login when a device moves, and every login when it is deleted", async () => {
    assert.equal((await call('PUT', '/activity/users/user-two', { timeZone: 'UTC' })).status, 200);
    const first = (await (
      await call('PUT', '/activity/devices/dev-move-0001', { userId: 'user-one' })
    ).json()) as { mqttPassword: string; keyGeneration: number; topic: string };
    assert.equal(first.keyGeneration, 0);
    const login = (password: string) =>
      mqtt.connectAsync(broker!.url, {
        username: 'dev-move-0001',
        password,
        reconnectPeriod: 0,
        connectTimeout: 5000
      });
    // Connected (and cached by the broker) before the move.
    const old = await login(first.mqttPassword);
    await old.publishAsync(first.topic, readingPayload('dev-move-0001', new Date()), { qos: 1 });
    const moved = (await (
      await call('PUT', '/activity/devices/dev-move-0001', { userId: 'user-two' })
    ).json()) as { mqttPassword: string; keyGeneration: number };
    assert.equal(moved.keyGeneration, 1);
    assert.notEqual(moved.mqttPassword, first.mqttPassword);
    // A reading taken before the move (queued, redelivered or late) is not the new owner's.
    const beforeMove = new Date(Date.now() - 10 * 60_000);
    await writeBatch(db.pool, [
      {
        deviceId: 'dev-move-0001',
        ts: beforeMove.getTime(),
        steps: 40,
        heartRate: 70,
        calories: 1,
        activeMinutes: 0.1
      }
    ]);
    const { rows: credited } = await db.pool.query(
      "SELECT 1 FROM activity_readings WHERE device_id = 'dev-move-0001' AND ts = $1",
      [beforeMove]
    );
    assert.equal(credited.length, 0, 'not credited to user-two');
    // The old owner's open connection is closed at its next publish, its key refused.
    old.publish(first.topic, readingPayload('dev-move-0001', new Date()), { qos: 1 });
    await waitFor('the old connection closed', () => !old.connected);
    old.end(true);
    await assert.rejects(login(first.mqttPassword), /Bad username or password/);
    // Same owner again: same generation (idempotent).
    const again = (await (
      await call('PUT', '/activity/devices/dev-move-0001', { userId: 'user-two' })
    ).json()) as { keyGeneration: number };
    assert.equal(again.keyGeneration, 1);
    const current = await login(moved.mqttPassword);
    await current.endAsync();
    assert.equal((await call('DELETE', '/activity/devices/dev-move-0001')).status, 204);
    await assert.rejects(login(moved.mqttPassword), /Bad username or password/);
    // Registered again: a new generation, the deleted device's key stays dead.
    const back = (await (
      await call('PUT', '/activity/devices/dev-move-0001', { userId: 'user-one' })
    ).json()) as { mqttPassword: string; keyGeneration: number };
    assert.equal(back.keyGeneration, 2);
    await assert.rejects(login(moved.mqttPassword), /Bad username or password/);
    await (await login(back.mqttPassword)).endAsync();
  });

  it('unregisters a device', async () => {
    assert.equal((await call('DELETE', '/activity/devices/dev-svc-0001')).status, 204);
    assert.equal((await call('DELETE', '/activity/devices/dev-svc-0001')).status, 404);
  });
});
