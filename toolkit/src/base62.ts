// Base-62 numbers (digits, upper-case, lower-case letters), as Salesforce writes the variable
// parts of record ids and key prefixes. Shared by the org emulator's ids and the schema model's
// key prefixes.

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `value` in exactly `width` base-62 characters, zero-padded; RangeError when it does not fit. */
export function toBase62(value: number, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0) {
    out = BASE62.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  }
  if (out.length > width) throw new RangeError(`${value} does not fit ${width} base-62 characters`);
  return out.padStart(width, '0');
}

/** The number `text` spells in base 62, or undefined when it holds another character. */
export function fromBase62(text: string): number | undefined {
  let value = 0;
  for (const char of text) {
    const digit = BASE62.indexOf(char);
    if (digit < 0) return undefined;
    value = value * 62 + digit;
  }
  return value;
}
