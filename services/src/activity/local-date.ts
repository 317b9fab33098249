// Days of a user's time zone. A user's "today" and the bounds of one of their days are computed
// here (Intl, IANA zones) so the database is asked for key ranges only: activity_days by
// (user_id, day), activity_minutes by (user_id, minute) within one day's partitions.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    // en-CA formats dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit'
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The day (YYYY-MM-DD) it is at `instant` in `timeZone`. Throws on an unknown zone. */
export function localDate(instant: Date, timeZone: string): string {
  return formatter(timeZone).format(instant);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** true for a real calendar day written YYYY-MM-DD (2026-02-30 is not). */
export function isCalendarDate(value: string): boolean {
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day
  );
}

/** `day` plus `days` (negative: earlier), YYYY-MM-DD. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
