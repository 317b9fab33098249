/**
 * SOQL tokens. Keywords are plain identifiers here (SOQL keywords are case-insensitive and the
 * parser decides by position); dates and datetimes are single tokens because they are written
 * unquoted (`CloseDate = 2026-11-29`). String literals are decoded with SOQL's escapes.
 */
import { locate, malformedQuery, SoqlSyntaxError } from './syntax-error.ts';

export type TokenType =
  'ident' | 'string' | 'number' | 'date' | 'datetime' | 'punct' | 'operator' | 'eof';

export interface Token {
  type: TokenType;
  /** The token as written (for strings: with the quotes). */
  text: string;
  /** Decoded string value, or the normalised date text. */
  value?: string;
  offset: number;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2}))?/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
const NUMBER = /^\d+(?:\.\d+)?/;
const OPERATORS = ['!=', '<>', '<=', '>=', '=', '<', '>'];
const PUNCTUATION = '(),.:+-;';

const ESCAPES: Record<string, string> = {
  n: '\n',
  N: '\n',
  r: '\r',
  R: '\r',
  t: '\t',
  T: '\t',
  b: '\b',
  B: '\b',
  f: '\f',
  F: '\f',
  '"': '"',
  "'": "'",
  '\\': '\\'
};

/**
 * Decodes a quoted literal starting at `start` (the opening quote). `\_` and `\%` stay escaped
 * (backslash kept) because only LIKE gives them a meaning; other unknown escapes are errors.
 */
function readString(query: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < query.length) {
    const char = query.charAt(i);
    if (char === "'") return { value, end: i + 1 };
    if (char === '\\') {
      const next = query.charAt(i + 1);
      if (next === '_' || next === '%') {
        value += '\\' + next;
        i += 2;
        continue;
      }
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(query.slice(i + 2, i + 6))) {
        value += String.fromCharCode(parseInt(query.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      const decoded = ESCAPES[next];
      if (decoded === undefined) {
        const literal = query.slice(start, query.indexOf("'", i + 2) + 1 || query.length);
        throw malformedQuery(
          query,
          start,
          `Invalid string literal '${literal.slice(1, -1)}'. Illegal character sequence ` +
            `'\\${next}' in string literal.`
        );
      }
      value += decoded;
      i += 2;
      continue;
    }
    value += char;
    i++;
  }
  const { row, column } = locate(query, query.length);
  throw new SoqlSyntaxError(
    `line ${row}:${column - 1} mismatched character '<EOF>' expecting '''`,
    query.length
  );
}

export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const char = query.charAt(i);
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    const rest = query.slice(i, i + 64);
    if (char === "'") {
      const { value, end } = readString(query, i);
      tokens.push({ type: 'string', text: query.slice(i, end), value, offset: i });
      i = end;
      continue;
    }
    if (/\d/.test(char)) {
      const dateMatch = DATE_TIME.exec(rest);
      if (dateMatch) {
        const type = dateMatch[4] === undefined ? 'date' : 'datetime';
        tokens.push({ type, text: dateMatch[0], value: dateMatch[0], offset: i });
        i += dateMatch[0].length;
        continue;
      }
      const numberMatch = NUMBER.exec(query.slice(i));
      if (numberMatch) {
        tokens.push({ type: 'number', text: numberMatch[0], offset: i });
        i += numberMatch[0].length;
        continue;
      }
    }
    const identMatch = IDENT.exec(query.slice(i));
    if (identMatch) {
      tokens.push({ type: 'ident', text: identMatch[0], offset: i });
      i += identMatch[0].length;
      continue;
    }
    const operator = OPERATORS.find((op) => query.startsWith(op, i));
    if (operator) {
      tokens.push({ type: 'operator', text: operator, offset: i });
      i += operator.length;
      continue;
    }
    if (PUNCTUATION.includes(char)) {
      tokens.push({ type: 'punct', text: char, offset: i });
      i++;
      continue;
    }
    const { row, column } = locate(query, i);
    throw new SoqlSyntaxError(
      `line ${row}:${column - 1} no viable alternative at character '${char}'`,
      i
    );
  }
  // Salesforce points an unexpected end of statement at the last character written.
  const last = query.trimEnd().length - 1;
  tokens.push({ type: 'eof', text: '<EOF>', offset: Math.max(0, last) });
  return tokens;
}
