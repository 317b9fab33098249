/**
 * Salesforce record ids.
 *
 * A 15-character id is case-sensitive: a 3-character key prefix (the object), 2 pod/instance
 * characters, 1 reserved character and a 9-character base-62 number. The 18-character form
 * appends a 3-character checksum that encodes, for each 5-character chunk, which characters are
 * upper-case letters, so the id survives case-insensitive systems (spreadsheets, SOAP clients).
 *
 * The emulator mints ids with recognisable pod characters so it can tell its own kinds apart:
 * `Em` for stored records (the 9 characters are a sequence number) and `Gn` for rows of
 * generated datasets (2 characters of dataset number, 7 of row index), which lets getById find a
 * generated row without storing it.
 */

import { fromBase62, toBase62 } from '../../../toolkit/src/base62.ts';

const CHECKSUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const ID_15 = /^[a-zA-Z0-9]{15}$/;
const ID_18 = /^[a-zA-Z0-9]{18}$/;

const STORED_POD = 'Em';
const GENERATED_POD = 'Gn';
const RESERVED = '0';

/** The largest sequence number that fits the 9 base-62 characters of a stored-record id. */
const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;
const MAX_DATASET = 62 ** 2 - 1;
const MAX_GENERATED_INDEX = 62 ** 7 - 1;

/** The 3-character suffix of the 18-character form of a 15-character id. */
export function checksum(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let flags = 0;
    for (let i = 0; i < 5; i++) {
      const char = id15.charAt(chunk * 5 + i);
      if (char >= 'A' && char <= 'Z') flags |= 1 << i;
    }
    suffix += CHECKSUM_ALPHABET.charAt(flags);
  }
  return suffix;
}

/** 15 -> 18 characters. An 18-character id is checked and returned in its canonical form. */
export function to18(id: string): string {
  const normalized = normalizeId(id);
  if (normalized === undefined) throw new TypeError(`Not a Salesforce id: ${JSON.stringify(id)}`);
  return normalized;
}

/** The case-sensitive 15-character form. */
export function to15(id: string): string {
  return id.slice(0, 15);
}

/**
 * True for a well-formed 15-character id, or an 18-character id whose checksum matches its
 * first 15 characters (the suffix itself is compared case-insensitively).
 */
export function isValidId(id: unknown): id is string {
  if (typeof id !== 'string') return false;
  if (ID_15.test(id)) return true;
  if (!ID_18.test(id)) return false;
  return checksum(id.slice(0, 15)) === id.slice(15).toUpperCase();
}

/**
 * The first 15 characters with their case restored from the checksum, for an 18-character id
 * that went through a case-folding system (`001d000000iqhslIAZ`): what the checksum is for.
 */
function restoreCase(id18: string): string | undefined {
  const head = id18.slice(0, 15);
  if (head !== head.toLowerCase() && head !== head.toUpperCase()) return undefined;
  let restored = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    const flags = CHECKSUM_ALPHABET.indexOf(id18.charAt(15 + chunk).toUpperCase());
    if (flags < 0) return undefined;
    for (let i = 0; i < 5; i++) {
      const char = head.charAt(chunk * 5 + i);
      const upper = (flags & (1 << i)) !== 0;
      if (upper && !/[a-zA-Z]/.test(char)) return undefined;
      restored += upper ? char.toUpperCase() : char.toLowerCase();
    }
  }
  return restored;
}

/**
 * The canonical 18-character form of a 15- or 18-character id, or undefined when it is not a
 * valid id. Use it wherever ids are compared: a 15-character id and its 18-character form name
 * the same record, and an all-lower/upper-case 18-character id is repaired from its checksum.
 */
export function normalizeId(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined;
  if (ID_15.test(id)) return id + checksum(id);
  if (!ID_18.test(id)) return undefined;
  const head = id.slice(0, 15);
  const suffix = checksum(head);
  if (suffix === id.slice(15).toUpperCase()) return head + suffix;
  const restored = restoreCase(id);
  return restored === undefined ? undefined : restored + checksum(restored);
}

/** A stored record's id: key prefix, emulator pod, base-62 sequence, checksum. */
export function newId(keyPrefix: string, sequence: number): string {
  if (!/^[a-zA-Z0-9]{3}$/.test(keyPrefix)) throw new TypeError(`Bad key prefix ${keyPrefix}`);
  if (!Number.isSafeInteger(sequence) || sequence < 0 || sequence > MAX_SEQUENCE) {
    throw new RangeError(`Bad id sequence ${sequence}`);
  }
  return to18(keyPrefix + STORED_POD + RESERVED + toBase62(sequence, 9));
}

/** The id of row `index` of generated dataset `dataset` (deterministic, never stored). */
export function generatedId(keyPrefix: string, dataset: number, index: number): string {
  if (dataset < 0 || dataset > MAX_DATASET) throw new RangeError(`Bad dataset number ${dataset}`);
  if (index < 0 || index > MAX_GENERATED_INDEX) throw new RangeError(`Bad row index ${index}`);
  // Built from known-good parts, so no validation pass (a scan mints millions of these).
  const id15 = keyPrefix + GENERATED_POD + RESERVED + toBase62(dataset, 2) + toBase62(index, 7);
  return id15 + checksum(id15);
}

export type ParsedId =
  | { kind: 'stored'; keyPrefix: string; sequence: number }
  | { kind: 'generated'; keyPrefix: string; dataset: number; index: number }
  | { kind: 'foreign'; keyPrefix: string };

/** What an id minted by this emulator encodes; `foreign` for any other valid id. */
export function parseId(id: string): ParsedId | undefined {
  if (!isValidId(id)) return undefined;
  const keyPrefix = id.slice(0, 3);
  const pod = id.slice(3, 5);
  if (pod === STORED_POD && id.charAt(5) === RESERVED) {
    const sequence = fromBase62(id.slice(6, 15));
    if (sequence !== undefined) return { kind: 'stored', keyPrefix, sequence };
  }
  if (pod === GENERATED_POD && id.charAt(5) === RESERVED) {
    const dataset = fromBase62(id.slice(6, 8));
    const index = fromBase62(id.slice(8, 15));
    if (dataset !== undefined && index !== undefined) {
      return { kind: 'generated', keyPrefix, dataset, index };
    }
  }
  return { kind: 'foreign', keyPrefix };
}

/** `00D000000000001EAA`: the emulator's default organization id. */
export const DEFAULT_ORGANIZATION_ID = to18('00D000000000001');

/** The key prefix of `Profile` ids (ProfileId on User); Profile itself is not emulated. */
export const PROFILE_KEY_PREFIX = '00e';
