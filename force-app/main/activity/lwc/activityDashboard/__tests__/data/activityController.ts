/*
 * What ActivityController.getDashboard returns, as the LWC receives it (Aura JSON): a linked user
 * with 30 days of history (oldest first, today last) and a user with no linked fitness account.
 */

/** 30 days ending on TODAY: steps 4,000 + 200 per day, a heart rate every day but one; calories and active minutes carry one decimal, as the Apex says. */
export const TODAY = '2026-12-07';

function isoDay(offsetFromToday: number): string {
  const date = new Date(`${TODAY}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + offsetFromToday);
  return date.toISOString().slice(0, 10);
}

export const DAYS: Apex.ActivityDay[] = Array.from({ length: 30 }, (_, i) => ({
  activityDate: isoDay(i - 29),
  steps: 4000 + i * 200,
  calories: 1500.5 + i * 10,
  activeMinutes: 20.5 + i,
  // A day without any heart-rate reading reaches the LWC as null.
  heartRateAverage: i === 27 ? null : 60 + (i % 10)
}));

export const DASHBOARD: Apex.ActivityDashboard = {
  linked: true,
  activityDate: TODAY,
  timeZone: 'Europe/London',
  steps: 8432,
  calories: 1234.4,
  activeMinutes: 45.4,
  heartRateAverage: 72,
  heartRateMin: 58,
  heartRateMax: 141,
  goalSteps: 10000,
  goalReached: false,
  updatedAt: '2026-12-07T14:05:00Z',
  days: DAYS
};

export const GOAL_REACHED: Apex.ActivityDashboard = {
  ...DASHBOARD,
  steps: 10500,
  goalReached: true
};

/** ActivityDashboard.unlinked(): `linked` false, an empty series and nothing else set. */
export const NOT_LINKED: Apex.ActivityDashboard = {
  linked: false,
  activityDate: null,
  timeZone: null,
  steps: null,
  calories: null,
  activeMinutes: null,
  heartRateAverage: null,
  heartRateMin: null,
  heartRateMax: null,
  goalSteps: null,
  goalReached: null,
  updatedAt: null,
  days: []
};

/** An AuraHandledException as an imperative Apex call rejects with it. */
export function apexError(message: string): Apex.Error {
  return { body: { message }, status: 500, statusText: 'Server Error' };
}

/** Messages ActivityController throws; activityController.test.ts holds each to the Apex. */
export const APEX_TEXT = {
  UNAVAILABLE: 'Your activity cannot be shown right now. Please try again later.',
  PAUSED: 'Activity is paused at the moment. Please try again later.'
};
