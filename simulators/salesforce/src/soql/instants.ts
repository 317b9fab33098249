/**
 * Stored dates and datetimes as numbers: datetimes (`2026-11-29T03:00:00.000+0000`, as the REST
 * API writes them) as epoch milliseconds, dates (`2026-11-29`) as days since 1970-01-01. Filters,
 * sorts, date functions and FORMAT() all read them through here, in UTC.
 */
import { parseDateTimeLiteral } from '../../../../toolkit/src/soql/parser.ts';

export const MS_PER_DAY = 86_400_000;

function digits(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (text.charCodeAt(i) - 48);
  return value;
}

/**
 * Stored datetimes are almost always `2026-11-29T03:00:00.000+0000` (or `...000Z`): read those
 * without a regular expression, since filters on a million-row scan parse one per row.
 */
function storedDateTimeMs(text: string): number | undefined {
  const utc =
    (text.length === 28 && text.endsWith('+0000')) || (text.length === 24 && text.endsWith('Z'));
  if (!utc || text.charCodeAt(10) !== 84 || text.charCodeAt(19) !== 46) return undefined;
  return Date.UTC(
    digits(text, 0, 4),
    digits(text, 5, 7) - 1,
    digits(text, 8, 10),
    digits(text, 11, 13),
    digits(text, 14, 16),
    digits(text, 17, 19),
    digits(text, 20, 23)
  );
}

export function toEpochMs(value: unknown): number | null {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return null;
  const fast = storedDateTimeMs(value);
  if (fast !== undefined && !Number.isNaN(fast)) return fast;
  const parsed = parseDateTimeLiteral(value);
  if (!Number.isNaN(parsed)) return parsed;
  const fallback = Date.parse(value);
  return Number.isNaN(fallback) ? null : fallback;
}

export function toDay(value: unknown): number | null {
  const ms =
    value instanceof Date ? value.getTime() : toEpochMs(String(value).slice(0, 10) + 'T00:00:00Z');
  return ms === null ? null : Math.floor(ms / MS_PER_DAY);
}
