/**
 * BackCheck's identifiers: `bck_` (checks) or `evt_` (callback events) and 26 characters of
 * Crockford base 32 (the ULID alphabet, lower case), random: 130 bits, never reused.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export const REFERENCE_PATTERN = /^bck_[0-9a-hjkmnp-tv-z]{26}$/;
export const EVENT_ID_PATTERN = /^evt_[0-9a-hjkmnp-tv-z]{26}$/;

function random26(): string {
  const bytes = randomBytes(26);
  let out = '';
  for (const byte of bytes) out += ALPHABET.charAt(byte & 31);
  return out;
}

export const newReference = () => `bck_${random26()}`;
export const newEventId = () => `evt_${random26()}`;
