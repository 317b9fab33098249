// Ingestion end to end on the embedded broker and real PostgreSQL: device -> aedes -> ingest
// worker -> readings + minute and day rollups + goal outbox.
import assert from 'node:assert/strict';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/activity/broker.ts';
import { connect, publishReading, readingPayload, waitFor } from './helpers.ts';
import { dayIn, HOUR_MS, ingestBench, type IngestBench } from './harness.ts';

const KEY = 'test-device-key-0123456789';
const INGEST = { username: 'activity-ingest', password: 'ingest-secret-1234' };
const ALL = { mode: 'partitioned', index: 0, count: 1 } as const;

describe('activity ingestion (embedded broker)', () => {
  let broker: EmbeddedBroker;
  let bench: IngestBench;
  const devices = new Map<string, MqttClient>();
  const device = async (deviceId: string): Promise<MqttClient> => {
    let client = devices.get(deviceId);
    if (!client) {
      client = await connect(broker.url, {
        username: deviceId,
        password: deriveDeviceKey(KEY, deviceId)
      });
      devices.set(deviceId, client);
    }
    return client;
  };

  before(async () => {
    broker = await startEmbeddedBroker({ port: 0, deviceKey: KEY, ingest: INGEST });
    bench = await ingestBench();
  });
  after(async () => {
    for (const client of devices.values()) client.end(true);
    await bench?.close();
    await broker?.stop();
  });

  it('puts a published reading into the day and minute rollups within 5 s', async () => {
    await bench.addUser('user-fast');
    await bench.addDevice('dev-fast-0001', 'user-fast');
    const worker = await bench.worker({ url: broker.url, ...INGEST, subscription: ALL });
    const ts = new Date(Date.now() - 60_000);
    const started = Date.now();
    await publishReading(await device('dev-fast-0001'), 'dev-fast-0001', ts, {
      steps: 42,
      heartRate: 77
    });
    const row = await waitFor('the day row', () => bench.day('user-fast', dayIn(ts, 'UTC')), 5000);
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(row, { steps: 42, readings: 1, heart_rate_min: 77, heart_rate_max: 77 });
    const { rows } = await bench.db.pool.query(
      "SELECT steps::int, readings FROM activity_minutes WHERE user_id = 'user-fast' AND minute = date_trunc('minute', $1::timestamptz, 'UTC')",
      [ts.toISOString()]
    );
    assert.deepEqual(rows, [{ steps: 42, readings: 1 }]);
    assert.deepEqual(worker.health(), { ok: true });
    await worker.stop();
  });

  it('splits the topics over two partitioned workers: N readings counted exactly N times', async () => {
    const ids = Array.from({ length: 16 }, (_, i) => `dev-split-${String(i).padStart(4, '0')}`);
    await bench.addUser('user-split');
    for (const id of ids) await bench.addDevice(id, 'user-split');
    const before = bench.batches.length;
    const workers = [
      await bench.worker({
        url: broker.url,
        ...INGEST,
        subscription: { mode: 'partitioned', index: 0, count: 2 }
      }),
      await bench.worker({
        url: broker.url,
        ...INGEST,
        subscription: { mode: 'partitioned', index: 1, count: 2 }
      })
    ];
    const start = Date.now() - 10 * 60_000;
    const perDevice = 25;
    await Promise.all(
      ids.map(async (id) => {
        const client = await device(id);
        for (let i = 0; i < perDevice; i++)
          await publishReading(client, id, new Date(start + i * 1000), { steps: 2 });
      })
    );
    const total = ids.length * perDevice;
    const day = dayIn(new Date(start), 'UTC');
    const endDay = dayIn(new Date(start + perDevice * 1000), 'UTC');
    assert.equal(day, endDay, 'test assumes one UTC day (rerun after midnight)');
    const row = await waitFor(
      'every reading',
      async () => {
        const r = await bench.day('user-split', day);
        return r && r.readings >= total ? r : undefined;
      },
      10_000
    );
    await sleep(300);
    const again = await bench.day('user-split', day);
    assert.equal(again?.readings, total);
    assert.equal(row.steps, total * 2);
    const stored = bench.batches.slice(before).reduce((sum, b) => sum + b.stored, 0);
    assert.equal(stored, total);
    for (const worker of workers) await worker.stop();
  });

  it('counts a duplicate and a redelivered reading once; drops unknown devices', async () => {
    await bench.addUser('user-dup');
    await bench.addDevice('dev-dup-00001', 'user-dup');
    const worker = await bench.worker({ url: broker.url, ...INGEST, subscription: ALL });
    const client = await device('dev-dup-00001');
    const ts = new Date(Date.now() - 5 * 60_000);
    const duplicatesBefore = await bench.dropped('duplicate');
    await publishReading(client, 'dev-dup-00001', ts, { steps: 7 });
    await publishReading(client, 'dev-dup-00001', ts, { steps: 7 });
    // A resend with other values is still the same reading (device, ts): the first one wins.
    await publishReading(client, 'dev-dup-00001', ts, { steps: 900 });
    const unknown = await device('dev-unknown-01');
    const unknownBefore = await bench.dropped('unknown_device');
    await publishReading(unknown, 'dev-unknown-01', ts);
    await waitFor(
      'the duplicates counted',
      async () => (await bench.dropped('duplicate')) - duplicatesBefore >= 2
    );
    await waitFor(
      'the unknown device counted',
      async () => (await bench.dropped('unknown_device')) > unknownBefore
    );
    const row = await bench.day('user-dup', dayIn(ts, 'UTC'));
    assert.deepEqual({ steps: row?.steps, readings: row?.readings }, { steps: 7, readings: 1 });
    const { rows } = await bench.db.pool.query(
      "SELECT count(*)::int AS n FROM activity_readings WHERE device_id = 'dev-unknown-01'"
    );
    assert.equal(rows[0].n, 0);
    await worker.stop();
  });

  it('drops readings beyond the late window and files late ones in their own day', async () => {
    await bench.addUser('user-late');
    await bench.addDevice('dev-late-0001', 'user-late');
    const worker = await bench.worker({ url: broker.url, ...INGEST, subscription: ALL });
    const client = await device('dev-late-0001');
    const tooLateBefore = await bench.dropped('too_late');
    const late = new Date(Date.now() - 47 * HOUR_MS);
    await publishReading(client, 'dev-late-0001', new Date(Date.now() - 49 * HOUR_MS), {
      steps: 500
    });
    await publishReading(client, 'dev-late-0001', late, { steps: 5 });
    await waitFor('the late reading', () => bench.day('user-late', dayIn(late, 'UTC')));
    await waitFor(
      'the too-late reading counted',
      async () => (await bench.dropped('too_late')) > tooLateBefore
    );
    const { rows } = await bench.db.pool.query<{ day: string; steps: number }>(
      "SELECT to_char(day, 'YYYY-MM-DD') AS day, steps::int FROM activity_days WHERE user_id = 'user-late'"
    );
    assert.deepEqual(rows, [{ day: dayIn(late, 'UTC'), steps: 5 }]);
    await worker.stop();
  });

  it("files a reading in the day of the user's time zone", async () => {
    // 25 hours apart: the same instant is always on two different dates.
    await bench.addUser('user-east', 'Pacific/Kiritimati');
    await bench.addUser('user-west', 'Pacific/Pago_Pago');
    await bench.addDevice('dev-east-0001', 'user-east');
    await bench.addDevice('dev-west-0001', 'user-west');
    const worker = await bench.worker({ url: broker.url, ...INGEST, subscription: ALL });
    const ts = new Date(Date.now() - 60_000);
    await publishReading(await device('dev-east-0001'), 'dev-east-0001', ts, { steps: 11 });
    await publishReading(await device('dev-west-0001'), 'dev-west-0001', ts, { steps: 13 });
    const east = dayIn(ts, 'Pacific/Kiritimati');
    const west = dayIn(ts, 'Pacific/Pago_Pago');
    assert.notEqual(east, west);
    assert.equal((await waitFor('east day', () => bench.day('user-east', east))).steps, 11);
    assert.equal((await waitFor('west day', () => bench.day('user-west', west))).steps, 13);
    await worker.stop();
  });

  it('drops and counts a malformed and oversized flood while good readings land', async () => {
    await bench.addUser('user-flood');
    await bench.addDevice('dev-flood-001', 'user-flood');
    const worker = await bench.worker({ url: broker.url, ...INGEST, subscription: ALL });
    const batchesBefore = bench.batches.length;
    const client = await device('dev-flood-001');
    const topic = deviceTopic('dev-flood-001');
    const before = {
      malformed: await bench.dropped('malformed'),
      oversized: await bench.dropped('oversized'),
      invalid: await bench.dropped('invalid'),
      mismatch: await bench.dropped('device_mismatch')
    };
    const start = Date.now() - 20 * 60_000;
    const good = 60;
    for (let i = 0; i < good; i++) {
      await Promise.all([
        client.publishAsync(topic, '{"deviceId": "dev-flood-001", "ts": ', { qos: 1 }),
        client.publishAsync(topic, Buffer.alloc(4096, 0x7b), { qos: 1 }),
        client.publishAsync(
          topic,
          JSON.stringify({
            deviceId: 'dev-flood-001',
            ts: new Date().toISOString(),
            steps: -1,
            calories: 0,
            activeMinutes: 0
          }),
          { qos: 1 }
        ),
        client.publishAsync(topic, readingPayload('dev-other-0001', new Date(start + i * 1000)), {
          qos: 1
        }),
        publishReading(client, 'dev-flood-001', new Date(start + i * 1000), { steps: 1 })
      ]);
    }
    const day = dayIn(new Date(start), 'UTC');
    await waitFor(
      'the good readings',
      async () => ((await bench.day('user-flood', day))?.readings === good ? true : undefined),
      10_000
    );
    await waitFor(
      'every drop counted',
      async () => (await bench.dropped('oversized')) - before.oversized === good
    );
    assert.equal((await bench.dropped('malformed')) - before.malformed, good);
    assert.equal((await bench.dropped('invalid')) - before.invalid, good);
    assert.equal((await bench.dropped('device_mismatch')) - before.mismatch, good);
    // The same drops in the worker's per-batch reports.
    const rejected = bench.batches.slice(batchesBefore).reduce<Record<string, number>>((sum, b) => {
      for (const [reason, n] of Object.entries(b.rejected))
        sum[reason] = (sum[reason] ?? 0) + (n ?? 0);
      return sum;
    }, {});
    assert.deepEqual(rejected, {
      malformed: good,
      oversized: good,
      invalid: good,
      device_mismatch: good
    });
    assert.deepEqual(worker.health(), { ok: true });
    await worker.stop();
  });

  it('inserts the goal row exactly once when a day first reaches the goal', async () => {
    await bench.addUser('user-goal', 'UTC', 100);
    await bench.addDevice('dev-goal-0001', 'user-goal');
    const worker = await bench.worker({
      url: broker.url,
      ...INGEST,
      subscription: ALL,
      batchWaitMs: 1
    });
    const client = await device('dev-goal-0001');
    const start = Date.now() - 30 * 60_000;
    const day = dayIn(new Date(start), 'UTC');
    const goalRows = async () =>
      (
        await bench.db.pool.query<{ day: string; goal: number; steps: number }>(
          "SELECT to_char(day, 'YYYY-MM-DD') AS day, goal, steps::int FROM activity_goals_reached WHERE user_id = 'user-goal'"
        )
      ).rows;
    // 10 readings of 10 steps reach the goal of 100, however they are batched.
    for (let i = 0; i < 10; i++)
      await publishReading(client, 'dev-goal-0001', new Date(start + i * 1000), { steps: 10 });
    const [crossing] = await waitFor('the goal row', async () => {
      const rows = await goalRows();
      return rows.length > 0 ? rows : undefined;
    });
    assert.equal(crossing!.day, day);
    assert.equal(crossing!.goal, 100);
    assert.equal(crossing!.steps, 100, 'the steps of the batch that crossed the goal');
    // Later readings of that day add steps, never a second row, and leave the row as it was.
    for (let i = 10; i < 15; i++)
      await publishReading(client, 'dev-goal-0001', new Date(start + i * 1000), { steps: 10 });
    await waitFor('all readings', async () =>
      (await bench.day('user-goal', day))?.readings === 15 ? true : undefined
    );
    assert.deepEqual(await goalRows(), [crossing]);
    await worker.stop();
  });
});
