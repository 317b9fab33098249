/**
 * Field values as the API stores and returns them. Incoming JSON values are coerced the way
 * Salesforce's deserializer accepts them (numeric strings for numbers, "true"/"false" for
 * checkboxes, 15- or 18-character ids) and normalised to the stored form:
 *
 * - date: `YYYY-MM-DD`
 * - datetime: `YYYY-MM-DDTHH:mm:ss.000+0000` in UTC (Salesforce keeps seconds, not milliseconds)
 * - time: `HH:mm:ss.SSSZ`
 * - reference: the 18-character id
 * - numbers rounded to the field's scale; booleans never null (null -> false)
 * - empty strings -> null (the platform stores no empty text)
 */
import type { FieldDescribe } from '../model.ts';
import { normalizeId } from '../ids.ts';
import { writeErrors } from './errors.ts';

/** `2026-11-29T03:00:00.000+0000`: a datetime as the REST API returns it (second precision). */
export function formatDatetime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}.000+0000`;
}

/** `2026-11-29`: the UTC calendar date of an instant. */
export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** What the platform accepts as an email: something@domain.tld without spaces. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function validCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `YYYY-MM-DD` when it names a real calendar day, else undefined. */
export function parseDate(text: string): string | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  return validCalendarDate(y, m, d) ? text : undefined;
}

/**
 * An ISO-8601 datetime (`2026-11-29T03:00:00Z`, `...+01:00`, `...+0100`, with or without
 * seconds/fraction; no zone means UTC; a bare date means its midnight UTC) -> the instant.
 * A space instead of the `T` is rejected, as Salesforce rejects `2017-10-17 00:00:00`.
 */
export function parseDatetime(text: string): Date | undefined {
  if (text.includes(' ')) return undefined;
  const match = DATETIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '0', zone = 'Z'] = match;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)];
  if (!validCalendarDate(year, month, day) || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const zoneHours = Number(digits.slice(0, 2));
    const zoneMinutes = Number(digits.slice(2) || '0');
    if (zoneHours > 14 || zoneMinutes > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  }
  const ms = Number(`0.${fraction}`) * 1000;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  return new Date(utc);
}

function toText(field: FieldDescribe, value: unknown): string | null {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw writeErrors.wrongType(field, 'string', value);
  return value === '' ? null : value;
}

function toNumber(field: FieldDescribe, value: unknown, typeName: string): number {
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string' && NUMBER.test(value.trim())) number = Number(value.trim());
  else throw writeErrors.wrongType(field, typeName, value);
  if (!Number.isFinite(number)) throw writeErrors.wrongType(field, typeName, value);
  return number;
}

/** Rounds to the field's scale and rejects more integer digits than precision - scale allows. */
function fitNumber(field: FieldDescribe, number: number): number {
  const rounded = Number(number.toFixed(Math.min(Math.max(field.scale, 0), 100)));
  if (field.precision > 0) {
    const integerDigits = field.precision - field.scale;
    if (Math.abs(Math.trunc(rounded)) >= 10 ** integerDigits) {
      throw writeErrors.numberOutOfRange(field, number);
    }
  }
  return rounded;
}

function checkLength(field: FieldDescribe, text: string): void {
  // Length counts characters (code points), not UTF-16 units.
  if (field.length > 0 && text.length > field.length && [...text].length > field.length) {
    throw writeErrors.stringTooLong(field, text);
  }
}

function checkPicklist(field: FieldDescribe, value: string): void {
  if (!field.restrictedPicklist) return;
  const allowed = field.picklistValues.some((entry) => entry.active && entry.value === value);
  if (!allowed) throw writeErrors.restrictedPicklist(field, value);
}

function coerceBoolean(field: FieldDescribe, value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) {
    return value.toLowerCase() === 'true';
  }
  throw writeErrors.wrongType(field, 'boolean', value);
}

function coerceText(field: FieldDescribe, value: unknown): string | null {
  const text = toText(field, value);
  if (text !== null) checkLength(field, text);
  return text;
}

function coerceEmail(field: FieldDescribe, value: unknown): string | null {
  const text = toText(field, value);
  if (text === null) return null;
  checkLength(field, text);
  if (!EMAIL.test(text)) throw writeErrors.invalidEmail(field, text);
  return text;
}

function coercePicklist(field: FieldDescribe, value: unknown): string | null {
  const text = toText(field, value);
  if (text === null) return null;
  checkLength(field, text);
  checkPicklist(field, text);
  return text;
}

function coerceMultipicklist(field: FieldDescribe, value: unknown): string | null {
  const text = toText(field, value);
  if (text === null) return null;
  const selected = [
    ...new Set(
      text
        .split(';')
        .map((v) => v.trim())
        .filter((v) => v !== '')
    )
  ];
  for (const entry of selected) checkPicklist(field, entry);
  const joined = selected.join(';');
  checkLength(field, joined);
  return joined === '' ? null : joined;
}

function coerceInt(field: FieldDescribe, value: unknown): number {
  const number = toNumber(field, value, 'int');
  if (!Number.isInteger(number) || Math.abs(number) > 2 ** 31 - 1) {
    throw writeErrors.wrongType(field, 'int', value);
  }
  return fitNumber(field, number);
}

function coerceTime(field: FieldDescribe, value: unknown): string {
  const match = typeof value === 'string' ? TIME.exec(value) : null;
  if (!match) throw writeErrors.wrongType(field, 'time', value);
  const [, h = '0', m = '0', s = '00', ms = '0'] = match;
  if (Number(h) > 23 || Number(m) > 59 || Number(s) > 59) {
    throw writeErrors.wrongType(field, 'time', value);
  }
  return `${h}:${m}:${s.padStart(2, '0')}.${ms.padEnd(3, '0')}Z`;
}

function coerceBase64(field: FieldDescribe, value: unknown): string {
  if (typeof value !== 'string') throw writeErrors.wrongType(field, 'base64', value);
  const compact = value.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw writeErrors.wrongType(field, 'base64', value);
  }
  return compact;
}

/**
 * The stored form of `value` for `field`, or a SalesforceApiError naming what is wrong. null
 * (or an empty string) means "no value"; checkboxes store false instead. Reference values are
 * only format-checked here: whether the record exists is the store's business.
 */
export function coerceValue(field: FieldDescribe, value: unknown): unknown {
  if (field.type === 'boolean') return coerceBoolean(field, value);
  if (value === null || value === undefined || value === '') return null;

  switch (field.type) {
    case 'string':
    case 'textarea':
    case 'phone':
    case 'url':
    case 'encryptedstring':
    case 'id':
      return coerceText(field, value);
    case 'email':
      return coerceEmail(field, value);
    case 'picklist':
      return coercePicklist(field, value);
    case 'multipicklist':
      return coerceMultipicklist(field, value);
    case 'int':
      return coerceInt(field, value);
    case 'double':
    case 'currency':
    case 'percent':
      return fitNumber(field, toNumber(field, value, 'double'));
    case 'date': {
      const date = typeof value === 'string' ? parseDate(value) : undefined;
      if (date === undefined) throw writeErrors.wrongType(field, 'date', value);
      return date;
    }
    case 'datetime': {
      const date = typeof value === 'string' ? parseDatetime(value) : undefined;
      if (date === undefined) throw writeErrors.wrongType(field, 'datetime', value);
      return formatDatetime(date);
    }
    case 'time':
      return coerceTime(field, value);
    case 'reference': {
      const id = normalizeId(value);
      if (id === undefined) throw writeErrors.malformedReference(field, value);
      return id;
    }
    case 'base64':
      return coerceBase64(field, value);
    case 'address':
    case 'location':
      // Compound fields are read-only; writes go to their component fields.
      throw writeErrors.wrongType(field, field.type, value);
    default:
      return value;
  }
}

/**
 * The key a unique / external-id index files a stored value under: case-insensitive text unless
 * the field is case-sensitive; numbers by their canonical decimal form.
 */
export function indexKey(field: FieldDescribe, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return String(value);
  const text = String(value);
  return field.caseSensitive || field.type === 'id' || field.type === 'reference'
    ? text
    : text.toLowerCase();
}
