// Salesforce record ids: 15 case-sensitive characters, or 18 with a 3-character checksum suffix
// that makes them case-insensitive. The one id rule of the project (services, simulators).

/** A 15- or 18-character Salesforce id (letters and digits). */
export const SALESFORCE_ID_PATTERN = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

export function isSalesforceId(value: unknown): value is string {
  return typeof value === 'string' && SALESFORCE_ID_PATTERN.test(value);
}

/**
 * The 15-character case-sensitive form: the 15- and 18-character ids of one record compare equal
 * on it (maps keyed by record, SOQL answers matched to requests).
 */
export function id15(id: string): string {
  return id.slice(0, 15);
}

const CHECKSUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 3-character suffix Salesforce appends to a 15-character id (one bit per upper-case letter). */
export function idChecksum(id15chars: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const code = id15chars.charCodeAt(chunk * 5 + i);
      if (code >= 65 && code <= 90) bits |= 1 << i;
    }
    suffix += CHECKSUM_ALPHABET[bits];
  }
  return suffix;
}

/**
 * A Salesforce id of the given key prefix (e.g. `005` for users): 15 characters, or 18 whose last
 * three are the checksum of the first 15. Stricter than isSalesforceId, for ids from outside.
 */
export function isSalesforceIdOf(prefix: string, value: unknown): value is string {
  if (!isSalesforceId(value) || !value.startsWith(prefix)) return false;
  return value.length === 15 || value.slice(15) === idChecksum(value.slice(0, 15));
}
