// GET /activity/users/:userId/summary and GET /activity/users/:userId/series (ActivityContract.json):
// what ActivityController (Apex) calls through the Activity_API Named Credential, always for the
// running portal user's own Contact.Fitness_User_Id__c. Bearer auth by the platform, narrowed to
// ACTIVITY_API_TOKENS (api-tokens.ts). Two primary-key reads per request (activity-queries.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type pg from 'pg';
import { HttpError, jsonResponse } from '../platform/index.ts';
import { daysBetween, findUser, hoursOfDay } from './activity-queries.ts';
import type { ActivityUser, Queryable } from './activity-queries.ts';
import { dailySeriesView, hourlySeriesView, PERIOD_DAYS, summaryView } from './activity-views.ts';
import { seriesBody, seriesQuery, summaryBody, summaryQuery, userParams } from './api-schemas.ts';
import { activityTokenCheck } from './api-tokens.ts';
import { addDays, localDate } from './local-date.ts';
import { isTimeZone } from './time-zone.ts';

export interface ActivityApiRoutesOptions extends Record<string, unknown> {
  pool: pg.Pool | Queryable;
  /**
   * ACTIVITY_API_TOKENS: the bearer tokens that may read activity (each must also be in
   * SERVICE_API_TOKENS, checked first by the platform). Empty: none may.
   */
  tokens: readonly string[];
  /** The clock that decides "today" (tests). */
  now?: () => Date;
}

const ERRORS = {
  403: '`forbidden`: the bearer token is not one of ACTIVITY_API_TOKENS.',
  404: '`not_found`: no fitness user with this id.',
  409: "`time_zone_invalid`: the user's stored time zone is not a valid IANA zone; register the user again (PUT /activity/users/{userId}) with one."
};

export async function activityApiRoutes(
  app: FastifyInstance,
  options: ActivityApiRoutesOptions
): Promise<void> {
  const { pool } = options;
  const now = options.now ?? (() => new Date());
  const mayRead = activityTokenCheck(options.tokens);
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.addHook('onRequest', async (request) => {
    if (!mayRead(request)) {
      request.log.warn(
        { principal: request.principal?.tokenId },
        'activity read refused: token not in ACTIVITY_API_TOKENS'
      );
      throw new HttpError(403, 'forbidden', 'This token may not read activity.');
    }
  });

  const user = async (request: FastifyRequest, userId: string): Promise<ActivityUser> => {
    const found = await findUser(pool, userId);
    // The id is not echoed: nothing of the request comes back in an error body.
    if (!found) throw new HttpError(404, 'not_found', 'No fitness user with this id.');
    // Registration and migration 0009 refuse such zones; one stored before them (or written
    // around them) decides no day: guessing UTC would show the user another day's activity as
    // today's. 409: the user's record is in a state the request cannot be answered from, and
    // registering the user again with a valid zone fixes it (not a 500: nothing here failed).
    if (!isTimeZone(found.timeZone)) {
      request.log.error(
        { userId: found.userId },
        'activity read refused: the stored time zone of the user is not a valid IANA zone'
      );
      throw new HttpError(
        409,
        'time_zone_invalid',
        "The user's stored time zone is not valid; register the user again with an IANA zone."
      );
    }
    return found;
  };

  routes.get(
    '/activity/users/:userId/summary',
    {
      config: { errorResponses: ERRORS },
      schema: {
        operationId: 'getActivitySummary',
        summary: "A user's activity of one day (default: today in their time zone)",
        tags: ['activity'],
        params: userParams,
        querystring: summaryQuery,
        response: { 200: jsonResponse(summaryBody, "The day's totals (zeros without activity).") }
      }
    },
    async (request) => {
      const found = await user(request, request.params.userId);
      const date = request.query.date ?? localDate(now(), found.timeZone);
      const [day] = await daysBetween(pool, found.userId, date, date);
      return summaryView(found, date, day);
    }
  );

  routes.get(
    '/activity/users/:userId/series',
    {
      config: { errorResponses: ERRORS },
      schema: {
        operationId: 'getActivitySeries',
        summary: "A user's activity over a day (hourly), a week or 30 days (daily)",
        tags: ['activity'],
        params: userParams,
        querystring: seriesQuery,
        response: {
          200: jsonResponse(
            seriesBody,
            'day: one point per hour of the local day; week: 7 and month: 30 daily points ending on `end`. Zero points (heart rate null) where nothing was recorded.'
          )
        }
      }
    },
    async (request) => {
      const found = await user(request, request.params.userId);
      const { period } = request.query;
      const end = request.query.end ?? localDate(now(), found.timeZone);
      if (period === 'day') {
        return hourlySeriesView(found, await hoursOfDay(pool, found.userId, end, found.timeZone));
      }
      const from = addDays(end, -(PERIOD_DAYS[period] - 1));
      return dailySeriesView(found, period, end, await daysBetween(pool, found.userId, from, end));
    }
  );
}
