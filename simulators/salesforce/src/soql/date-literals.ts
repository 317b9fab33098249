/**
 * SOQL date literals (TODAY, LAST_N_DAYS:30, THIS_MONTH...) as ranges of whole UTC days,
 * computed from the emulator clock at run time (so advancing the clock moves them). Ranges
 * follow Salesforce's definitions: LAST_N_DAYS:n includes today (LAST_N_DAYS:1 is yesterday
 * and today), NEXT_N_DAYS:n starts tomorrow, weeks start on Sunday (the en_US locale), fiscal
 * periods are calendar periods (an org whose fiscal year starts in January). Which names are
 * date literals is the parser's knowledge (toolkit/src/soql/date-literal-names.ts).
 */

/** Inclusive range of days, as days since 1970-01-01 (UTC). */
export interface DayRange {
  firstDay: number;
  lastDay: number;
}

const MS_PER_DAY = 86_400_000;

/** Days since the epoch of a `YYYY-MM-DD` (or ISO datetime: its UTC day). */
export function dayNumber(year: number, month0: number, day: number): number {
  return Math.floor(Date.UTC(year, month0, day) / MS_PER_DAY);
}

export function dayStartMs(day: number): number {
  return day * MS_PER_DAY;
}

/** First day of the month `offset` months from (year, month0). */
function monthStart(year: number, month0: number, offset: number): number {
  return dayNumber(year, month0 + offset, 1);
}

/** The range of months [from, to] relative to the current one (0 = this month). */
function months(year: number, month0: number, from: number, to: number): DayRange {
  return {
    firstDay: monthStart(year, month0, from),
    lastDay: monthStart(year, month0, to + 1) - 1
  };
}

function quarters(year: number, month0: number, from: number, to: number): DayRange {
  const quarterMonth = month0 - (month0 % 3);
  return months(year, quarterMonth, from * 3, to * 3 + 2);
}

function years(year: number, from: number, to: number): DayRange {
  return { firstDay: dayNumber(year + from, 0, 1), lastDay: dayNumber(year + to + 1, 0, 1) - 1 };
}

/** The days a date literal covers at instant `now` (UTC). */
export function dateLiteralRange(name: string, n: number | undefined, now: Date): DayRange {
  const year = now.getUTCFullYear();
  const month0 = now.getUTCMonth();
  const today = dayNumber(year, month0, now.getUTCDate());
  // Sunday is the first day of the week in the en_US locale.
  const weekStart = today - now.getUTCDay();
  const k = n ?? 0;
  const days = (first: number, last: number): DayRange => ({ firstDay: first, lastDay: last });
  const weeks = (from: number, to: number): DayRange =>
    days(weekStart + 7 * from, weekStart + 7 * to + 6);

  switch (name.toUpperCase().replace('_FISCAL', '')) {
    case 'YESTERDAY':
      return days(today - 1, today - 1);
    case 'TODAY':
      return days(today, today);
    case 'TOMORROW':
      return days(today + 1, today + 1);
    case 'LAST_WEEK':
      return weeks(-1, -1);
    case 'THIS_WEEK':
      return weeks(0, 0);
    case 'NEXT_WEEK':
      return weeks(1, 1);
    case 'LAST_MONTH':
      return months(year, month0, -1, -1);
    case 'THIS_MONTH':
      return months(year, month0, 0, 0);
    case 'NEXT_MONTH':
      return months(year, month0, 1, 1);
    case 'LAST_90_DAYS':
      return days(today - 90, today);
    case 'NEXT_90_DAYS':
      return days(today + 1, today + 90);
    case 'LAST_N_DAYS':
      return days(today - k, today);
    case 'NEXT_N_DAYS':
      return days(today + 1, today + k);
    case 'N_DAYS_AGO':
      return days(today - k, today - k);
    case 'LAST_N_WEEKS':
      return weeks(-k, -1);
    case 'NEXT_N_WEEKS':
      return weeks(1, k);
    case 'N_WEEKS_AGO':
      return weeks(-k, -k);
    case 'LAST_N_MONTHS':
      return months(year, month0, -k, -1);
    case 'NEXT_N_MONTHS':
      return months(year, month0, 1, k);
    case 'N_MONTHS_AGO':
      return months(year, month0, -k, -k);
    case 'THIS_QUARTER':
      return quarters(year, month0, 0, 0);
    case 'LAST_QUARTER':
      return quarters(year, month0, -1, -1);
    case 'NEXT_QUARTER':
      return quarters(year, month0, 1, 1);
    case 'LAST_N_QUARTERS':
      return quarters(year, month0, -k, -1);
    case 'NEXT_N_QUARTERS':
      return quarters(year, month0, 1, k);
    case 'N_QUARTERS_AGO':
      return quarters(year, month0, -k, -k);
    case 'THIS_YEAR':
      return years(year, 0, 0);
    case 'LAST_YEAR':
      return years(year, -1, -1);
    case 'NEXT_YEAR':
      return years(year, 1, 1);
    case 'LAST_N_YEARS':
      return years(year, -k, -1);
    case 'NEXT_N_YEARS':
      return years(year, 1, k);
    case 'N_YEARS_AGO':
      return years(year, -k, -k);
    default:
      throw new RangeError(`Unknown date literal ${name}`);
  }
}
