// What a wearer does during a day, and the reading a device reports for a stretch of it.
//
// Each device belongs to one person with a profile drawn from the seed: bedtime and wake-up
// (asleep at least 00:00-05:30), a morning and an evening walk, a workout on some days, a resting
// heart rate and a basal metabolic rate. Times are UTC: the simulated wearers live on UTC, which
// keeps "no steps 01:00-05:00" checkable without time zones. A reading covers (previous reading,
// this one]: steps, calories and active minutes are the deltas over that stretch, heart rate is
// the bpm at its end, as the contract says.
import { between, randomFor, type Random } from './random.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

export type Activity = 'sleep' | 'idle' | 'walk' | 'workout';

interface Session {
  startMinute: number;
  endMinute: number;
  /** Steps per minute while it lasts. */
  cadence: number;
}

export interface WearerProfile {
  /** Minute of the day the wearer wakes (330-480). */
  wakeMinute: number;
  /** Minute of the day the wearer falls asleep (1320-1440, i.e. 22:00-24:00). */
  bedMinute: number;
  restingHeartRate: number;
  /** kcal per day at rest. */
  basalKcal: number;
  /** Steps per minute while awake and not walking (pottering about). */
  idleCadence: number;
  /** Probability of a workout on a given day. */
  workoutChance: number;
}

export interface WearerDay {
  profile: WearerProfile;
  walks: Session[];
  workout: Session | undefined;
}

/** The reading's measured values (deltas since the previous reading, heart rate at its end). */
export interface ReadingValues {
  steps: number;
  heartRate: number | null;
  calories: number;
  activeMinutes: number;
}

export function wearerProfile(seed: number, deviceId: string): WearerProfile {
  const random = randomFor(seed, 'profile', deviceId);
  return {
    wakeMinute: Math.round(between(random, 330, 480)),
    bedMinute: Math.round(between(random, 1320, 1439)),
    restingHeartRate: Math.round(between(random, 52, 72)),
    basalKcal: Math.round(between(random, 1350, 2100)),
    idleCadence: between(random, 3, 8),
    workoutChance: between(random, 0.2, 0.6)
  };
}

function session(
  random: Random,
  from: number,
  to: number,
  minutes: [number, number],
  cadence: [number, number]
): Session {
  const length = Math.round(between(random, minutes[0], minutes[1]));
  const startMinute = Math.round(between(random, from, to));
  return {
    startMinute,
    endMinute: startMinute + length,
    cadence: between(random, cadence[0], cadence[1])
  };
}

/** The wearer's plan for the UTC day starting at `dayStart` (ms, midnight). */
export function wearerDay(seed: number, deviceId: string, dayStart: number): WearerDay {
  const profile = wearerProfile(seed, deviceId);
  const random = randomFor(seed, 'day', deviceId, dayStart);
  const morningFrom = profile.wakeMinute + 30;
  const walks = [
    session(random, morningFrom, morningFrom + 90, [15, 40], [95, 120]),
    session(random, 1050, 1200, [20, 60], [90, 115])
  ];
  const workout =
    random() < profile.workoutChance ? session(random, 720, 1000, [25, 60], [145, 170]) : undefined;
  return { profile, walks, workout };
}

function activityAt(day: WearerDay, minuteOfDay: number): { activity: Activity; cadence: number } {
  const { profile } = day;
  if (minuteOfDay < profile.wakeMinute || minuteOfDay >= profile.bedMinute)
    return { activity: 'sleep', cadence: 0 };
  const inside = (s: Session | undefined) =>
    s !== undefined && minuteOfDay >= s.startMinute && minuteOfDay < s.endMinute;
  if (inside(day.workout)) return { activity: 'workout', cadence: day.workout!.cadence };
  const walk = day.walks.find(inside);
  if (walk) return { activity: 'walk', cadence: walk.cadence };
  return { activity: 'idle', cadence: profile.idleCadence };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** A plan per (device, day), built once: a day of readings asks for it thousands of times. */
export class DayPlans {
  private readonly plans = new Map<string, WearerDay>();
  constructor(private readonly seed: number) {}

  planFor(deviceId: string, ts: number): WearerDay {
    const dayStart = ts - (((ts % DAY) + DAY) % DAY);
    const key = `${deviceId}|${dayStart}`;
    let plan = this.plans.get(key);
    if (!plan) {
      if (this.plans.size > 100_000) this.plans.clear();
      plan = wearerDay(this.seed, deviceId, dayStart);
      this.plans.set(key, plan);
    }
    return plan;
  }

  /**
   * The reading `deviceId` takes at `ts` covering (`fromTs`, `ts`]: the stretch is walked a
   * minute (or less) at a time so a walk that starts mid-interval counts only its share.
   */
  reading(deviceId: string, fromTs: number, ts: number): ReadingValues {
    const random = randomFor(this.seed, 'reading', deviceId, ts);
    let steps = 0;
    let activeMinutes = 0;
    let activeKcal = 0;
    let basalKcal = 0;
    for (let t = fromTs; t < ts;) {
      const next = Math.min(ts, (Math.floor(t / MINUTE) + 1) * MINUTE);
      const minutes = (next - t) / MINUTE;
      const plan = this.planFor(deviceId, t);
      const { activity, cadence } = activityAt(plan, Math.floor((t % DAY) / MINUTE));
      // Idle steps come in bursts (getting up, a few paces): most stretches have none.
      const idleBurst = activity === 'idle' ? (random() < 0.25 ? 4 * random() : 0) : 1;
      steps += cadence * minutes * idleBurst * between(random, 0.85, 1.15);
      if (activity === 'walk' || activity === 'workout') activeMinutes += minutes;
      activeKcal += activity === 'workout' ? 9 * minutes : 0;
      basalKcal += (plan.profile.basalKcal / 1440) * minutes;
      t = next;
    }
    const wholeSteps = Math.min(1000, Math.round(steps));
    const end = this.planFor(deviceId, ts);
    const { activity } = activityAt(end, Math.floor((ts % DAY) / MINUTE));
    const rest = end.profile.restingHeartRate;
    const heartRate =
      random() < 0.01
        ? null // the sensor lost contact with the skin
        : Math.round(
            Math.min(
              190,
              Math.max(
                40,
                activity === 'sleep'
                  ? rest - between(random, 4, 10)
                  : activity === 'idle'
                    ? rest + between(random, 3, 18)
                    : activity === 'walk'
                      ? between(random, 92, 118)
                      : between(random, 138, 176)
              )
            )
          );
    return {
      steps: wholeSteps,
      heartRate,
      // ~0.045 kcal per step on top of the basal rate, plus the workout's extra effort.
      calories: Math.min(100, round2(basalKcal + wholeSteps * 0.045 + activeKcal)),
      activeMinutes: Math.min(10, round2(activeMinutes))
    };
  }
}
