// A device logging in with the ingest worker's (predictable) client id activity-ingest-<index>
// must neither receive the readings queued in the worker's persistent session nor throw the
// worker off (found by the attacker review of the MQTT ingestion). The embedded aedes replaces a
// device's client id with its device id; the production Mosquitto has use_username_as_clientid
// and one user per worker (activity-ingest-<index>).
import assert from 'node:assert/strict';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import mqtt from 'mqtt';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';
import { startEmbeddedBroker } from '../../src/activity/broker.ts';
import { collect, connect, grants } from './helpers.ts';
import { startPrivateMosquitto } from './mosquitto.ts';

const KEY = 'test-device-key-0123456789';
// The per-worker user of production (ACTIVITY_MQTT_USERNAME's default for worker 0).
const INGEST = { username: 'activity-ingest-0', password: 'ingest-secret-1234' };
const VICTIM = 'dev-victim001';
const ATTACKER = 'dev-attacker1';
const CLIENT_ID = 'activity-ingest-0';

/** A client whose messages are collected from the first packet on (queued ones arrive at once). */
function early(url: string, options: mqtt.IClientOptions) {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  const closes = { n: 0 };
  client.on('close', () => closes.n++);
  return { client, seen: collect(client), closes };
}

async function attack(url: string) {
  // The worker has its persistent session, then is away for a moment (a restart).
  const worker = await connect(url, { ...INGEST, clientId: CLIENT_ID, clean: false });
  await grants(worker, ['activity/v1/+/+']);
  await worker.endAsync();
  const victim = await connect(url, { username: VICTIM, password: deriveDeviceKey(KEY, VICTIM) });
  await victim.publishAsync(deviceTopic(VICTIM), '{"queued":"while the worker restarts"}', {
    qos: 1
  });
  // A device logs in with the worker's client id.
  const stolen = early(url, {
    username: ATTACKER,
    password: deriveDeviceKey(KEY, ATTACKER),
    clientId: CLIENT_ID,
    clean: false
  });
  await sleep(500);
  stolen.client.end(true);
  await sleep(200);
  const back = early(url, { ...INGEST, clientId: CLIENT_ID, clean: false });
  await sleep(500);
  // While the worker is connected, the device takes the id again: the worker is thrown off.
  const again = early(url, {
    username: ATTACKER,
    password: deriveDeviceKey(KEY, ATTACKER),
    clientId: CLIENT_ID,
    clean: false
  });
  await sleep(500);
  for (const c of [victim, again.client, back.client]) c.end(true);
  return { attackerSaw: stolen.seen, workerGot: back.seen, workerKicked: back.closes.n > 0 };
}

function verdict(result: Awaited<ReturnType<typeof attack>>) {
  assert.deepEqual(
    {
      attackerSawOthersReadings: result.attackerSaw.length > 0,
      queuedReadingLost: result.workerGot.length === 0,
      workerThrownOff: result.workerKicked
    },
    { attackerSawOthersReadings: false, queuedReadingLost: false, workerThrownOff: false }
  );
}

it("embedded broker: a device cannot take the ingest worker's client id", async () => {
  const broker = await startEmbeddedBroker({ port: 0, deviceKey: KEY, ingest: INGEST });
  try {
    verdict(await attack(broker.url));
  } finally {
    await broker.stop();
  }
});

it(
  "production Mosquitto config: a device cannot take the ingest worker's client id",
  { skip: existsSync('/usr/sbin/mosquitto') ? false : 'no mosquitto' },
  async () => {
    const m = await startPrivateMosquitto({
      [INGEST.username]: INGEST.password,
      [VICTIM]: deriveDeviceKey(KEY, VICTIM),
      [ATTACKER]: deriveDeviceKey(KEY, ATTACKER)
    });
    try {
      verdict(await attack(m.url));
    } finally {
      await m.stop();
    }
  }
);
