/**
 * Values as a person reads them: `toLabel(field)` answers a picklist's labels instead of its
 * API values, `FORMAT(field)` a number, currency, date or time in the user's locale, "as it
 * appears in the Salesforce Classic user interface" (SOQL reference: sforce_api_calls_soql_
 * select_tolabel.htm and sforce_api_calls_soql_select_format.htm under
 * developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/).
 *
 * The emulator's org and users have the en_US locale, the GMT time zone and USD as the only
 * currency, so FORMAT writes what the reference shows for such an org: `$44,000.00` for a
 * currency, `4/10/2025, 3:31 PM` for a dateTime, `12/28/2015` for a date; numbers keep the
 * field's decimal places and group thousands with commas.
 */
import type { FieldDescribe, FieldType } from '../model.ts';
import { MS_PER_DAY, toDay, toEpochMs } from './instants.ts';

/**
 * A picklist value's label (each value of a multi-select one). A value the picklist does not
 * define (unrestricted picklists keep any value) and any other field's value stay as stored.
 */
export function picklistLabel(field: FieldDescribe, value: unknown): unknown {
  if (typeof value !== 'string' || field.picklistValues.length === 0) return value;
  const label = (item: string): string =>
    field.picklistValues.find((entry) => entry.value === item)?.label ?? item;
  return field.type === 'multipicklist' ? value.split(';').map(label).join(';') : label(value);
}

function clock(hours: number, minutes: number): string {
  const hour12 = hours % 12 === 0 ? 12 : hours % 12;
  return `${hour12}:${String(minutes).padStart(2, '0')} ${hours < 12 ? 'AM' : 'PM'}`;
}

function monthDayYear(date: Date): string {
  return `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()}`;
}

function decimal(value: number, scale: number): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: scale,
    maximumFractionDigits: scale
  });
}

/**
 * A value of a field of `type` (with `scale` decimal places) formatted for en_US; values of
 * types FORMAT() does not format (text, picklists, booleans...) come back as they are.
 */
export function formatForDisplay(type: FieldType, scale: number, value: unknown): unknown {
  if (value === null || value === undefined || value === '') return null;
  switch (type) {
    case 'int':
    case 'double':
    case 'percent':
    case 'currency': {
      const number = Number(value);
      if (Number.isNaN(number)) return value;
      const digits = type === 'int' ? 0 : scale;
      if (type === 'percent') return `${decimal(number, digits)}%`;
      if (type !== 'currency') return decimal(number, digits);
      return `${number < 0 ? '-' : ''}$${decimal(Math.abs(number), digits)}`;
    }
    case 'date': {
      const day = toDay(value);
      return day === null ? value : monthDayYear(new Date(day * MS_PER_DAY));
    }
    case 'datetime': {
      const ms = toEpochMs(value);
      if (ms === null) return value;
      const date = new Date(ms);
      return `${monthDayYear(date)}, ${clock(date.getUTCHours(), date.getUTCMinutes())}`;
    }
    case 'time': {
      const match = /^(\d{2}):(\d{2})/.exec(String(value));
      return match ? clock(Number(match[1]), Number(match[2])) : value;
    }
    default:
      return value;
  }
}
