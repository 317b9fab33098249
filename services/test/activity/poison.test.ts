// Readings the database refuses (poison) and implausible step counts, on real PostgreSQL: a
// refused reading is isolated and dropped while the rest of its batch is stored; a device adds
// at most MAX_STEPS_PER_DEVICE_MINUTE steps to one minute whatever the order or redelivery.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { classifyWriteError, writeIsolating } from '../../src/activity/poison.ts';
import { checkMessage, type Reading } from '../../src/activity/readings.ts';
import { MAX_STEPS_PER_DEVICE_MINUTE, writeBatch } from '../../src/activity/rollup-writer.ts';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';
import { ensurePartitions } from '../../src/activity/partitions.ts';
import { migrate } from '../../src/platform/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const reading = (deviceId: string, ts: number, steps = 10): Reading => ({
  deviceId,
  ts,
  steps,
  heartRate: 80,
  calories: 1,
  activeMinutes: 0.1
});

describe('activity readings the database refuses', () => {
  let db: TestDatabase;
  const write = (readings: readonly Reading[]) => writeBatch(db.pool, readings);
  const steps = async (userId: string): Promise<number> => {
    const { rows } = await db.pool.query<{ steps: number }>(
      'SELECT coalesce(sum(steps), 0)::int AS steps FROM activity_days WHERE user_id = $1',
      [userId]
    );
    return rows[0]!.steps;
  };
  before(async () => {
    db = await createTestDatabase();
    await migrate(db.pool, {});
    await ensurePartitions(db.pool, { lateWindowHours: 48 });
    // PostgreSQL 15 no longer knows US/Pacific-New (tzdata 2020b); Node's ICU still does.
    // Migration 0009 refuses it at registration; a row stored before 0009, as it was stored:
    await db.pool.query(
      'ALTER TABLE activity_users DISABLE TRIGGER activity_users_time_zone_check'
    );
    await db.pool.query(`INSERT INTO activity_users (user_id, time_zone) VALUES
      ('user-ok-1', 'UTC'), ('user-old-1', 'US/Pacific-New')`);
    await db.pool.query('ALTER TABLE activity_users ENABLE TRIGGER activity_users_time_zone_check');
    await db.pool.query(`INSERT INTO activity_devices (device_id, user_id) VALUES
      ('dev-ok-00001', 'user-ok-1'), ('dev-ok-00002', 'user-ok-1'), ('dev-old-0001', 'user-old-1')`);
  });
  after(async () => db?.drop());

  it('classifies: no SQLSTATE or 08/40/57 retry whole, 22/23 are data', () => {
    assert.equal(
      classifyWriteError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })),
      'transient'
    );
    const server = (code: string) => Object.assign(new Error(code), { code, severity: 'ERROR' });
    assert.equal(classifyWriteError(server('57P01')), 'transient');
    assert.equal(classifyWriteError(server('40001')), 'transient');
    assert.equal(classifyWriteError(server('22003')), 'data');
    assert.equal(classifyWriteError(server('23514')), 'data');
    assert.equal(classifyWriteError(server('42703')), 'other');
  });

  it('isolates the reading of a zone PostgreSQL does not know, stores the rest', async () => {
    const ts = Date.now() - 10 * 60_000;
    const batch = [
      reading('dev-ok-00001', ts, 5),
      reading('dev-old-0001', ts, 7),
      reading('dev-ok-00002', ts, 11),
      reading('dev-ok-00001', ts + 5000, 13)
    ];
    // The whole statement fails: one reading poisons the batch.
    await assert.rejects(write(batch), (error: { code?: string }) => error.code === '22023');
    const { result, refused } = await writeIsolating(write, batch);
    assert.deepEqual(
      refused.map((r) => [r.reading.deviceId, r.code]),
      [['dev-old-0001', '22023']]
    );
    assert.equal(result.received, 4);
    assert.equal(result.stored, 3);
    assert.equal(await steps('user-ok-1'), 29);
    // Redelivered (the broker did not get the acknowledgement): nothing counted twice.
    const again = await writeIsolating(write, batch);
    assert.equal(again.result.stored, 0);
    assert.equal(again.refused.length, 1);
    assert.equal(await steps('user-ok-1'), 29);
  });

  it('holds the batch (throws) when every statement fails for a reason not in the data', async () => {
    const broken = () =>
      Promise.reject(
        Object.assign(new Error('column "x" does not exist'), { code: '42703', severity: 'ERROR' })
      );
    await assert.rejects(
      writeIsolating(broken, [reading('dev-ok-00001', 1), reading('dev-ok-00002', 2)]),
      /column "x"/
    );
    // One reading's partition refused for a database reason (permission), the other written:
    // still held (redelivered), not dropped as the reading's fault.
    const partly = (part: readonly Reading[]) =>
      part.some((r) => r.deviceId === 'dev-ok-00002')
        ? Promise.reject(
            Object.assign(new Error('permission denied for table activity_readings_x'), {
              code: '42501',
              severity: 'ERROR'
            })
          )
        : write(part);
    await assert.rejects(
      writeIsolating(partly, [
        reading('dev-ok-00001', Date.now() - 600_000),
        reading('dev-ok-00002', Date.now() - 600_000)
      ]),
      /permission denied/
    );
    const down = () => Promise.reject(Object.assign(new Error('down'), { code: 'ECONNREFUSED' }));
    await assert.rejects(writeIsolating(down, [reading('dev-ok-00001', 1)]), /down/);
  });

  it('stores a contract-valid 1e-50 (kept to 3 decimals)', async () => {
    const ts = new Date(Math.floor((Date.now() - 20 * 60_000) / 1000) * 1000).toISOString();
    const check = checkMessage(
      deviceTopic('dev-ok-00002'),
      Buffer.from(
        `{"deviceId":"dev-ok-00002","ts":"${ts}","steps":1,"calories":1e-50,"activeMinutes":0.00049}`
      ),
      { maxBytes: 1024, lateWindowMs: 48 * 3_600_000 }
    );
    assert.ok(check.ok);
    assert.equal(check.reading.calories, 0);
    assert.equal(check.reading.activeMinutes, 0);
    const result = await write([check.reading]);
    assert.equal(result.stored, 1);
  });
});

describe('activity plausibility: steps per device minute', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    await migrate(db.pool, {});
    await ensurePartitions(db.pool, { lateWindowHours: 48 });
    await db.pool.query(
      `INSERT INTO activity_users (user_id) VALUES ('user-cap-1'), ('user-cap-2'), ('user-cap-3')`
    );
    await db.pool.query(`INSERT INTO activity_devices (device_id, user_id) VALUES
      ('dev-cap-00001', 'user-cap-1'), ('dev-cap-00002', 'user-cap-2'), ('dev-cap-00003', 'user-cap-2'),
      ('dev-cap-00004', 'user-cap-3')`);
  });
  after(async () => db?.drop());
  const minuteSteps = async (userId: string) => {
    const { rows } = await db.pool.query<{ minute: Date; steps: number }>(
      'SELECT minute, steps::int FROM activity_minutes WHERE user_id = $1 ORDER BY minute',
      [userId]
    );
    return rows.map((row) => row.steps);
  };

  it('caps a device-minute that two workers write at the same instant', async () => {
    // Two batches of one device's minute, each offering the whole budget, written concurrently
    // (a shared subscription hands one device's messages to several workers), 15 minutes over.
    const base = Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000;
    for (let m = 0; m < 15; m++) {
      const minute = base + m * 60_000;
      const batch = (offset: number) =>
        Array.from({ length: 3 }, (_, i) =>
          reading('dev-cap-00004', minute + (offset + i) * 1000, 100)
        );
      await Promise.all([writeBatch(db.pool, batch(0)), writeBatch(db.pool, batch(10))]);
    }
    const { rows } = await db.pool.query<{ steps: number }>(
      `SELECT sum(steps)::int AS steps FROM activity_readings
        WHERE device_id = 'dev-cap-00004' GROUP BY date_trunc('minute', ts, 'UTC')`
    );
    assert.equal(rows.length, 15);
    assert.ok(
      rows.every((row) => row.steps === MAX_STEPS_PER_DEVICE_MINUTE),
      `per minute: ${rows.map((row) => row.steps).join(', ')}`
    );
  });

  it('caps one device-minute at the cap, the same total in any order and under redelivery', async () => {
    const minute = Math.floor((Date.now() - 30 * 60_000) / 60_000) * 60_000;
    // 20 readings x 100 steps within one minute: 2000 steps offered.
    const offered = Array.from({ length: 20 }, (_, i) =>
      reading('dev-cap-00001', minute + i * 1000, 100)
    );
    const first = await writeBatch(db.pool, offered.slice(0, 2));
    assert.equal(first.capped, 0);
    const rest = offered.slice(2).reverse();
    const second = await writeBatch(db.pool, rest);
    assert.equal(second.stored, 18);
    assert.equal(second.capped, 17);
    assert.deepEqual(await minuteSteps('user-cap-1'), [MAX_STEPS_PER_DEVICE_MINUTE]);
    const again = await writeBatch(db.pool, offered);
    assert.equal(again.stored, 0);
    assert.deepEqual(await minuteSteps('user-cap-1'), [MAX_STEPS_PER_DEVICE_MINUTE]);
    // The next minute has its own budget.
    await writeBatch(db.pool, [reading('dev-cap-00001', minute + 60_000, 250)]);
    assert.deepEqual(await minuteSteps('user-cap-1'), [MAX_STEPS_PER_DEVICE_MINUTE, 250]);
  });

  it('caps per device: two devices of one user each have the budget', async () => {
    const minute = Math.floor((Date.now() - 40 * 60_000) / 60_000) * 60_000;
    await writeBatch(db.pool, [
      reading('dev-cap-00002', minute, 1000),
      reading('dev-cap-00003', minute + 1000, 1000),
      reading('dev-cap-00003', minute + 2000, 1000)
    ]);
    assert.deepEqual(await minuteSteps('user-cap-2'), [2 * MAX_STEPS_PER_DEVICE_MINUTE]);
  });
});
