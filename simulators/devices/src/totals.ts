// What the ingest path must end up with: per device and UTC day, the sums of the valid readings
// the broker acknowledged, each counted once (duplicates and injected faults are not). Sums are
// kept in hundredths so they are exact integers, as a database's numeric sum would be.

export interface DayTotals {
  readings: number;
  steps: number;
  calories: number;
  activeMinutes: number;
}

interface ExactTotals {
  readings: number;
  steps: number;
  caloriesCenti: number;
  activeCenti: number;
}

export class ExpectedTotals {
  private readonly byDevice = new Map<string, Map<string, ExactTotals>>();

  add(reading: {
    deviceId: string;
    ts: string;
    steps: number;
    calories: number;
    activeMinutes: number;
  }): void {
    let days = this.byDevice.get(reading.deviceId);
    if (!days) this.byDevice.set(reading.deviceId, (days = new Map()));
    const day = reading.ts.slice(0, 10);
    let totals = days.get(day);
    if (!totals)
      days.set(day, (totals = { readings: 0, steps: 0, caloriesCenti: 0, activeCenti: 0 }));
    totals.readings += 1;
    totals.steps += reading.steps;
    totals.caloriesCenti += Math.round(reading.calories * 100);
    totals.activeCenti += Math.round(reading.activeMinutes * 100);
  }

  /** deviceId -> UTC day (YYYY-MM-DD) -> totals. */
  snapshot(): Record<string, Record<string, DayTotals>> {
    const result: Record<string, Record<string, DayTotals>> = {};
    for (const [deviceId, days] of this.byDevice) {
      const perDay: Record<string, DayTotals> = {};
      for (const [day, t] of days) {
        perDay[day] = {
          readings: t.readings,
          steps: t.steps,
          calories: t.caloriesCenti / 100,
          activeMinutes: t.activeCenti / 100
        };
      }
      result[deviceId] = perDay;
    }
    return result;
  }

  /** Sums over every device and day. */
  overall(): DayTotals {
    const sum: ExactTotals = { readings: 0, steps: 0, caloriesCenti: 0, activeCenti: 0 };
    for (const days of this.byDevice.values())
      for (const t of days.values()) {
        sum.readings += t.readings;
        sum.steps += t.steps;
        sum.caloriesCenti += t.caloriesCenti;
        sum.activeCenti += t.activeCenti;
      }
    return {
      readings: sum.readings,
      steps: sum.steps,
      calories: sum.caloriesCenti / 100,
      activeMinutes: sum.activeCenti / 100
    };
  }
}
