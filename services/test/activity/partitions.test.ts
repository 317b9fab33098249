// Partition maintenance: partitions made for the late window and ahead, expired daily
// partitions dropped by their own retention, and a batch that meets a missing partition makes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { maintainPartitions } from '../../src/activity/partitions.ts';
import { writeBatch } from '../../src/activity/rollup-writer.ts';
import { migrate } from '../../src/platform/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

describe('activity partition maintenance', () => {
  let db: TestDatabase;
  const partitions = async (table: string): Promise<string[]> => {
    const { rows } = await db.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1 ORDER BY 1`,
      [table]
    );
    return rows.map((row) => row.name);
  };
  before(async () => {
    db = await createTestDatabase();
    await migrate(db.pool, {});
  });
  after(async () => db?.drop());

  it('creates the late window and two days ahead, and drops by retention', async () => {
    const now = Date.parse('2026-12-07T10:00:00Z');
    // Older partitions, as an instance running in November would have made them.
    await db.pool.query("SELECT activity_ensure_partitions('2026-10-25', '2026-11-02')");
    const report = await maintainPartitions(
      db.pool,
      { lateWindowHours: 48, rawRetentionDays: 7, minuteRetentionDays: 40 },
      now
    );
    const readings = await partitions('activity_readings');
    const minutes = await partitions('activity_minutes');
    // Raw: kept from 2026-11-30 on (7 days); the November ones are gone.
    assert.deepEqual(readings, [
      'activity_readings_20261205',
      'activity_readings_20261206',
      'activity_readings_20261207',
      'activity_readings_20261208',
      'activity_readings_20261209'
    ]);
    // Minutes: 40 days back is 2026-10-28; the days ending on or before it are dropped.
    assert.equal(minutes[0], 'activity_minutes_20261028');
    assert.ok(
      minutes.includes('activity_minutes_20261102') && minutes.includes('activity_minutes_20261209')
    );
    assert.deepEqual(await partitions('activity_days'), [
      'activity_days_202610',
      'activity_days_202611',
      'activity_days_202612'
    ]);
    assert.deepEqual(report, { created: 11, droppedReadings: 9, droppedMinutes: 3 });
    // 5 days x (readings + minutes) + December of the day rollups; idempotent afterwards.
    const again = await maintainPartitions(
      db.pool,
      { lateWindowHours: 48, rawRetentionDays: 7, minuteRetentionDays: 40 },
      now
    );
    assert.deepEqual(again, { created: 0, droppedReadings: 0, droppedMinutes: 0 });
  });

  it('makes a missing partition when a batch meets one, instead of failing', async () => {
    await db.pool.query("INSERT INTO activity_users (user_id) VALUES ('user-part')");
    await db.pool.query(
      "INSERT INTO activity_devices (device_id, user_id) VALUES ('dev-part-0001', 'user-part')"
    );
    const ts = Date.parse('2027-03-03T12:00:00Z');
    const reading = {
      deviceId: 'dev-part-0001',
      ts,
      steps: 5,
      heartRate: null,
      calories: 1,
      activeMinutes: 0
    };
    await assert.rejects(writeBatch(db.pool, [reading]), /no partition/);
    let made = 0;
    const result = await writeBatch(db.pool, [reading], {
      onMissingPartition: async () => {
        made++;
        await db.pool.query("SELECT activity_ensure_partitions('2027-03-03', '2027-03-03')");
      }
    });
    assert.equal(made, 1);
    assert.equal(result.stored, 1);
  });
});

describe('activity partitions for every time zone and a busy table', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    await migrate(db.pool, {});
  });
  after(async () => db?.drop());
  const exists = async (name: string) =>
    (await db.pool.query('SELECT to_regclass($1) AS t', [name])).rows[0]!.t !== null;

  it("makes the day-rollup month of a UTC-10 user's late reading on a fresh deployment", async () => {
    const { ensurePartitions } = await import('../../src/activity/partitions.ts');
    // The 3rd, 05:00 UTC, late window 48 h: the oldest valid reading (1st, 05:00 UTC) is on the
    // 31st of May in Honolulu.
    await ensurePartitions(db.pool, { lateWindowHours: 48 }, Date.parse('2027-06-03T05:00:00Z'));
    assert.equal(await exists('activity_days_202705'), true);
    await db.pool.query(
      "INSERT INTO activity_users (user_id, time_zone) VALUES ('user-hnl', 'Pacific/Honolulu'), ('user-kir', 'Pacific/Kiritimati')"
    );
    await db.pool.query(
      "INSERT INTO activity_devices (device_id, user_id) VALUES ('dev-hnl-0001', 'user-hnl'), ('dev-kir-0001', 'user-kir')"
    );
    const at = (deviceId: string, iso: string) => ({
      deviceId,
      ts: Date.parse(iso),
      steps: 5,
      heartRate: null,
      calories: 1,
      activeMinutes: 0
    });
    const late = await writeBatch(db.pool, [at('dev-hnl-0001', '2027-06-01T05:00:00Z')]);
    assert.equal(late.stored, 1);
    // Two days ahead of the 29th is the 31st: at 12:00 UTC, the 1st of September in Kiritimati
    // (UTC+14).
    await ensurePartitions(db.pool, { lateWindowHours: 48 }, Date.parse('2027-08-29T12:00:00Z'));
    const ahead = await writeBatch(db.pool, [at('dev-kir-0001', '2027-08-31T12:00:00Z')]);
    assert.equal(ahead.stored, 1);
  });

  it('does not wait behind a busy table to drop its expired partitions (a later round does)', async () => {
    const now = Date.parse('2027-06-03T05:00:00Z');
    await db.pool.query("SELECT activity_ensure_partitions('2027-04-01', '2027-04-01')");
    const policy = { lateWindowHours: 48, rawRetentionDays: 7, minuteRetentionDays: 7 };
    const busy = await db.pool.connect();
    try {
      // An ingest statement in progress holds the parent table.
      await busy.query('BEGIN');
      await busy.query('LOCK TABLE activity_readings IN ROW EXCLUSIVE MODE');
      const started = Date.now();
      const report = await maintainPartitions(db.pool, policy, now);
      assert.ok(Date.now() - started < 10_000, `waited ${Date.now() - started} ms`);
      assert.equal(report.droppedReadings, 0);
      assert.equal(report.droppedMinutes, 1);
      assert.equal(await exists('activity_readings_20270401'), true);
    } finally {
      await busy.query('ROLLBACK');
      busy.release();
    }
    const later = await maintainPartitions(db.pool, policy, now);
    assert.equal(later.droppedReadings, 1);
    assert.equal(await exists('activity_readings_20270401'), false);
  });
});

describe('activity partition maintenance under concurrency', () => {
  it('lets several instances make the same partitions at once', async () => {
    const db = await createTestDatabase();
    try {
      await migrate(db.pool, {});
      const { ensurePartitions } = await import('../../src/activity/partitions.ts');
      const now = Date.parse('2027-01-15T10:00:00Z');
      const made = await Promise.all(
        Array.from({ length: 5 }, () => ensurePartitions(db.pool, { lateWindowHours: 240 }, now))
      );
      // 13 days x 2 daily tables + January of the day rollups, made once between them.
      assert.equal(
        made.reduce((sum, n) => sum + n, 0),
        27
      );
    } finally {
      await db.drop();
    }
  });
});
