/**
 * The names of SOQL's date functions (CALENDAR_YEAR(CloseDate), DAY_ONLY(CreatedDate)...): what
 * a check of a query needs to recognise them (the Finance export refuses them in GROUP BY). What
 * each computes is the org emulator's business (simulators/salesforce/src/soql/date-functions.ts).
 */
export const DATE_FUNCTIONS = [
  'CALENDAR_MONTH',
  'CALENDAR_QUARTER',
  'CALENDAR_YEAR',
  'DAY_IN_MONTH',
  'DAY_IN_WEEK',
  'DAY_IN_YEAR',
  'DAY_ONLY',
  'FISCAL_MONTH',
  'FISCAL_QUARTER',
  'FISCAL_YEAR',
  'HOUR_IN_DAY',
  'WEEK_IN_MONTH',
  'WEEK_IN_YEAR'
] as const;

export type DateFunction = (typeof DATE_FUNCTIONS)[number];

const NAMES: ReadonlySet<string> = new Set(DATE_FUNCTIONS);

/** Whether `name` (upper-cased) is a date function. */
export function isDateFunction(name: string): name is DateFunction {
  return NAMES.has(name);
}
