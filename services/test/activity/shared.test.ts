// Two ingest workers on ONE MQTT 5 shared subscription on the machine's Mosquitto
// (MQTT_TEST_URL, default mqtt://127.0.0.1:1883, anonymous): the broker splits the messages, and
// N readings are counted exactly N times. Each run uses its own $share group, so other
// subscribers of the broker cannot take a share.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { BatchReport } from '../../src/activity/ingest-worker.ts';
import { connect, listening, publishReading, skipUnless, waitFor } from './helpers.ts';
import { dayIn, ingestBench, type IngestBench } from './harness.ts';

const BROKER_URL = process.env.MQTT_TEST_URL ?? 'mqtt://127.0.0.1:1883';

const broker = new URL(BROKER_URL);
const skip = skipUnless(
  await listening(broker.hostname, Number(broker.port || 1883)),
  `an MQTT 5 broker at ${BROKER_URL}`
);

describe('shared subscription on Mosquitto', { skip }, () => {
  let bench: IngestBench;
  before(async () => {
    bench = await ingestBench();
  });
  after(async () => bench?.close());

  it('splits the readings over two workers without double counting', async () => {
    const run = randomBytes(3).toString('hex');
    const ids = Array.from({ length: 10 }, (_, i) => `dev-sh-${run}-${i}`);
    await bench.addUser('user-shared');
    for (const id of ids) await bench.addDevice(id, 'user-shared');
    const shareGroup = `activity-ingest-test-${run}`;
    const seen: BatchReport[][] = [[], []];
    const workers = await Promise.all(
      [0, 1].map((n) =>
        bench.worker({
          url: BROKER_URL,
          clientId: `ingest-shared-${run}-${n}`,
          subscription: { mode: 'shared' },
          shareGroup,
          sessionExpirySeconds: 10,
          onBatch: (result) => seen[n]!.push(result)
        })
      )
    );
    const start = Date.now() - 15 * 60_000;
    const perDevice = 30;
    await Promise.all(
      ids.map(async (id) => {
        const client = await connect(BROKER_URL, { clientId: `pub-${id}` });
        for (let i = 0; i < perDevice; i++)
          await publishReading(client, id, new Date(start + i * 1000), { steps: 1 });
        await client.endAsync();
      })
    );
    const total = ids.length * perDevice;
    const day = dayIn(new Date(start), 'UTC');
    await waitFor(
      'every reading',
      async () => ((await bench.day('user-shared', day))?.readings ?? 0) >= total,
      10_000
    );
    await sleep(300);
    assert.deepEqual(await bench.day('user-shared', day), {
      steps: total,
      readings: total,
      heart_rate_min: 90,
      heart_rate_max: 90
    });
    const stored = seen.map((batches) =>
      batches.reduce((sum, b) => sum + b.stored + b.duplicates, 0)
    );
    assert.equal(stored[0]! + stored[1]!, total, 'each message reached one worker only');
    assert.ok(stored[0]! > 0 && stored[1]! > 0, `both workers took a share: ${stored}`);
    for (const worker of workers) await worker.stop();
  });
});
