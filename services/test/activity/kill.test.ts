// A worker PROCESS SIGKILLed while its batch is being written: nothing was committed or
// acknowledged, the broker redelivers to the same client id, and the next worker counts every
// reading exactly once.
import assert from 'node:assert/strict';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/activity/broker.ts';
import { connect, readingPayload, waitFor } from './helpers.ts';
import { dayIn, ingestBench, type IngestBench } from './harness.ts';

const KEY = 'test-device-key-0123456789';
const INGEST = { username: 'activity-ingest', password: 'ingest-secret-1234' };
const CHILD = fileURLToPath(new URL('./helpers/ingest-child.ts', import.meta.url));

describe('activity ingestion: a worker process killed before its commit', () => {
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

  it('redelivers to the next worker with the same client id: nothing lost, nothing doubled', async () => {
    const id = 'dev-sigkill-01';
    await bench.addUser('user-sigkill');
    await bench.addDevice(id, 'user-sigkill');
    const clientId = `activity-ingest-sigkill-${randomBytes(3).toString('hex')}`;
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: {
        ...process.env,
        CHILD_DATABASE_URL: bench.db.url,
        CHILD_MQTT_URL: broker.url,
        CHILD_MQTT_USERNAME: INGEST.username,
        CHILD_MQTT_PASSWORD: INGEST.password,
        CHILD_CLIENT_ID: clientId
      },
      stdio: ['ignore', 'pipe', 'inherit']
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      await waitFor('the child worker subscribed', () => output.includes('subscribed'), 20_000);
      const device = await connect(broker.url, {
        username: id,
        password: deriveDeviceKey(KEY, id)
      });
      const start = Date.now() - 55 * 60_000;
      const day = dayIn(new Date(start), 'UTC');
      for (let i = 0; i < 50; i++)
        await device.publishAsync(
          deviceTopic(id),
          readingPayload(id, new Date(start + i * 1000), { steps: 6 }),
          {
            qos: 1
          }
        );
      await waitFor('the child writing its batch', () => output.includes('writing'), 10_000);
      child.kill('SIGKILL');
      await exited;
      assert.equal(await bench.day('user-sigkill', day), undefined, 'nothing committed');

      const heir = await bench.worker({
        url: broker.url,
        ...INGEST,
        clientId,
        subscription: { mode: 'partitioned', index: 0, count: 1 }
      });
      await waitFor(
        'the redelivered readings',
        async () => ((await bench.day('user-sigkill', day))?.readings === 50 ? true : undefined),
        10_000
      );
      await sleep(300);
      assert.deepEqual(await bench.day('user-sigkill', day), {
        steps: 300,
        readings: 50,
        heart_rate_min: 90,
        heart_rate_max: 90
      });
      await device.endAsync();
      await heir.stop();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
