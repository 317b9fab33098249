// Card numbers in every form one can take in a URL, a header or a log message (issue 11,
// finding 8), for property tests: 13-19 digits passing Luhn, plain, grouped by separators
// (space, dash, dot, underscore, "+", "/", the unicode dashes U+2010..U+2015 and U+2212),
// glued to letters or inside a longer digit run, with separators or digits percent-encoded.
import fc from 'fast-check';

/** The Luhn check digit that completes `body`. */
function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** A card number: 13-19 digits, not starting with 0 (no card network's), passing Luhn. */
export const pan: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 1, max: 9 }),
    fc
      .integer({ min: 13, max: 19 })
      .chain((length) =>
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length - 2, maxLength: length - 2 })
      )
  )
  .map(([first, rest]) => {
    const body = `${first}${rest.join('')}`;
    return body + luhnCheckDigit(body);
  });

const PLAIN_SEPARATORS = [
  ' ',
  '-',
  '.',
  '_',
  '+',
  '/',
  '\u2010',
  '\u2011',
  '\u2012',
  '\u2013',
  '\u2014',
  '\u2015',
  '\u2212'
];
const ENCODED_SEPARATORS = [
  '%20',
  '%2D',
  '%2d',
  '%2E',
  '%2F',
  '%2f',
  '%5F',
  '%2B',
  '%E2%80%90',
  '%E2%80%93',
  '%e2%80%94',
  '%E2%88%92'
];

export interface PanForm {
  /** The card number's digits. */
  pan: string;
  /** How it is written. */
  text: string;
}

/** A card number written in one of its forms (see the header). */
export const panForm: fc.Arbitrary<PanForm> = fc
  .record({
    pan,
    groups: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 19 }),
    separator: fc.oneof(
      fc.constant(''),
      fc.constantFrom(...PLAIN_SEPARATORS),
      fc.constantFrom(...ENCODED_SEPARATORS)
    ),
    encodeDigits: fc.boolean(),
    before: fc.oneof(
      fc.constant(''),
      fc.stringMatching(/^[a-z]{1,4}$/),
      fc.stringMatching(/^\d{1,5}$/)
    ),
    after: fc.oneof(
      fc.constant(''),
      fc.stringMatching(/^[a-z]{1,4}$/),
      fc.stringMatching(/^\d{1,5}$/)
    )
  })
  .map(({ pan: digits, groups, separator, encodeDigits, before, after }) => {
    const parts: string[] = [];
    let at = 0;
    for (const size of groups) {
      if (at >= digits.length) break;
      parts.push(digits.slice(at, at + size));
      at += size;
    }
    if (at < digits.length) parts.push(digits.slice(at));
    const written = parts
      .map((part) => (encodeDigits ? [...part].map((d) => `%3${d}`).join('') : part))
      .join(separator);
    return { pan: digits, text: `${before}${written}${after}` };
  });

// Forms no scrubber is expected to know (issue 12, finding 2): a URL path can carry any of them,
// so the services must never log a raw path. Separators of any kind and any number, digits
// wrapped in parentheses, control and no-break spaces, double percent-encoding, and digits of
// other scripts (full-width, Arabic-Indic, mathematical bold), raw or percent-encoded.
const HOSTILE_SEPARATORS = [
  ',',
  ':',
  ';',
  '~',
  '*',
  '!',
  "'",
  '%09',
  '%C2%A0',
  '%20%20%20%20',
  '%20%20%20%20%20%20',
  '::::',
  '%252D',
  '%2520'
];

type DigitWriter = (digit: string) => string;
const utf8Encoded = (char: string) =>
  [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
const scriptDigit = (zero: number) => (digit: string) => String.fromCodePoint(zero + Number(digit));
const DIGIT_WRITERS: DigitWriter[] = [
  (digit) => digit,
  // Double-encoded: %2534 is "%34" once decoded, "4" twice.
  (digit) => `%253${digit}`,
  scriptDigit(0xff10), // full-width
  (digit) => utf8Encoded(scriptDigit(0xff10)(digit)),
  scriptDigit(0x0660), // Arabic-Indic
  (digit) => utf8Encoded(scriptDigit(0x0660)(digit)),
  scriptDigit(0x1d7ce), // mathematical bold
  (digit) => utf8Encoded(scriptDigit(0x1d7ce)(digit))
];

/** A card number written in a form only a path-free log keeps out (see above). */
export const hostilePanForm: fc.Arbitrary<PanForm> = fc
  .record({
    pan,
    groups: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 19 }),
    separator: fc.constantFrom(...HOSTILE_SEPARATORS, ''),
    parenthesised: fc.boolean(),
    writer: fc.constantFrom(...DIGIT_WRITERS)
  })
  .map(({ pan: digits, groups, separator, parenthesised, writer }) => {
    const parts: string[] = [];
    let at = 0;
    for (const size of groups) {
      if (at >= digits.length) break;
      parts.push(digits.slice(at, at + size));
      at += size;
    }
    if (at < digits.length) parts.push(digits.slice(at));
    const written = parts
      .map((part) => [...part].map(writer).join(''))
      .map((part) => (parenthesised ? `(${part})` : part))
      .join(separator);
    return { pan: digits, text: written };
  });

/** Every form a card number can take in a URL path: the scrubber's and the hostile ones. */
export const pathPanForm: fc.Arbitrary<PanForm> = fc.oneof(panForm, hostilePanForm);

/** The ASCII digit of a decimal digit of any script (\p{Nd}: ten consecutive code points). */
function asciiDigit(char: string): string {
  let zero = char.codePointAt(0) ?? 0;
  while (zero > 0 && /\p{Nd}/u.test(String.fromCodePoint(zero - 1))) zero--;
  return String(((char.codePointAt(0) ?? 0) - zero) % 10);
}

/**
 * Whether `text` still holds the card number `pan`: its digits, read with every separator and
 * percent-encoding (even repeated) taken away and digits of every script read as digits, contain
 * it.
 */
export function holdsPan(text: string, pan: string): boolean {
  let decoded = text;
  for (let round = 0; round < 3 && decoded.includes('%'); round++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      decoded = decoded.replace(/%3(\d)/g, '$1');
      break;
    }
  }
  const digits = decoded
    .normalize('NFKC')
    .replace(/\p{Nd}/gu, (char) => (/[0-9]/.test(char) ? char : asciiDigit(char)));
  return digits.replace(/\D/g, '').includes(pan);
}
