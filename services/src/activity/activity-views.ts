// Stored totals -> the contract's bodies: calories and active minutes to one decimal, heart rates
// to whole bpm, null heart rates when no reading carried one, zero days for days without a row.
import type { ActivityUser, DayTotals, HourTotals, Totals } from './activity-queries.ts';
import type { Period, SeriesBody, SeriesPoint, SummaryBody } from './api-schemas.ts';
import { addDays } from './local-date.ts';

/** Days of the week and month series (ending on their last day). */
export const PERIOD_DAYS = { week: 7, month: 30 } as const;

export const oneDecimal = (value: number): number => Math.round(value * 10) / 10;

export function heartRateAverage(totals: Pick<Totals, 'heartRateSum' | 'heartRateCount'>) {
  return totals.heartRateCount > 0 ? Math.round(totals.heartRateSum / totals.heartRateCount) : null;
}

export function summaryView(
  user: ActivityUser,
  date: string,
  day: DayTotals | undefined
): SummaryBody {
  const steps = day?.steps ?? 0;
  return {
    userId: user.userId,
    date,
    timeZone: user.timeZone,
    steps,
    calories: oneDecimal(day?.calories ?? 0),
    activeMinutes: oneDecimal(day?.activeMinutes ?? 0),
    heartRate: {
      average: day ? heartRateAverage(day) : null,
      min: day?.heartRateMin ?? null,
      max: day?.heartRateMax ?? null
    },
    readings: day?.readings ?? 0,
    goal: { steps: user.dailyStepGoal, reached: steps >= user.dailyStepGoal },
    updatedAt: day ? day.updatedAt.toISOString() : null
  };
}

function point(start: string, totals: Totals | undefined): SeriesPoint {
  return {
    start,
    steps: totals?.steps ?? 0,
    calories: oneDecimal(totals?.calories ?? 0),
    activeMinutes: oneDecimal(totals?.activeMinutes ?? 0),
    heartRateAverage: totals ? heartRateAverage(totals) : null
  };
}

/** One point per day of [end - days + 1, end]; days without a row are zero points. */
export function dailySeriesView(
  user: ActivityUser,
  period: Exclude<Period, 'day'>,
  end: string,
  stored: readonly DayTotals[]
): SeriesBody {
  const byDay = new Map(stored.map((day) => [day.day, day]));
  const days = PERIOD_DAYS[period];
  const points: SeriesPoint[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = addDays(end, -i);
    points.push(point(day, byDay.get(day)));
  }
  return { userId: user.userId, period, timeZone: user.timeZone, points };
}

export function hourlySeriesView(user: ActivityUser, hours: readonly HourTotals[]): SeriesBody {
  return {
    userId: user.userId,
    period: 'day',
    timeZone: user.timeZone,
    points: hours.map((hour) => point(hour.start.toISOString(), hour))
  };
}
