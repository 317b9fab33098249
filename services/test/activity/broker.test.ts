// The embedded broker's per-device authentication and authorization (what the production
// Mosquitto does with its password and ACL files: mosquitto.test.ts).
import assert from 'node:assert/strict';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/activity/broker.ts';
import { collect, connect, grants, readingPayload, waitFor } from './helpers.ts';

const KEY = 'test-device-key-0123456789';
const INGEST = {
  username: 'activity-ingest',
  password: 'ingest-secret-1234',
  clientId: 'activity-ingest-test'
};
const ALICE = 'dev-alice-0001';
const BOB = 'dev-bob-00002';

describe('embedded broker: per-device authentication', () => {
  let broker: EmbeddedBroker;
  before(async () => {
    broker = await startEmbeddedBroker({ port: 0, deviceKey: KEY, ingest: INGEST });
  });
  after(async () => broker.stop());

  it('derives a device password from the key and the device id', () => {
    assert.equal(deriveDeviceKey(KEY, ALICE), deriveDeviceKey(KEY, ALICE));
    assert.notEqual(deriveDeviceKey(KEY, ALICE), deriveDeviceKey(KEY, BOB));
    assert.match(deriveDeviceKey(KEY, ALICE), /^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a wrong password, an unknown user and an anonymous login', async () => {
    await assert.rejects(
      connect(broker.url, { username: ALICE, password: deriveDeviceKey(KEY, BOB) }),
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
      password: deriveDeviceKey(KEY, ALICE)
    });
    // As Bob, on Bob's topic, with Bob's id in the payload: refused (aedes closes the connection).
    alice.publish(deviceTopic(BOB), readingPayload(BOB, new Date()), { qos: 0 });
    await waitFor('the refused publisher to be disconnected', () => !alice.connected);
    alice.end(true);
    const again = await connect(broker.url, {
      username: ALICE,
      password: deriveDeviceKey(KEY, ALICE)
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
      password: deriveDeviceKey(KEY, ALICE)
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

describe('embedded broker: sessions, retained messages and reserved names', () => {
  let broker: EmbeddedBroker;
  before(async () => {
    broker = await startEmbeddedBroker({ port: 0, deviceKey: KEY, ingest: INGEST });
  });
  after(async () => broker.stop());

  it('refuses an ingest login whose client id does not start with activity-ingest-', async () => {
    await assert.rejects(
      connect(broker.url, { ...INGEST, clientId: 'worker-0' }),
      /Bad username or password/
    );
    // The per-worker usernames production uses (activity-ingest-<n>) log in too.
    const worker = await connect(broker.url, {
      ...INGEST,
      username: 'activity-ingest-3',
      clientId: 'activity-ingest-3'
    });
    await worker.endAsync();
  });

  it("refuses device ids reserved for the ingest workers, even with the id's derived key", async () => {
    for (const id of ['activity-ingest-0', 'Activity-Ingest-x1'])
      await assert.rejects(
        connect(broker.url, { username: id, password: deriveDeviceKey(KEY, id), clientId: id }),
        /Bad username or password/
      );
  });

  it("gives a device its own id as client id: it cannot take another device's session", async () => {
    // Bob's persistent session; Alice then logs in with Bob's client id.
    const bob = await connect(broker.url, {
      username: BOB,
      password: deriveDeviceKey(KEY, BOB),
      clientId: BOB,
      clean: false
    });
    let bobClosed = false;
    bob.on('close', () => (bobClosed = true));
    const alice = await connect(broker.url, {
      username: ALICE,
      password: deriveDeviceKey(KEY, ALICE),
      clientId: BOB
    });
    await sleep(300);
    assert.equal(bobClosed, false, 'bob stays connected');
    await alice.endAsync();
    await bob.endAsync();
  });

  it('refuses a retained publish of a device (the broker would keep it for any subscriber)', async () => {
    const ingest = await connect(broker.url, INGEST);
    const seen = collect(ingest);
    await ingest.subscribeAsync('activity/v1/#', { qos: 1 });
    const alice = await connect(broker.url, {
      username: ALICE,
      password: deriveDeviceKey(KEY, ALICE)
    });
    alice.publish(deviceTopic(ALICE), readingPayload(ALICE, new Date()), { qos: 0, retain: true });
    await waitFor('the retained publisher to be disconnected', () => !alice.connected);
    alice.end(true);
    await sleep(100);
    assert.deepEqual(seen, []);
    await ingest.endAsync();
  });
});

describe('embedded broker: registered devices and key generations', () => {
  let broker: EmbeddedBroker;
  // The registry as the broker sees it (the service wires registeredDeviceLookup on its pool).
  const registry = new Map<string, number>();
  before(async () => {
    broker = await startEmbeddedBroker({
      port: 0,
      deviceKey: KEY,
      ingest: INGEST,
      lookupDevice: async (id) => {
        const generation = registry.get(id);
        return generation === undefined ? undefined : { generation };
      }
    });
  });
  after(async () => broker.stop());

  it('refuses an unregistered device and a key of an earlier generation', async () => {
    await assert.rejects(
      connect(broker.url, { username: ALICE, password: deriveDeviceKey(KEY, ALICE) }),
      /Bad username or password/
    );
    registry.set(ALICE, 1);
    await assert.rejects(
      connect(broker.url, { username: ALICE, password: deriveDeviceKey(KEY, ALICE) }),
      /Bad username or password/
    );
    const alice = await connect(broker.url, {
      username: ALICE,
      password: deriveDeviceKey(KEY, ALICE, 1)
    });
    await alice.endAsync();
  });

  it("closes a moved or deleted device's open connection at its next publish", async () => {
    registry.set(BOB, 0);
    const ingest = await connect(broker.url, INGEST);
    const seen = collect(ingest);
    await ingest.subscribeAsync('activity/v1/#', { qos: 1 });
    const bob = await connect(broker.url, { username: BOB, password: deriveDeviceKey(KEY, BOB) });
    await bob.publishAsync(deviceTopic(BOB), readingPayload(BOB, new Date()), { qos: 1 });
    await waitFor("bob's first reading", () => seen.length === 1);
    registry.set(BOB, 1); // moved to another user
    bob.publish(deviceTopic(BOB), readingPayload(BOB, new Date()), { qos: 1 });
    await waitFor('the revoked device disconnected', () => !bob.connected);
    bob.end(true);
    registry.delete(ALICE);
    const alice = await connect(broker.url, {
      username: ALICE,
      password: deriveDeviceKey(KEY, ALICE, 1)
    }).catch((error: Error) => error);
    assert.ok(alice instanceof Error, 'a deleted device cannot log in');
    await sleep(100);
    assert.equal(seen.length, 1);
    await ingest.endAsync();
  });
});
