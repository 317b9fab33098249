// The embedded broker's per-device authentication and authorization (what the production
// Mosquitto does with its password and ACL files: mosquitto.test.ts).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';
import {
  deviceKeyFor,
  startEmbeddedBroker,
  type EmbeddedBroker
} from '../../src/activity/broker.ts';
import { collect, connect, grants, readingPayload, waitFor } from './helpers.ts';

const KEY = 'test-device-key-0123456789';
const INGEST = { username: 'activity-ingest', password: 'ingest-secret-1234' };
const ALICE = 'dev-alice-0001';
const BOB = 'dev-bob-00002';

describe('embedded broker: per-device authentication', () => {
  let broker: EmbeddedBroker;
  before(async () => {
    broker = await startEmbeddedBroker({ port: 0, deviceKey: KEY, ingest: INGEST });
  });
  after(async () => broker.stop());

  it('derives a device password from the key and the device id', () => {
    assert.equal(deviceKeyFor(KEY, ALICE), deviceKeyFor(KEY, ALICE));
    assert.notEqual(deviceKeyFor(KEY, ALICE), deviceKeyFor(KEY, BOB));
    assert.match(deviceKeyFor(KEY, ALICE), /^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a wrong password, an unknown user and an anonymous login', async () => {
    await assert.rejects(
      connect(broker.url, { username: ALICE, password: deviceKeyFor(KEY, BOB) }),
      /Bad username or password/
    );
    await assert.rejects(
      connect(broker.url, { username: INGEST.username, password: 'wrong' }),
      /Bad username or password/
    );
    await assert.rejects(
      connect(broker.url, { username: 'someone', password: 'x' }),
      /Bad username or password/
    );
    await assert.rejects(connect(broker.url, {}), /Bad username or password/);
  });

  it("lets a device publish on its own topic only: another device's topic never reaches the subscriber", async () => {
    const ingest = await connect(broker.url, INGEST);
    const seen = collect(ingest);
    await ingest.subscribeAsync('activity/v1/#', { qos: 1 });
    const alice = await connect(broker.url, {
      username: ALICE,
      password: deviceKeyFor(KEY, ALICE)
    });
    // As Bob, on Bob's topic, with Bob's id in the payload: refused (aedes closes the connection).
    alice.publish(deviceTopic(BOB), readingPayload(BOB, new Date()), { qos: 0 });
    await waitFor('the refused publisher to be disconnected', () => !alice.connected);
    alice.end(true);
    const again = await connect(broker.url, {
      username: ALICE,
      password: deviceKeyFor(KEY, ALICE)
    });
    await again.publishAsync(deviceTopic(ALICE), readingPayload(ALICE, new Date()), { qos: 1 });
    await waitFor("alice's own reading", () => seen.length > 0);
    await sleep(100);
    assert.deepEqual(
      seen.map((m) => m.topic),
      [deviceTopic(ALICE)]
    );
    await again.endAsync();
    await ingest.endAsync();
  });

  it('refuses every subscription of a device and any outside activity/v1 of the ingest user', async () => {
    const alice = await connect(broker.url, {
      username: ALICE,
      password: deviceKeyFor(KEY, ALICE)
    });
    assert.deepEqual(
      await grants(alice, [deviceTopic(ALICE), 'activity/v1/#', '#']),
      [128, 128, 128]
    );
    await alice.endAsync();
    const ingest = await connect(broker.url, INGEST);
    assert.deepEqual(
      await grants(ingest, ['activity/v1/#', 'activity/v1/07/+', '#', '$SYS/#']),
      [1, 1, 128, 128]
    );
    // The ingest user publishes nothing.
    ingest.publish(deviceTopic(ALICE), readingPayload(ALICE, new Date()), { qos: 0 });
    await waitFor('the ingest publisher to be disconnected', () => !ingest.connected);
    ingest.end(true);
  });
});
