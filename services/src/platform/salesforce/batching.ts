// Splitting work into requests Salesforce accepts, with as few API calls as possible.
//
// sObject Collections take at most 200 records per call (EXCEEDED_ID_LIMIT beyond).
//
// SOQL `IN (...)` lists are bounded by two limits, and the tighter one wins:
//  - a SOQL statement may be 100,000 characters long (default org limit);
//  - but the REST query resource is GET only (`/query?q=`), and a request's URI plus headers may
//    be at most 16,384 bytes (414 URI Too Long / 431 beyond, help article 000386264). URL-encoded,
//    an 18-character id in a list costs 27 bytes (`%27` + id + `%27%2C`), so the URI limit binds
//    at roughly 550 ids, far below the statement limit.
// We budget 10,000 bytes for the encoded `q` parameter, which leaves about 6 KB for the path, the
// host, the bearer token and the other headers, and cap a list at 500 values. With a typical
// SELECT of a few fields that is ~360 ids per query: 1,000 ids cost 3 calls, and no id list can
// produce a request the org refuses. (Composite would take the SOQL in a body, but its subrequest
// answers page differently; the GET form keeps one code path for every query.)

/** sObject Collections maximum per request. */
export const COLLECTION_CHUNK_SIZE = 200;
/** Salesforce's default maximum length of one SOQL statement (characters). */
export const SOQL_MAX_LENGTH = 100_000;
/** Salesforce's limit on URI + headers of one REST request (bytes). */
export const REST_URI_AND_HEADERS_LIMIT = 16_384;
/** Budget for the URL-encoded `q=` value of one query: see the header comment. */
export const DEFAULT_QUERY_PARAM_BYTES = 10_000;
/** Most values in one IN list, whatever their size. */
export const DEFAULT_MAX_IN_VALUES = 500;

/** Consecutive slices of at most `size` items. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive integer (got ${size})`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** A SOQL string literal: quoted, with `\` `'` `"` and control characters escaped. */
export function soqlString(value: string): string {
  const escaped = value.replace(/[\\'"\n\r\t\b\f]/g, (c) => {
    switch (c) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '\b':
        return '\\b';
      case '\f':
        return '\\f';
      default:
        return `\\${c}`;
    }
  });
  return `'${escaped}'`;
}

/** A SOQL literal for a value of an IN list (strings quoted, numbers and booleans bare). */
export function soqlLiteral(value: string | number | boolean): string {
  if (typeof value === 'string') return soqlString(value);
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new RangeError('SOQL numbers must be finite');
  return String(value);
}

/** Length of `text` once form-encoded as a query parameter value (`+` for space, `%XX` else). */
export function encodedParamLength(text: string): number {
  return new URLSearchParams({ q: text }).toString().length - 2;
}

export interface InClauseQueriesOptions {
  /** Everything before the list: `SELECT Id, Name FROM Account WHERE Id IN (`. */
  prefix: string;
  /** Everything after it: `)` or `) AND IsDeleted = false`. */
  suffix: string;
  maxParamBytes?: number;
  maxValues?: number;
}

/**
 * SOQL statements covering every value once, each with an IN list as long as the budgets allow.
 * Throws when a single value cannot fit (a pathological literal), rather than sending a request
 * the org would refuse.
 */
export function inClauseQueries(
  values: ReadonlyArray<string | number | boolean>,
  options: InClauseQueriesOptions
): string[] {
  const maxParamBytes = options.maxParamBytes ?? DEFAULT_QUERY_PARAM_BYTES;
  const maxValues = options.maxValues ?? DEFAULT_MAX_IN_VALUES;
  const fixedBytes = encodedParamLength(options.prefix + options.suffix);
  const fixedChars = options.prefix.length + options.suffix.length;
  const commaBytes = encodedParamLength(',');

  const queries: string[] = [];
  let literals: string[] = [];
  let bytes = fixedBytes;
  let chars = fixedChars;
  const flush = () => {
    if (literals.length === 0) return;
    queries.push(`${options.prefix}${literals.join(',')}${options.suffix}`);
    literals = [];
    bytes = fixedBytes;
    chars = fixedChars;
  };
  for (const value of values) {
    const literal = soqlLiteral(value);
    const literalBytes = encodedParamLength(literal);
    if (
      fixedBytes + literalBytes > maxParamBytes ||
      fixedChars + literal.length > SOQL_MAX_LENGTH
    ) {
      throw new RangeError(`A value of ${literal.length} characters does not fit in one query`);
    }
    // After the first value, each one also costs a comma.
    const separator = literals.length > 0 ? 1 : 0;
    const fits =
      literals.length < maxValues &&
      bytes + literalBytes + separator * commaBytes <= maxParamBytes &&
      chars + literal.length + separator <= SOQL_MAX_LENGTH;
    if (!fits) flush();
    const comma = literals.length > 0 ? 1 : 0;
    bytes += literalBytes + comma * commaBytes;
    chars += literal.length + comma;
    literals.push(literal);
  }
  flush();
  return queries;
}

export { isSalesforceId } from '../../../../toolkit/src/salesforce-id.ts';

/** Distinct values in first-seen order (an id asked twice costs nothing twice). */
export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}
