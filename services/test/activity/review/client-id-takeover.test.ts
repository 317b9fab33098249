// Review (hostile): any device may log in with the ingest worker's (predictable) client id
// activity-ingest-<index>. Fails on main on both the embedded aedes and production Mosquitto.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import mqtt from 'mqtt';
import { deviceTopic } from '../../../../toolkit/src/device-topic.ts';
import { deviceKeyFor, startEmbeddedBroker } from '../../../src/activity/broker.ts';
import { collect, connect, grants } from '../helpers.ts';
import { startPrivateMosquitto } from '../mosquitto.ts';

const KEY = 'test-device-key-0123456789';
const INGEST = { username: 'activity-ingest', password: 'ingest-secret-1234' };
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
  const victim = await connect(url, { username: VICTIM, password: deviceKeyFor(KEY, VICTIM) });
  await victim.publishAsync(deviceTopic(VICTIM), '{"queued":"while the worker restarts"}', {
    qos: 1
  });
  // A device logs in with the worker's client id.
  const stolen = early(url, {
    username: ATTACKER,
    password: deviceKeyFor(KEY, ATTACKER),
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
    password: deviceKeyFor(KEY, ATTACKER),
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
      [VICTIM]: deviceKeyFor(KEY, VICTIM),
      [ATTACKER]: deviceKeyFor(KEY, ATTACKER)
    });
    try {
      verdict(await attack(m.url));
    } finally {
      await m.stop();
    }
  }
);
