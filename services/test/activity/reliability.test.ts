// Reliability of ingestion: a broker restart (the worker reconnects and resumes; a persistent QoS
// 1 publisher's outage messages arrive) and a worker that dies before its batch commits (the
// broker redelivers to the same client id: nothing lost, nothing doubled).
import assert from 'node:assert/strict';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/activity/broker.ts';
import { readingPayload, waitFor } from './helpers.ts';
import { dayIn, ingestBench, type IngestBench } from './harness.ts';

const KEY = 'test-device-key-0123456789';
const INGEST = { username: 'activity-ingest', password: 'ingest-secret-1234' };
const ALL = { mode: 'partitioned', index: 0, count: 1 } as const;

describe('activity ingestion reliability (embedded broker)', () => {
  let broker: EmbeddedBroker;
  let bench: IngestBench;
  before(async () => {
    broker = await startEmbeddedBroker({ port: 0, deviceKey: KEY, ingest: INGEST });
    bench = await ingestBench();
  });
  after(async () => {
    await bench?.close();
    await broker?.stop();
  });

  it('reconnects after a broker restart and receives what a persistent publisher sent during the outage', async () => {
    const id = 'dev-restart-01';
    await bench.addUser('user-restart');
    await bench.addDevice(id, 'user-restart');
    const worker = await bench.worker({
      url: broker.url,
      ...INGEST,
      subscription: ALL,
      reconnectMs: 100
    });
    // A device with a persistent session, reconnecting slower than the worker.
    const device = mqtt.connect(broker.url, {
      clientId: `device-${randomBytes(3).toString('hex')}`,
      clean: false,
      username: id,
      password: deriveDeviceKey(KEY, id),
      reconnectPeriod: 500
    });
    await new Promise((resolve) => device.once('connect', resolve));
    const start = Date.now() - 40 * 60_000;
    const day = dayIn(new Date(start), 'UTC');
    const publish = (i: number) =>
      new Promise<void>((resolve, reject) =>
        device.publish(
          deviceTopic(id),
          readingPayload(id, new Date(start + i * 1000), { steps: 3 }),
          { qos: 1 },
          (e) => (e ? reject(e) : resolve())
        )
      );
    for (let i = 0; i < 5; i++) await publish(i);
    await waitFor('the first readings', async () =>
      (await bench.day('user-restart', day))?.readings === 5 ? true : undefined
    );

    await broker.stop();
    await waitFor('the worker to notice', () => !worker.health().ok);
    // Queued by the device while the broker is down; sent when it is back.
    const during = Array.from({ length: 5 }, (_, i) => publish(5 + i));
    await sleep(300);
    await broker.restart();
    await Promise.all(during);
    await waitFor(
      'the outage readings',
      async () => ((await bench.day('user-restart', day))?.readings === 10 ? true : undefined),
      10_000
    );
    await waitFor('the worker healthy again', () => worker.health().ok);
    for (let i = 10; i < 13; i++) await publish(i);
    await waitFor('readings after the restart', async () =>
      (await bench.day('user-restart', day))?.readings === 13 ? true : undefined
    );
    assert.equal((await bench.day('user-restart', day))?.steps, 39);
    device.end(true);
    await worker.stop();
  });

  it('subscribes again when the restarted broker lost its session', async () => {
    const id = 'dev-forgot-001';
    await bench.addUser('user-forgot');
    await bench.addDevice(id, 'user-forgot');
    const worker = await bench.worker({
      url: broker.url,
      ...INGEST,
      subscription: ALL,
      reconnectMs: 100
    });
    await broker.restart({ forgetSessions: true });
    const device = await mqtt.connectAsync(broker.url, {
      username: id,
      password: deriveDeviceKey(KEY, id)
    });
    // Readings published before the worker subscribed again reach no one (QoS 1 to no
    // subscriber): publish one a second until the worker has them.
    const start = Date.now() - 45 * 60_000;
    let sent = 0;
    await waitFor(
      'readings after the restart',
      async () => {
        await device.publishAsync(
          deviceTopic(id),
          readingPayload(id, new Date(start + sent++ * 1000)),
          { qos: 1 }
        );
        await sleep(100);
        return bench.day('user-forgot', dayIn(new Date(start), 'UTC'));
      },
      5000
    );
    await waitFor('the worker healthy', () => worker.health().ok);
    await device.endAsync();
    await worker.stop();
  });

  it('refuses to start with a wrong broker password instead of retrying forever', async () => {
    await assert.rejects(
      bench.worker({
        url: broker.url,
        username: INGEST.username,
        password: 'wrong',
        subscription: ALL
      }),
      /Bad username or password/
    );
  });

  it('loses nothing and doubles nothing when a worker dies before its batch commits', async () => {
    const id = 'dev-crash-0001';
    await bench.addUser('user-crash');
    await bench.addDevice(id, 'user-crash');
    const clientId = `activity-ingest-crash-${randomBytes(3).toString('hex')}`;
    let entered!: () => void;
    const writing = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    // The first worker reaches its statement and hangs there until it is killed.
    const doomed = await bench.worker({
      url: broker.url,
      ...INGEST,
      clientId,
      subscription: ALL,
      batchWaitMs: 200,
      beforeWrite: async () => {
        entered();
        await stuck;
      }
    });
    const device = await mqtt.connectAsync(broker.url, {
      username: id,
      password: deriveDeviceKey(KEY, id)
    });
    const start = Date.now() - 50 * 60_000;
    const day = dayIn(new Date(start), 'UTC');
    for (let i = 0; i < 20; i++)
      await device.publishAsync(
        deviceTopic(id),
        readingPayload(id, new Date(start + i * 1000), { steps: 4 }),
        { qos: 1 }
      );
    await writing;
    await doomed.kill();
    release();
    assert.equal(await bench.day('user-crash', day), undefined, 'nothing was committed');

    // The same client id again: the broker redelivers the unacknowledged messages.
    const heir = await bench.worker({ url: broker.url, ...INGEST, clientId, subscription: ALL });
    await waitFor(
      'the redelivered readings',
      async () => ((await bench.day('user-crash', day))?.readings === 20 ? true : undefined),
      10_000
    );
    // A second crash after the commit but before the acknowledgement cannot double them either.
    await heir.kill();
    const third = await bench.worker({ url: broker.url, ...INGEST, clientId, subscription: ALL });
    await sleep(500);
    assert.deepEqual(await bench.day('user-crash', day), {
      steps: 80,
      readings: 20,
      heart_rate_min: 90,
      heart_rate_max: 90
    });
    await device.endAsync();
    await third.stop();
  });
});

describe('activity ingest worker stop while the database is down', () => {
  it('gives up the batch after the drain time, unacknowledged, instead of hanging', async () => {
    const broker = await startEmbeddedBroker({ port: 0, deviceKey: KEY, ingest: INGEST });
    const bench = await ingestBench();
    try {
      const id = 'dev-dbdown-001';
      await bench.addUser('user-dbdown');
      await bench.addDevice(id, 'user-dbdown');
      const failing = { fail: true };
      const worker = await bench.worker({
        url: broker.url,
        ...INGEST,
        subscription: ALL,
        beforeWrite: () => {
          if (failing.fail) throw new Error('database unreachable');
        }
      });
      const device = await mqtt.connectAsync(broker.url, {
        username: id,
        password: deriveDeviceKey(KEY, id)
      });
      const ts = new Date(Date.now() - 65 * 60_000);
      await device.publishAsync(deviceTopic(id), readingPayload(id, ts, { steps: 9 }), { qos: 1 });
      await waitFor('the write failing', () =>
        /batch write failing/.test(worker.health().reason ?? '')
      );
      const started = Date.now();
      await worker.stop(300);
      assert.ok(Date.now() - started < 3000, 'stop returned');
      // The next worker on the same session gets the reading again and stores it.
      failing.fail = false;
      const clientId = (worker as unknown as { options: { clientId: string } }).options.clientId;
      const heir = await bench.worker({ url: broker.url, ...INGEST, clientId, subscription: ALL });
      await waitFor('the reading redelivered', () => bench.day('user-dbdown', dayIn(ts, 'UTC')));
      await device.endAsync();
      await heir.stop();
    } finally {
      await bench.close();
      await broker.stop();
    }
  });
});
