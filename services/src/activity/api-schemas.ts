// Request and response schemas of the Activity REST API (ActivityContract.json, the static
// resource the Apex tests mock the callout with). Key order is the contract's: the serializer
// writes the fields in the order declared here.
import { z } from 'zod';
import { isCalendarDate } from './local-date.ts';

/** The user id format of activity_users (its CHECK constraint). */
export const USER_ID = /^[A-Za-z0-9_-]{3,64}$/;

export const userParams = z.object({
  userId: z
    .string()
    .regex(USER_ID, 'must be 3 to 64 letters, digits, `_` or `-`')
    .meta({ description: 'The fitness user id (Contact.Fitness_User_Id__c).' })
});

/**
 * Days the API serves: from 1970 (nothing older exists) to 9999-12-30, so that every day the
 * queries compute (a series' first day, the day after `end` that bounds an hourly series) is a
 * day of the years 0001-9999 that both JavaScript's ISO dates and PostgreSQL write and read.
 */
export const FIRST_SERVED_DAY = '1970-01-01';
export const LAST_SERVED_DAY = '9999-12-30';
const servedDay = (value: string) =>
  isCalendarDate(value) && value >= FIRST_SERVED_DAY && value <= LAST_SERVED_DAY;

const calendarDate = z
  .string()
  .refine(
    servedDay,
    `must be a calendar date YYYY-MM-DD from ${FIRST_SERVED_DAY} to ${LAST_SERVED_DAY}`
  )
  .meta({ description: "A day of the user's time zone, YYYY-MM-DD." });

export const summaryQuery = z.object({ date: calendarDate.optional() }).strict();

export const PERIODS = ['day', 'week', 'month'] as const;
export type Period = (typeof PERIODS)[number];

export const seriesQuery = z
  .object({
    period: z.enum(PERIODS, 'must be day, week or month'),
    end: calendarDate
      .optional()
      .meta({ description: "The last day of the series (default: today in the user's zone)." })
  })
  .strict();

const nullableInt = z.number().int().nullable();

export const summaryBody = z
  .object({
    userId: z.string(),
    date: z.string().meta({ description: "The day, in the user's time zone." }),
    timeZone: z.string().meta({ description: 'IANA time zone of the user.' }),
    steps: z.number().int(),
    calories: z.number().meta({ description: 'kcal, one decimal.' }),
    activeMinutes: z.number().meta({ description: 'One decimal.' }),
    heartRate: z.object({ average: nullableInt, min: nullableInt, max: nullableInt }).meta({
      description: 'Whole bpm; null when no reading of the day carried a heart rate.'
    }),
    readings: z.number().int(),
    goal: z.object({ steps: z.number().int(), reached: z.boolean() }),
    updatedAt: z
      .string()
      .nullable()
      .meta({ description: 'When the day last changed; null without activity.' })
  })
  .meta({ id: 'ActivitySummary' });

export const seriesPoint = z.object({
  start: z.string().meta({
    description: "week/month: the day (YYYY-MM-DD); day: the hour's first instant (ISO 8601, UTC)."
  }),
  steps: z.number().int(),
  calories: z.number(),
  activeMinutes: z.number(),
  heartRateAverage: nullableInt
});

export const seriesBody = z
  .object({
    userId: z.string(),
    period: z.enum(PERIODS),
    timeZone: z.string(),
    points: z.array(seriesPoint)
  })
  .meta({ id: 'ActivitySeries' });

export type SummaryBody = z.output<typeof summaryBody>;
export type SeriesBody = z.output<typeof seriesBody>;
export type SeriesPoint = z.output<typeof seriesPoint>;
