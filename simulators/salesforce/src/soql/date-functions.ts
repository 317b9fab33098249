/**
 * SOQL date functions (`CALENDAR_YEAR(CreatedDate)`, `DAY_ONLY(CreatedDate)`...), usable in
 * SELECT and GROUP BY of aggregate queries, in WHERE, HAVING and ORDER BY. Definitions from the
 * SOQL reference's "Date Functions" page (developer.salesforce.com/docs/platform/
 * salesforce-soql-sosl/guide/sforce-api-calls-soql-select-date-functions.html): DAY_IN_WEEK
 * counts from 1 for Sunday, WEEK_IN_YEAR and WEEK_IN_MONTH count 7-day blocks from the 1st (1
 * for January 1 through January 7), DAY_ONLY and HOUR_IN_DAY take dateTime fields only. The
 * client APIs return them in UTC (the reference: "SOQL queries in a client application return
 * dateTime field values as UTC values"), and convertTimezone() asks for the user's zone, which
 * for the emulator's users is GMT as well.
 * The org's fiscal year starts in January, so the FISCAL_ functions equal the calendar ones
 * (as date-literals.ts assumes for THIS_FISCAL_YEAR...).
 */
import type { DateFunction } from '../../../../toolkit/src/soql/date-function-names.ts';
import type { FieldType } from '../model.ts';
import { MS_PER_DAY } from './instants.ts';

export {
  isDateFunction,
  type DateFunction
} from '../../../../toolkit/src/soql/date-function-names.ts';

/** DAY_ONLY gives a date; every other date function a number. */
export function dateFunctionKind(fn: DateFunction): 'date' | 'number' {
  return fn === 'DAY_ONLY' ? 'date' : 'number';
}

/** Whether `fn` applies to a field of this type (DAY_ONLY and HOUR_IN_DAY need a time of day). */
export function appliesTo(fn: DateFunction, type: FieldType): boolean {
  if (fn === 'DAY_ONLY' || fn === 'HOUR_IN_DAY') return type === 'datetime';
  return type === 'date' || type === 'datetime';
}

/** The function's value for the instant `epochMs` (a date is its UTC midnight). */
export function applyDateFunction(fn: DateFunction, epochMs: number): number | string {
  const date = new Date(epochMs);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  const dayInYear = Math.floor((epochMs - Date.UTC(year, 0, 1)) / MS_PER_DAY) + 1;
  switch (fn) {
    case 'CALENDAR_MONTH':
    case 'FISCAL_MONTH':
      return month;
    case 'CALENDAR_QUARTER':
    case 'FISCAL_QUARTER':
      return Math.ceil(month / 3);
    case 'CALENDAR_YEAR':
    case 'FISCAL_YEAR':
      return year;
    case 'DAY_IN_MONTH':
      return day;
    case 'DAY_IN_WEEK':
      return date.getUTCDay() + 1;
    case 'DAY_IN_YEAR':
      return dayInYear;
    case 'DAY_ONLY':
      return date.toISOString().slice(0, 10);
    case 'HOUR_IN_DAY':
      return date.getUTCHours();
    case 'WEEK_IN_MONTH':
      return Math.ceil(day / 7);
    case 'WEEK_IN_YEAR':
      return Math.ceil(dayInYear / 7);
  }
}
