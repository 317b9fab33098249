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
