// The PRODUCTION broker setup (services/src/activity/mosquitto/: password file + ACL) on a
// private Mosquitto: the same refusals as the embedded broker (broker.test.ts).
import assert from 'node:assert/strict';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';
import { SHARE_GROUP } from '../../src/activity/ingest-worker.ts';
import { existsSync } from 'node:fs';
import { collect, connect, grants, readingPayload, skipUnless, waitFor } from './helpers.ts';
import { startPrivateMosquitto, type PrivateMosquitto } from './mosquitto.ts';

const KEY = 'test-device-key-0123456789';
// One user per worker (use_username_as_clientid): worker 0's.
const INGEST = { username: 'activity-ingest-0', password: 'ingest-secret-1234' };
const ALICE = 'dev-alice-0001';
const BOB = 'dev-bob-00002';

const skip = skipUnless(existsSync('/usr/sbin/mosquitto'), 'Mosquitto (/usr/sbin/mosquitto)');

describe('production Mosquitto setup: password file and ACL', { skip }, () => {
  let mosquitto: PrivateMosquitto;
  before(async () => {
    mosquitto = await startPrivateMosquitto({
      [INGEST.username]: INGEST.password,
      [ALICE]: deriveDeviceKey(KEY, ALICE),
      [BOB]: deriveDeviceKey(KEY, BOB)
    });
  });
  after(async () => mosquitto?.stop());

  it('refuses a wrong password and anonymous logins', async () => {
    await assert.rejects(
      connect(mosquitto.url, { username: ALICE, password: deriveDeviceKey(KEY, BOB) }),
      /Not authorized|Bad username/
    );
    await assert.rejects(connect(mosquitto.url, {}), /Not authorized|Bad username/);
    const alice = await connect(mosquitto.url, {
      username: ALICE,
      password: deriveDeviceKey(KEY, ALICE)
    });
    await alice.endAsync();
  });

  it("never delivers a device's publish on another device's topic", async () => {
    const ingest = await connect(mosquitto.url, { ...INGEST, protocolVersion: 5 });
    const seen = collect(ingest);
    assert.deepEqual(await grants(ingest, [`$share/${SHARE_GROUP}/activity/v1/+/+`]), [1]);
    const alice = await connect(mosquitto.url, {
      username: ALICE,
      password: deriveDeviceKey(KEY, ALICE)
    });
    // Mosquitto acknowledges a refused QoS 1 publish of a 3.1.1 client and drops it.
    await alice
      .publishAsync(deviceTopic(BOB), readingPayload(BOB, new Date()), { qos: 1 })
      .catch(() => undefined);
    if (!alice.connected) alice.reconnect();
    await waitFor('alice connected', () => alice.connected);
    await alice.publishAsync(deviceTopic(ALICE), readingPayload(ALICE, new Date()), { qos: 1 });
    await waitFor("alice's own reading", () => seen.length > 0);
    await sleep(200);
    assert.deepEqual(
      seen.map((m) => m.topic),
      [deviceTopic(ALICE)]
    );
    await alice.endAsync();
    await ingest.endAsync();
  });

  it("lets a device read nothing: another device's reading reaches the ingest user only", async () => {
    // Mosquitto 2.0 grants the SUBSCRIBE and applies the ACL's read rules at delivery.
    const alice = await connect(mosquitto.url, {
      username: ALICE,
      password: deriveDeviceKey(KEY, ALICE)
    });
    const aliceSaw = collect(alice);
    await grants(alice, ['activity/v1/#', '#']);
    const ingest = await connect(mosquitto.url, INGEST);
    const ingestSaw = collect(ingest);
    assert.deepEqual(await grants(ingest, ['activity/v1/#']), [1]);
    const bob = await connect(mosquitto.url, {
      username: BOB,
      password: deriveDeviceKey(KEY, BOB)
    });
    await bob.publishAsync(deviceTopic(BOB), readingPayload(BOB, new Date()), { qos: 1 });
    await waitFor("bob's reading at the ingest user", () => ingestSaw.length > 0);
    await sleep(200);
    assert.deepEqual(aliceSaw, []);
    await Promise.all([alice.endAsync(), ingest.endAsync(), bob.endAsync()]);
  });

  it('keeps no retained message of a device for later subscribers (retain_available false)', async () => {
    const alice = await connect(mosquitto.url, {
      username: ALICE,
      password: deriveDeviceKey(KEY, ALICE)
    });
    alice.on('error', () => undefined);
    alice.publish(deviceTopic(ALICE), readingPayload(ALICE, new Date()), { qos: 0, retain: true });
    await sleep(200);
    alice.end(true);
    const ingest = await connect(mosquitto.url, INGEST);
    const seen = collect(ingest);
    assert.deepEqual(await grants(ingest, ['activity/v1/#']), [1]);
    await sleep(300);
    assert.deepEqual(seen, []);
    await ingest.endAsync();
  });

  it('closes a connection whose first packet announces more than 2 KB (max_packet_size)', async () => {
    const { port } = new URL(mosquitto.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    // (events.once would reject on the reset's 'error' before 'close'.)
    const closed = new Promise<boolean>((resolve) => socket.on('close', () => resolve(true)));
    // CONNECT announcing 100 MB, then a trickle.
    socket.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x30]));
    socket.write(Buffer.alloc(1000, 0x41));
    assert.equal(await Promise.race([closed, sleep(2000).then(() => false)]), true);
    socket.destroy();
  });
});
