/**
 * JSON as an org writes it. Salesforce serialises double, currency and percent fields from Java
 * doubles, so they always carry a decimal point and, from 10^7 up (or below 10^-3), Java's
 * scientific form: `100.0`, `1234.5`, `1.0E7` (Double.toString). JavaScript writes `100` and
 * `10000000`; a client that tells integers from decimals by the text (a typed JSON binding, a
 * schema validator, Python's json) sees a different type. Values of those fields are wrapped in
 * JavaDouble where records are rendered, and the REST reply serializer writes them Java's way.
 */
import { randomBytes } from 'node:crypto';
import type { FieldDescribe } from './model.ts';

// A marker no JSON string of the API contains: a control character plus a random tag.
const TAG = `\u0001jd${randomBytes(6).toString('hex')}:`;
const ESCAPED_TAG = JSON.stringify(TAG).slice(1, -1);
const PLACEHOLDER = new RegExp(`"${ESCAPED_TAG.replace(/\\/g, '\\\\')}([^"]+)"`, 'g');

export class JavaDouble {
  constructor(readonly value: number) {}
  /** Arithmetic and Number() on a rendered row still see the number. */
  valueOf(): number {
    return this.value;
  }
  /**
   * A placeholder string that stringifyJavaJson turns into the bare Java text. toJSON (not a
   * replacer function) keeps JSON.stringify on its fast path for every other value.
   */
  toJSON(): number | string {
    return Number.isFinite(this.value) ? `${TAG}${javaDoubleText(this.value)}` : this.value;
  }
}

const DOUBLE_TYPES = new Set(['double', 'currency', 'percent']);

/** A field's API value, wrapped when the org writes it as a Java double. */
export function apiValue(field: FieldDescribe, value: unknown): unknown {
  return typeof value === 'number' && DOUBLE_TYPES.has(field.type) ? new JavaDouble(value) : value;
}

/** Java's Double.toString for a finite number. */
export function javaDoubleText(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const text = String(value);
    return text.includes('.') ? text : `${text}.0`;
  }
  // JavaScript's shortest round-trip digits are Java's (JDK 19+); only the layout differs.
  const [mantissa = '0', exponent = '0'] = value.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/**
 * JSON.stringify, with JavaDouble values written as Java writes doubles. The HTTP app's reply
 * serializer (every route), so no placeholder can reach a client.
 */
export function stringifyJavaJson(payload: unknown): string {
  const text = JSON.stringify(payload);
  return text !== undefined && text.includes(ESCAPED_TAG) ? text.replace(PLACEHOLDER, '$1') : text;
}

/**
 * JSON.parse that keeps the doubles of an API answer: a number written with a decimal point or
 * an exponent comes back as a JavaDouble, so an answer read back (composite subrequests) is
 * written again as it was sent. Other values parse as JSON.parse parses them.
 */
export function parseJavaJson(text: string): unknown {
  let marked = '';
  let copiedUpTo = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    if (c !== '-' && (c < '0' || c > '9')) continue;
    let end = i + 1;
    while (end < text.length && /[\d.eE+-]/.test(text.charAt(end))) end++;
    const token = text.slice(i, end);
    if (/[.eE]/.test(token)) {
      marked += `${text.slice(copiedUpTo, i)}"${ESCAPED_TAG}${token}"`;
      copiedUpTo = end;
    }
    i = end - 1;
  }
  if (copiedUpTo === 0) return JSON.parse(text) as unknown;
  marked += text.slice(copiedUpTo);
  return JSON.parse(marked, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(TAG)
      ? new JavaDouble(Number(value.slice(TAG.length)))
      : value
  ) as unknown;
}
