import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';
import { until } from '../../../toolkit/testing/wait.ts';
import { startDeviceFleet, type FleetReport } from '../src/fleet.ts';
import {
  collect,
  MOSQUITTO_URL,
  startAedes,
  uniquePrefix,
  type Delivery,
  type TestBroker
} from './helpers/brokers.ts';
import { payloadProblems } from './helpers/contract.ts';

const DAY_START = Date.parse('2026-12-07T00:00:00Z');
const HOUR = 3_600_000;

interface ParsedReading {
  deviceId: string;
  ts: string;
  steps: number;
  heartRate: number | null;
  calories: number;
  activeMinutes: number;
}

const validReadings = (deliveries: Delivery[]): ParsedReading[] =>
  deliveries
    .filter((d) => payloadProblems(d.payload).length === 0)
    .map((d) => JSON.parse(d.payload.toString()) as ParsedReading);

/** Sums of the valid readings, each (deviceId, ts) once: what the ingest path must compute. */
function totalsOf(deliveries: Delivery[]): FleetReport['expected'] {
  const seen = new Set<string>();
  const result: FleetReport['expected'] = {};
  for (const r of validReadings(deliveries)) {
    if (seen.has(`${r.deviceId}|${r.ts}`)) continue;
    seen.add(`${r.deviceId}|${r.ts}`);
    const day = ((result[r.deviceId] ??= {})[r.ts.slice(0, 10)] ??= {
      readings: 0,
      steps: 0,
      calories: 0,
      activeMinutes: 0
    });
    day.readings += 1;
    day.steps += r.steps;
    day.calories = Math.round((day.calories + r.calories) * 100) / 100;
    day.activeMinutes = Math.round((day.activeMinutes + r.activeMinutes) * 100) / 100;
  }
  return result;
}

for (const brokerName of ['mosquitto', 'aedes'] as const) {
  describe(`device fleet on ${brokerName}`, () => {
    let broker: TestBroker | undefined;
    let url = MOSQUITTO_URL;
    before(async () => {
      if (brokerName === 'aedes') {
        broker = await startAedes();
        url = broker.url;
      }
    });
    after(() => broker?.close());

    it('publishes contract-valid readings on each device topic, QoS 1, every one acked', async () => {
      const prefix = uniquePrefix('t');
      const collector = await collect(url, prefix);
      try {
        const fleet = await startDeviceFleet({
          url,
          devices: 3,
          idPrefix: prefix,
          intervalMs: 40,
          maxMessages: 60
        });
        const report = await fleet.done;
        assert.equal(report.counters.published, 60);
        assert.equal(report.counters.acked, 60);
        assert.equal(report.counters.failed, 0);
        await until(() => collector.deliveries.length >= 60, 'all 60 deliveries');
        assert.equal(collector.deliveries.length, 60);
        for (const { topic, payload } of collector.deliveries) {
          assert.deepEqual(payloadProblems(payload), []);
          const reading = JSON.parse(payload.toString()) as ParsedReading;
          assert.equal(topic, deviceTopic(reading.deviceId));
          assert.ok(fleet.deviceIds.includes(reading.deviceId));
        }
        assert.deepEqual(totalsOf(collector.deliveries), report.expected);
      } finally {
        await collector.close();
      }
    });
  });
}

describe('device fleet on a simulated clock (aedes)', () => {
  let broker: TestBroker;
  before(async () => (broker = await startAedes()));
  after(() => broker.close());

  const runDay = async (seed: number) => {
    const prefix = 'day';
    const collector = await collect(broker.url, prefix);
    try {
      const fleet = await startDeviceFleet({
        url: broker.url,
        devices: 2,
        idPrefix: prefix,
        seed,
        intervalMs: 60_000,
        clock: { startMs: DAY_START, speed: 300_000 },
        durationMs: 24 * HOUR
      });
      const report = await fleet.done;
      await until(() => collector.deliveries.length >= report.counters.acked, 'every delivery');
      return { report, deliveries: collector.deliveries };
    } finally {
      await collector.close();
    }
  };

  it('a whole day of realistic readings, exact totals, the same again for the same seed', async () => {
    const { report, deliveries } = await runDay(11);
    assert.equal(report.counters.acked, report.counters.published);
    assert.ok(
      Math.abs(report.counters.published - 2 * 1440) <= 2 * 150,
      String(report.counters.published)
    );
    assert.deepEqual(totalsOf(deliveries), report.expected);
    const readings = validReadings(deliveries);
    for (const [deviceId, days] of Object.entries(report.expected)) {
      assert.deepEqual(Object.keys(days), ['2026-12-07']);
      const steps = days['2026-12-07']!.steps;
      assert.ok(steps >= 2000 && steps <= 25_000, `${deviceId}: ${steps}`);
      const night = readings.filter(
        (r) => r.deviceId === deviceId && r.ts >= '2026-12-07T01:00' && r.ts < '2026-12-07T05:00'
      );
      assert.ok(night.length >= 200);
      assert.equal(
        night.reduce((sum, r) => sum + r.steps, 0),
        0
      );
    }
    for (const r of readings)
      if (r.heartRate !== null) assert.ok(r.heartRate >= 40 && r.heartRate <= 190);

    const again = await runDay(11);
    assert.deepEqual(
      again.deliveries.map((d) => d.payload.toString()).sort(),
      deliveries.map((d) => d.payload.toString()).sort()
    );
  });

  it('fault fractions: counts near the fractions, every fault delivered as counted, totals exact', async () => {
    const prefix = uniquePrefix('f');
    const collector = await collect(broker.url, prefix);
    try {
      const fleet = await startDeviceFleet({
        url: broker.url,
        devices: 4,
        idPrefix: prefix,
        intervalMs: 30_000,
        clock: { startMs: DAY_START + 8 * HOUR, speed: 200_000 },
        durationMs: 4 * HOUR,
        faults: {
          duplicate: 0.1,
          late: 0.1,
          malformed: 0.05,
          oversized: 0.05,
          oversizedBytes: 1500
        }
      });
      const report = await fleet.done;
      const { counters } = report;
      const readings = 4 * 480;
      const near = (actual: number, fraction: number, base: number, what: string) =>
        assert.ok(
          Math.abs(actual - fraction * base) <= 4 * Math.sqrt(fraction * base) + 3,
          `${what}: ${actual}`
        );
      near(counters.malformed, 0.05, readings, 'malformed');
      near(counters.oversized, 0.05, readings, 'oversized');
      near(counters.late, 0.1 * 0.9, readings, 'late');
      near(counters.duplicate, 0.1 * 0.9, readings, 'duplicate');
      assert.equal(
        counters.published,
        counters.valid + counters.duplicate + counters.malformed + counters.oversized
      );
      assert.equal(counters.acked, counters.published);

      await until(() => collector.deliveries.length >= counters.published, 'every delivery');
      const { deliveries } = collector;
      assert.equal(deliveries.length, counters.published);
      assert.equal(deliveries.filter((d) => d.payload.length > 1024).length, counters.oversized);
      assert.ok(
        deliveries.filter((d) => d.payload.length > 1024).every((d) => d.payload.length === 1500)
      );
      const invalid = deliveries.filter(
        (d) => d.payload.length <= 1024 && payloadProblems(d.payload).length > 0
      );
      assert.equal(invalid.length, counters.malformed);
      const texts = validReadings(deliveries).map((r) => `${r.deviceId}|${r.ts}`);
      assert.equal(texts.length - new Set(texts).size, counters.duplicate);
      assert.deepEqual(totalsOf(deliveries), report.expected);
      assert.equal(report.expectedOverall.readings, counters.valid);
    } finally {
      await collector.close();
    }
  });

  it('caps the fleet-wide rate', async () => {
    const fleet = await startDeviceFleet({
      url: broker.url,
      devices: 5,
      idPrefix: uniquePrefix('r'),
      intervalMs: 10,
      rate: 100
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const report = await fleet.stop();
    assert.ok(
      report.counters.published >= 60 && report.counters.published <= 115,
      String(report.counters.published)
    );
  });

  it('a graceful stop waits for every PUBACK: the broker delivered exactly what was acked', async () => {
    const prefix = uniquePrefix('g');
    const collector = await collect(broker.url, prefix);
    try {
      const fleet = await startDeviceFleet({
        url: broker.url,
        devices: 5,
        idPrefix: prefix,
        intervalMs: 5,
        faults: { late: 0.2 }
      });
      await until(() => fleet.counters.published > 200, 'some traffic');
      const report = await fleet.stop();
      assert.equal(report.unacknowledged, 0);
      assert.equal(report.counters.failed, 0);
      assert.equal(report.counters.acked, report.counters.published);
      await until(
        () => collector.deliveries.length >= report.counters.acked,
        'every acked delivery'
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(collector.deliveries.length, report.counters.acked);
      assert.deepEqual(totalsOf(collector.deliveries), report.expected);
    } finally {
      await collector.close();
    }
  });
});

describe('device fleet with per-device keys (aedes)', () => {
  let broker: TestBroker;
  before(async () => (broker = await startAedes({ deviceKeySecret: 'fleet-secret' })));
  after(() => broker.close());

  it('signs each device in with its derived key', async () => {
    const fleet = await startDeviceFleet({
      url: broker.url,
      devices: 3,
      idPrefix: uniquePrefix('k'),
      intervalMs: 20,
      maxMessages: 15,
      password: (id) => deriveDeviceKey('fleet-secret', id)
    });
    const report = await fleet.done;
    assert.equal(report.counters.acked, 15);
    assert.deepEqual(broker.refused, []);
  });

  it('a wrong secret fails the start with a message naming the device, not a retry loop', async () => {
    await assert.rejects(
      startDeviceFleet({
        url: broker.url,
        devices: 2,
        idPrefix: 'wrongkey',
        password: (id) => deriveDeviceKey('not-the-secret', id)
      }),
      (error: Error) => {
        assert.equal(error.name, 'BrokerConnectError');
        assert.match(
          error.message,
          /wrongkey-00000[12]-a could not connect to mqtt:\/\/127\.0\.0\.1:\d+/
        );
        assert.doesNotMatch(error.message, /not-the-secret/);
        return true;
      }
    );
    assert.ok(broker.refused.length >= 1);
  });
});

describe('device fleet when the broker restarts (aedes)', () => {
  it('reconnects, sends what was queued offline, loses no acked reading', async () => {
    let broker = await startAedes();
    const port = Number(new URL(broker.url).port);
    const fleet = await startDeviceFleet({
      url: broker.url,
      devices: 3,
      idPrefix: uniquePrefix('b'),
      intervalMs: 20,
      reconnectPeriodMs: 100
    });
    try {
      await until(() => fleet.counters.acked > 30, 'traffic before the restart');
      await broker.close();
      const ackedBefore = fleet.counters.acked;
      const publishedBefore = fleet.counters.published;
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(fleet.counters.published > publishedBefore, 'devices kept publishing offline');
      broker = await startAedes({ port });
      const collector = await collect(broker.url, fleet.deviceIds[0]!.slice(0, 7));
      await until(() => fleet.counters.acked > ackedBefore + 30, 'traffic after the restart');
      const report = await fleet.stop();
      assert.ok(report.reconnects >= 3, `reconnects ${report.reconnects}`);
      assert.equal(report.unacknowledged, 0);
      // What was published while the broker was down sat in mqtt.js's offline queue and was
      // acknowledged by the new broker: nothing failed.
      assert.equal(report.counters.failed, 0);
      assert.equal(report.counters.acked, report.counters.published);
      await collector.close();
    } finally {
      await fleet.stop();
      await broker.close();
    }
  });
});

describe('device fleet over shared connections (Mosquitto)', () => {
  it('carries many devices over a few connections, each reading on its own device topic', async () => {
    const prefix = uniquePrefix('s');
    const collector = await collect(MOSQUITTO_URL, prefix);
    try {
      const fleet = await startDeviceFleet({
        url: MOSQUITTO_URL,
        devices: 20,
        connections: 3,
        idPrefix: prefix,
        intervalMs: 100,
        maxMessages: 100
      });
      const report = await fleet.done;
      assert.equal(report.counters.acked, 100);
      await until(() => collector.deliveries.length >= 100, 'every delivery');
      const devices = new Set(collector.deliveries.map((d) => d.topic.split('/')[3]));
      assert.equal(devices.size, 20);
      for (const { topic, payload } of collector.deliveries)
        assert.equal(
          topic,
          deviceTopic((JSON.parse(payload.toString()) as ParsedReading).deviceId)
        );
      assert.deepEqual(totalsOf(collector.deliveries), report.expected);
    } finally {
      await collector.close();
    }
  });
});

describe('device fleet stopping while the broker is away (aedes)', () => {
  it('stops within the drain timeout and reports what stayed unacknowledged', async () => {
    const broker = await startAedes();
    const fleet = await startDeviceFleet({
      url: broker.url,
      devices: 2,
      idPrefix: uniquePrefix('d'),
      intervalMs: 5,
      maxInFlight: 5,
      drainTimeoutMs: 300,
      reconnectPeriodMs: 100
    });
    await until(() => fleet.counters.acked > 10, 'some traffic');
    await broker.close();
    await until(() => fleet.counters.published - fleet.counters.acked >= 10, 'full windows');
    const started = Date.now();
    const report = await fleet.stop();
    assert.ok(Date.now() - started < 3000, `stop took ${Date.now() - started} ms`);
    assert.ok(report.unacknowledged >= 10, JSON.stringify(report.counters));
    assert.equal(report.counters.acked, report.expectedOverall.readings);
  });
});
