// The OData entity model: one entity type, DailyActivity, over activity_days. Each property names
// the SQL expression it reads: $select, $filter and $orderby use only these (a whitelist), so a
// request can never name a column or an expression of its own. Values are the REST API's
// (calories and active minutes to one decimal, heart rates to whole bpm): a filter compares what
// the caller sees.
import { isCalendarDate } from '../local-date.ts';

export const NAMESPACE = 'Activity';
export const ENTITY_TYPE = 'DailyActivity';
export const ENTITY_SET = 'DailyActivities';
/** Separates the user id and the day in the key: never in a user id (^[A-Za-z0-9_-]+$). */
export const KEY_SEPARATOR = '~';

export type EdmType =
  'Edm.String' | 'Edm.Date' | 'Edm.Int64' | 'Edm.Int32' | 'Edm.Double' | 'Edm.DateTimeOffset';

export interface Property {
  name: string;
  type: EdmType;
  nullable: boolean;
  /** What the property reads, on a row `d` of activity_days. */
  sql: string;
  /** The cast of a parameter compared with it. */
  cast: string;
  /** What a response reads, when not `sql` (a date as text: pg would make it a local Date). */
  out?: string;
  maxLength?: number;
}

const HEART_RATE_AVERAGE =
  'CASE WHEN d.heart_rate_count > 0 THEN round(d.heart_rate_sum::numeric / d.heart_rate_count)::integer END';

export const PROPERTIES: readonly Property[] = [
  {
    name: 'Id',
    type: 'Edm.String',
    nullable: false,
    sql: `(d.user_id || '${KEY_SEPARATOR}' || to_char(d.day, 'YYYY-MM-DD'))`,
    cast: 'text',
    maxLength: 75
  },
  {
    name: 'UserId',
    type: 'Edm.String',
    nullable: false,
    sql: 'd.user_id',
    cast: 'text',
    maxLength: 64
  },
  {
    name: 'ActivityDate',
    type: 'Edm.Date',
    nullable: false,
    sql: 'd.day',
    cast: 'date',
    out: "to_char(d.day, 'YYYY-MM-DD')"
  },
  { name: 'Steps', type: 'Edm.Int64', nullable: false, sql: 'd.steps', cast: 'bigint' },
  {
    name: 'Calories',
    type: 'Edm.Double',
    nullable: false,
    sql: 'round(d.calories::numeric, 1)::float8',
    cast: 'float8'
  },
  {
    name: 'ActiveMinutes',
    type: 'Edm.Double',
    nullable: false,
    sql: 'round(d.active_minutes::numeric, 1)::float8',
    cast: 'float8'
  },
  {
    name: 'HeartRateAverage',
    type: 'Edm.Int32',
    nullable: true,
    sql: HEART_RATE_AVERAGE,
    cast: 'integer'
  },
  {
    name: 'HeartRateMin',
    type: 'Edm.Int32',
    nullable: true,
    sql: 'd.heart_rate_min::integer',
    cast: 'integer'
  },
  {
    name: 'HeartRateMax',
    type: 'Edm.Int32',
    nullable: true,
    sql: 'd.heart_rate_max::integer',
    cast: 'integer'
  },
  { name: 'Readings', type: 'Edm.Int32', nullable: false, sql: 'd.readings', cast: 'integer' },
  {
    name: 'UpdatedAt',
    type: 'Edm.DateTimeOffset',
    nullable: false,
    sql: 'd.updated_at',
    cast: 'timestamptz'
  }
];

export const PROPERTY_BY_NAME: ReadonlyMap<string, Property> = new Map(
  PROPERTIES.map((property) => [property.name, property])
);

/** The key order: every result is ordered by it last, so pages never overlap or skip a row. */
export const KEY_ORDER = ['d.user_id', 'd.day'] as const;

/** `fit-1~2026-12-07` -> its parts, or undefined when it is not a key of this set. */
export function parseKey(key: string): { userId: string; day: string } | undefined {
  const match = /^([A-Za-z0-9_-]{3,64})~(\d{4}-\d{2}-\d{2})$/.exec(key);
  return match && isCalendarDate(match[2]!) ? { userId: match[1]!, day: match[2]! } : undefined;
}
