// The reading check against the contract file itself (every example and x-invalid-example) and
// the checks the schema cannot express: topic, size, clock.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';
import { checkMessage, contractReading, parseUtcTimestamp } from '../../src/activity/readings.ts';

const contract = JSON.parse(
  readFileSync(
    new URL('../../../toolkit/contracts/device-reading.schema.json', import.meta.url),
    'utf8'
  )
) as {
  examples: Array<Record<string, unknown>>;
  'x-invalid-examples': Array<{ why: string; message: unknown }>;
};

const HOUR = 3_600_000;
const limits = { maxBytes: 1024, lateWindowMs: 48 * HOUR };
const DEVICE = 'dev-000042-a';
const NOW = Date.parse('2026-12-07T09:00:00Z');
const good = (overrides: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({
      deviceId: DEVICE,
      ts: '2026-12-07T08:59:00Z',
      steps: 10,
      heartRate: 90,
      calories: 1,
      activeMinutes: 0.1,
      ...overrides
    })
  );

describe('device reading contract', () => {
  it('accepts every example of the contract', () => {
    assert.ok(contract.examples.length >= 2);
    for (const example of contract.examples) {
      const reading = contractReading(example);
      assert.ok(reading, JSON.stringify(example));
      assert.equal(reading.ts, Date.parse(example.ts as string));
      const check = checkMessage(
        deviceTopic(DEVICE),
        Buffer.from(JSON.stringify(example)),
        limits,
        reading.ts
      );
      assert.equal(check.ok, true);
    }
  });

  it('refuses every x-invalid-example of the contract', () => {
    assert.ok(contract['x-invalid-examples'].length >= 5);
    for (const { why, message } of contract['x-invalid-examples']) {
      assert.equal(contractReading(message), undefined, why);
      const check = checkMessage(
        deviceTopic(DEVICE),
        Buffer.from(JSON.stringify(message)),
        limits,
        NOW
      );
      assert.deepEqual(check, { ok: false, reason: 'invalid' }, why);
    }
  });

  it('refuses what the schema forbids beyond the examples', () => {
    const bad: Array<[string, unknown]> = [
      ['array', []],
      ['null', null],
      [
        'string steps',
        { deviceId: DEVICE, ts: '2026-12-07T08:59:00Z', steps: '1', calories: 0, activeMinutes: 0 }
      ],
      [
        'fractional steps',
        { deviceId: DEVICE, ts: '2026-12-07T08:59:00Z', steps: 1.5, calories: 0, activeMinutes: 0 }
      ],
      [
        'missing calories',
        { deviceId: DEVICE, ts: '2026-12-07T08:59:00Z', steps: 1, activeMinutes: 0 }
      ],
      [
        'too many calories',
        { deviceId: DEVICE, ts: '2026-12-07T08:59:00Z', steps: 1, calories: 101, activeMinutes: 0 }
      ],
      [
        'too many active minutes',
        { deviceId: DEVICE, ts: '2026-12-07T08:59:00Z', steps: 1, calories: 0, activeMinutes: 11 }
      ],
      [
        'too many steps',
        { deviceId: DEVICE, ts: '2026-12-07T08:59:00Z', steps: 1001, calories: 0, activeMinutes: 0 }
      ],
      [
        'fractional heart rate',
        {
          deviceId: DEVICE,
          ts: '2026-12-07T08:59:00Z',
          steps: 1,
          heartRate: 80.5,
          calories: 0,
          activeMinutes: 0
        }
      ],
      [
        'impossible date',
        { deviceId: DEVICE, ts: '2026-02-30T08:59:00Z', steps: 1, calories: 0, activeMinutes: 0 }
      ],
      [
        'hour 24',
        { deviceId: DEVICE, ts: '2026-12-07T24:00:00Z', steps: 1, calories: 0, activeMinutes: 0 }
      ],
      [
        '__proto__ key',
        JSON.parse(
          `{"__proto__": {}, "deviceId": "${DEVICE}", "ts": "2026-12-07T08:59:00Z", "steps": 1, "calories": 0, "activeMinutes": 0}`
        )
      ]
    ];
    for (const [why, body] of bad) assert.equal(contractReading(body), undefined, why);
    assert.equal(
      parseUtcTimestamp('2026-12-07T08:59:00.5Z'),
      Date.parse('2026-12-07T08:59:00.500Z')
    );
  });

  it('drops by reason: size, topic, JSON, device, clock', () => {
    const topic = deviceTopic(DEVICE);
    const check = (t: string, payload: Buffer) => checkMessage(t, payload, limits, NOW);
    assert.equal(check(topic, good()).ok, true);
    assert.deepEqual(check(topic, Buffer.alloc(1025, 32)), { ok: false, reason: 'oversized' });
    const partition = Number(topic.split('/')[2]);
    const wrongPartition = `activity/v1/${String((partition + 1) % 64).padStart(2, '0')}/${DEVICE}`;
    assert.deepEqual(check(wrongPartition, good()), { ok: false, reason: 'bad_topic' });
    assert.deepEqual(check('activity/v1/xx/' + DEVICE, good()), { ok: false, reason: 'bad_topic' });
    assert.deepEqual(check(topic, Buffer.from('{"deviceId":')), { ok: false, reason: 'malformed' });
    assert.deepEqual(check(topic, Buffer.from([0xff, 0xfe, 0x00])), {
      ok: false,
      reason: 'malformed'
    });
    assert.deepEqual(check(deviceTopic('dev-000099-b'), good()), {
      ok: false,
      reason: 'device_mismatch'
    });
    assert.deepEqual(check(topic, good({ ts: '2026-12-07T09:06:00Z' })), {
      ok: false,
      reason: 'future'
    });
    assert.equal(check(topic, good({ ts: '2026-12-07T09:04:00Z' })).ok, true);
    assert.deepEqual(check(topic, good({ ts: '2026-12-05T08:59:00Z' })), {
      ok: false,
      reason: 'too_late'
    });
    assert.equal(check(topic, good({ ts: '2026-12-05T09:01:00Z' })).ok, true);
    // A heart rate left out is stored as unknown.
    const body = JSON.parse(good().toString()) as Record<string, unknown>;
    delete body.heartRate;
    const withoutHeartRate = check(topic, Buffer.from(JSON.stringify(body)));
    assert.ok(withoutHeartRate.ok && withoutHeartRate.reading.heartRate === null);
  });
});
