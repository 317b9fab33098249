import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DayPlans, wearerProfile } from '../src/day-pattern.ts';
import { deviceIdOf } from '../src/fleet.ts';
import { readingPayload } from '../src/payload.ts';
import { payloadProblems } from './helpers/contract.ts';

const DAY_START = Date.parse('2026-12-07T00:00:00Z');
const HOUR = 3_600_000;

/** Every reading of one device over one UTC day, 5 s apart. */
function simulateDay(plans: DayPlans, deviceId: string, intervalMs = 5000) {
  const readings = [];
  for (let ts = DAY_START + intervalMs; ts <= DAY_START + 24 * HOUR; ts += intervalMs)
    readings.push({ ts, ...plans.reading(deviceId, ts - intervalMs, ts) });
  return readings;
}

describe('a wearer day', () => {
  const plans = new DayPlans(7);
  const ids = Array.from({ length: 40 }, (_, i) => deviceIdOf('dev', i + 1));
  const days = new Map(ids.map((id) => [id, simulateDay(plans, id)]));

  it('has 2,000-25,000 steps, none 01:00-05:00, heart rate 40-190', () => {
    for (const [id, readings] of days) {
      const steps = readings.reduce((sum, r) => sum + r.steps, 0);
      assert.ok(steps >= 2000 && steps <= 25_000, `${id}: ${steps} steps`);
      const night = readings.filter((r) => r.ts > DAY_START + HOUR && r.ts <= DAY_START + 5 * HOUR);
      assert.ok(night.length > 2000);
      assert.equal(
        night.reduce((sum, r) => sum + r.steps, 0),
        0,
        `${id} walks at night`
      );
      for (const r of readings) {
        if (r.heartRate !== null)
          assert.ok(r.heartRate >= 40 && r.heartRate <= 190, `${id}: ${r.heartRate} bpm`);
      }
    }
  });

  it('ties heart rate to activity: higher while walking than asleep', () => {
    for (const [id, readings] of days) {
      const { restingHeartRate } = wearerProfile(7, id);
      const asleep = readings.filter(
        (r) => r.ts > DAY_START + 2 * HOUR && r.ts <= DAY_START + 4 * HOUR
      );
      const moving = readings.filter((r) => r.steps >= 7);
      const mean = (list: typeof readings) => {
        const rates = list.flatMap((r) => (r.heartRate === null ? [] : [r.heartRate]));
        return rates.reduce((a, b) => a + b, 0) / rates.length;
      };
      assert.ok(mean(asleep) < restingHeartRate, `${id} asleep ${mean(asleep)}`);
      assert.ok(mean(moving) > 90, `${id} moving ${mean(moving)}`);
    }
  });

  it('burns about the basal rate plus activity, and has active minutes from walks', () => {
    for (const [id, readings] of days) {
      const { basalKcal } = wearerProfile(7, id);
      const calories = readings.reduce((sum, r) => sum + r.calories, 0);
      const active = readings.reduce((sum, r) => sum + r.activeMinutes, 0);
      assert.ok(
        calories > basalKcal * 0.98 && calories < basalKcal + 1500,
        `${id}: ${calories} kcal`
      );
      assert.ok(active >= 30 && active <= 200, `${id}: ${active} active minutes`);
    }
  });

  it('is the same for the same seed and different for another', () => {
    const again = simulateDay(new DayPlans(7), ids[0]!);
    assert.deepEqual(again, days.get(ids[0]!));
    const other = simulateDay(new DayPlans(8), ids[0]!);
    assert.notDeepEqual(other, days.get(ids[0]!));
  });

  it('makes readings the contract accepts, with at most 5-minute intervals', () => {
    for (const readings of [days.get(ids[1]!)!, simulateDay(plans, ids[2]!, 300_000)]) {
      for (const r of readings) {
        const payload = readingPayload({
          deviceId: ids[1]!,
          ...r,
          ts: new Date(r.ts).toISOString()
        });
        assert.deepEqual(payloadProblems(payload), []);
      }
    }
  });
});
