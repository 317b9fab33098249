import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import { until } from '../../../toolkit/testing/wait.ts';
import { measureBrokerRate, publishBurst } from '../src/burst.ts';
import {
  collect,
  MOSQUITTO_URL,
  startAedes,
  uniquePrefix,
  type TestBroker
} from './helpers/brokers.ts';
import { payloadProblems } from './helpers/contract.ts';

for (const brokerName of ['mosquitto', 'aedes'] as const) {
  describe(`burst on ${brokerName}`, () => {
    let broker: TestBroker | undefined;
    let url = MOSQUITTO_URL;
    before(async () => {
      if (brokerName === 'aedes') {
        broker = await startAedes();
        url = broker.url;
      }
    });
    after(() => broker?.close());

    it('publishBurst: every message acknowledged and delivered once, valid, totals known', async () => {
      const prefix = uniquePrefix('u');
      const collector = await collect(url, prefix);
      try {
        const result = await publishBurst({
          url,
          devices: 3,
          messagesPerDevice: 200,
          idPrefix: prefix,
          window: 16
        });
        assert.equal(result.messages, 600);
        assert.ok(
          result.seconds > 0 && Number.isFinite(result.rate) && result.rate > 50,
          JSON.stringify(result.rate)
        );
        assert.ok(Math.abs(result.rate - result.messages / result.seconds) < 1e-6);
        await until(() => collector.deliveries.length >= 600, 'the burst');
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(collector.deliveries.length, 600);
        assert.ok(collector.deliveries.every((d) => payloadProblems(d.payload).length === 0));
        const steps = collector.deliveries.reduce(
          (sum, d) => sum + (JSON.parse(d.payload.toString()) as { steps: number }).steps,
          0
        );
        const expectedSteps = Object.values(result.expected)
          .flatMap((days) => Object.values(days))
          .reduce((sum, day) => sum + day.steps, 0);
        assert.equal(steps, expectedSteps);
        assert.equal(Object.keys(result.expected).length, 3);
        // Timestamps are in the recent past, where an ingest service accepts them.
        const newest = Math.max(
          ...collector.deliveries.map((d) =>
            Date.parse((JSON.parse(d.payload.toString()) as { ts: string }).ts)
          )
        );
        assert.ok(newest < Date.now() && newest > Date.now() - 5 * 60_000);
      } finally {
        await collector.close();
      }
    });

    it('measureBrokerRate: the subscriber counts exactly the burst', async () => {
      const result = await measureBrokerRate({ url, devices: 4, messagesPerDevice: 250 });
      assert.equal(result.messages, 1000);
      assert.equal(result.delivered, 1000);
      assert.ok(
        result.seconds > 0 && result.rate > 50 && Number.isFinite(result.rate),
        JSON.stringify(result)
      );
      assert.ok(result.publishRate >= result.rate * 0.5, JSON.stringify(result));
    });
  });
}

describe('burst with per-device keys (aedes)', () => {
  let broker: TestBroker;
  before(async () => (broker = await startAedes({ deviceKeySecret: 'bench-secret' })));
  after(() => broker.close());

  it('publishes and measures with derived passwords and a subscriber login', async () => {
    const password = (id: string) => deriveDeviceKey('bench-secret', id);
    const result = await measureBrokerRate({
      url: broker.url,
      devices: 2,
      messagesPerDevice: 100,
      password,
      subscriberQos: 1,
      subscriber: { username: 'collector', password: 'bench-secret' }
    });
    assert.equal(result.delivered, 200);
    assert.deepEqual(broker.refused, []);
    await assert.rejects(
      publishBurst({ url: broker.url, devices: 1, messagesPerDevice: 1, password: () => 'wrong' }),
      /could not connect/
    );
  });
});
