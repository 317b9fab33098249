/**
 * SOQL syntax errors in Salesforce's own wording. The real API answers a statement it cannot
 * parse with `MALFORMED_QUERY` and a "caret" message: the offending line of the query (a window
 * of it when long), a caret under the offending column, the row and column, then the reason:
 *
 *   \nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'
 *
 * Long lines are cut to a window around the column: about 40 characters before it, starting
 * just after a separator, and about 35 after it, ending just before one, as observed in real
 * error bodies (see the emulator's soql report); short queries are shown whole.
 *
 * The error is a plain class of the toolkit so that every layer reads it: the org emulator
 * answers it as its 400 MALFORMED_QUERY, the services refuse a query before any API call.
 */

const WINDOW_BEFORE = 40;
const WINDOW_AFTER = 35;

/** A statement that does not parse, with the message Salesforce gives for it. */
export class SoqlSyntaxError extends Error {
  /** Salesforce's error code for a statement that does not parse. */
  readonly errorCode = 'MALFORMED_QUERY';

  constructor(
    message: string,
    /** Offset in the query text the error points at. */
    readonly offset: number
  ) {
    super(message);
    this.name = 'SoqlSyntaxError';
  }
}

function isSeparator(char: string | undefined): boolean {
  return char === undefined || char === ',' || /\s/.test(char);
}

/** Row and column (both 1-based) of an offset, and the text of that row. */
export function locate(
  query: string,
  offset: number
): { row: number; column: number; line: string } {
  const clamped = Math.max(0, Math.min(offset, query.length));
  const before = query.slice(0, clamped);
  const lineStart = before.lastIndexOf('\n') + 1;
  const row = before.split('\n').length;
  const lineEnd = query.indexOf('\n', lineStart);
  const line = query.slice(lineStart, lineEnd < 0 ? query.length : lineEnd).replace(/\r$/, '');
  return { row, column: clamped - lineStart + 1, line };
}

/** Salesforce's caret message for an error at `offset` of `query`. */
export function caretMessage(query: string, offset: number, reason: string): string {
  const { row, column, line } = locate(query, offset);
  const index = column - 1;
  let start = index - WINDOW_BEFORE;
  if (start <= 0) {
    start = 0;
  } else {
    while (start < index && !isSeparator(line[start - 1])) start++;
  }
  let end = index + WINDOW_AFTER;
  if (end >= line.length) {
    end = line.length;
  } else {
    while (end > index + 1 && !isSeparator(line[end])) end--;
  }
  const window = line.slice(start, end);
  const caret = ' '.repeat(index - start) + '^';
  return `\n${window}\n${caret}\nERROR at Row:${row}:Column:${column}\n${reason}`;
}

/** MALFORMED_QUERY with the caret message pointing at `offset`. */
export function malformedQuery(query: string, offset: number, reason: string): SoqlSyntaxError {
  return new SoqlSyntaxError(caretMessage(query, offset, reason), offset);
}

/** MALFORMED_QUERY `unexpected token: 'X'` (`'<EOF>'` at the end of the statement). */
export function unexpectedToken(query: string, offset: number, text: string): SoqlSyntaxError {
  return malformedQuery(query, offset, `unexpected token: '${text}'`);
}
