// $filter -> a SQL condition. The expression is parsed by @odata/parser (a maintained OData V4
// ABNF parser: it handles the grammar, percent-encoding, quoting and literal types); this file
// walks its syntax tree and accepts only what Salesforce Connect sends and this service can answer
// from the key index: comparisons (eq ne gt ge lt le) of one property with one literal, joined by
// and / or / not and parentheses. Properties are the model's whitelist; literals become typed
// parameters. Anything else - functions (contains, startswith...), arithmetic, navigation,
// property-vs-property, lambdas - is a valid OData construct this service does not implement
// (501); a literal of the wrong type or a name the model lacks is the caller's mistake (400).
import { defaultParser } from '@odata/parser';
import { isCalendarDate } from '../local-date.ts';
import { badRequest, notImplemented } from './errors.ts';
import { PROPERTY_BY_NAME, parseKey } from './model.ts';
import type { Property } from './model.ts';
import type { SqlParams } from './sql-params.ts';

/** The parser's token (lexer.Token): a type, a raw source text and a type-specific value. */
interface Token {
  type: string;
  raw: string;
  value: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the parser's own typing
}

const COMPARISONS: Record<string, string> = {
  EqualsExpression: '=',
  NotEqualsExpression: '<>',
  LesserThanExpression: '<',
  LesserOrEqualsExpression: '<=',
  GreaterThanExpression: '>',
  GreaterOrEqualsExpression: '>='
};

/** The operator with its sides swapped (`5 lt Steps` is `Steps gt 5`). */
const SWAPPED: Record<string, string> = {
  '=': '=',
  '<>': '<>',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<='
};

/**
 * Parses a $filter value, percent-decoded. The parser reads a decoded literal with quotes, `&` or
 * `:` as is, but takes `%27` for a quote: every `%` is written `%25` for it, and literals are
 * decoded back (literalText), so a value holding `%27` is that text, not a quote.
 */
export function parseFilter(source: string): Token {
  try {
    return defaultParser.filter(source.replace(/%/g, '%25')) as unknown as Token;
  } catch {
    throw badRequest('$filter is not a valid OData filter expression.');
  }
}

/** A literal's source text as the caller wrote it (undoing parseFilter's `%25`). */
function literalText(literal: Token): string {
  try {
    return decodeURIComponent(literal.raw);
  } catch {
    throw badRequest('$filter holds an invalid literal.');
  }
}

/** The property a member expression names (`Steps`), or undefined for anything else. */
function propertyName(token: Token): string | undefined {
  switch (token.type) {
    case 'CommonExpression':
    case 'FirstMemberExpression':
    case 'MemberExpression':
    case 'PropertyPathExpression':
      return token.value && typeof token.value === 'object' && 'type' in token.value
        ? propertyName(token.value as Token)
        : undefined;
    case 'ODataIdentifier':
      return typeof token.value?.name === 'string' ? (token.value.name as string) : undefined;
    default:
      return undefined;
  }
}

const isMember = (token: Token) =>
  ['FirstMemberExpression', 'MemberExpression', 'PropertyPathExpression'].includes(token.type);

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
const INTEGER_TYPES = new Set(['Edm.SByte', 'Edm.Byte', 'Edm.Int16', 'Edm.Int32', 'Edm.Int64']);
const NUMERIC_TYPES = new Set([...INTEGER_TYPES, 'Edm.Decimal', 'Edm.Double', 'Edm.Single']);

/** A literal's value for a comparison with `property`, or a 400 naming the mismatch. */
function literalValue(property: Property, literal: Token): string {
  const type = String(literal.value);
  const text = literalText(literal);
  const mismatch = () =>
    badRequest(`${property.name} (${property.type}) cannot be compared with this literal.`);
  switch (property.type) {
    case 'Edm.String': {
      if (type !== 'Edm.String' || !/^'.*'$/s.test(text)) throw mismatch();
      return text.slice(1, -1).replace(/''/g, "'");
    }
    case 'Edm.Date':
      if (type !== 'Edm.Date' || !isCalendarDate(text)) throw mismatch();
      return text;
    case 'Edm.DateTimeOffset': {
      if (type !== 'Edm.DateTimeOffset' || Number.isNaN(Date.parse(text))) throw mismatch();
      // Years 0001-9999 only, as written and in UTC: PostgreSQL refuses year 0 and the
      // expanded (+/-YYYYYY) years JavaScript reads and writes, which was a 500.
      const instant = new Date(text).toISOString();
      if (!/^\d{4}-/.test(text) || !/^\d{4}-/.test(instant) || instant.startsWith('0000-')) {
        throw badRequest(`${property.name} literals must be instants of the years 0001 to 9999.`);
      }
      return instant;
    }
    case 'Edm.Int64':
    case 'Edm.Int32':
    case 'Edm.Double':
      if (!NUMERIC_TYPES.has(type) || !NUMBER.test(text)) throw mismatch();
      return text;
  }
}

function comparison(op: string, left: Token, right: Token, params: SqlParams): string {
  let member = left;
  let literal = right;
  let operator = op;
  if (!isMember(left) && isMember(right)) {
    member = right;
    literal = left;
    operator = SWAPPED[op]!;
  }
  // A name the model lacks is the caller's mistake, whatever it is compared with.
  for (const side of [member, literal]) {
    const name = isMember(side) ? propertyName(side) : undefined;
    if (name !== undefined && !PROPERTY_BY_NAME.has(name)) {
      // The name is not echoed: nothing of the request comes back in an error body.
      throw badRequest('$filter names a property DailyActivity does not have.');
    }
  }
  if (!isMember(member) || literal.type !== 'Literal') {
    throw notImplemented('$filter compares a property with a literal only.');
  }
  const name = propertyName(member);
  if (name === undefined) throw notImplemented('$filter supports no paths or navigation.');
  const property = PROPERTY_BY_NAME.get(name)!;

  if (String(literal.value) === 'null') {
    if (operator === '=') return `${property.sql} IS NULL`;
    if (operator === '<>') return `${property.sql} IS NOT NULL`;
    return 'FALSE'; // null is neither greater nor smaller than anything
  }
  const value = literalValue(property, literal);
  if (property.name === 'Id') {
    // On the key's parts, so that the primary key (user_id, day) is used.
    if (operator !== '=' && operator !== '<>') {
      throw notImplemented('$filter compares Id with eq or ne only.');
    }
    const key = parseKey(value);
    const match = key
      ? `(d.user_id = ${params.add(key.userId, 'text')} AND d.day = ${params.add(key.day, 'date')})`
      : 'FALSE';
    return operator === '=' ? match : `NOT ${match}`;
  }
  const cast =
    property.type === 'Edm.String' ||
    property.type === 'Edm.Date' ||
    property.type === 'Edm.DateTimeOffset'
      ? property.cast
      : 'numeric';
  return `${property.sql} ${operator} ${params.add(value, cast)}`;
}

/** The SQL condition of a parsed $filter, its values added to `params`. */
export function filterSql(token: Token, params: SqlParams): string {
  const op = COMPARISONS[token.type];
  if (op) return comparison(op, token.value.left as Token, token.value.right as Token, params);
  switch (token.type) {
    case 'AndExpression':
      return `(${filterSql(token.value.left as Token, params)} AND ${filterSql(token.value.right as Token, params)})`;
    case 'OrExpression':
      return `(${filterSql(token.value.left as Token, params)} OR ${filterSql(token.value.right as Token, params)})`;
    case 'NotExpression': {
      // @odata/parser 0.2.14 lets `not` take everything after it: `not (A) and B` comes out as
      // not (A and B), though `not` binds tighter than `and` (OData 4.0 URL conventions 5.1.1.9).
      // Its operand is then an and/or that is not parenthesized, which a correct parse never
      // gives: refused rather than answered wrongly. `(not (A)) and B` parses right.
      const operand = token.value as Token;
      if (operand.type === 'AndExpression' || operand.type === 'OrExpression') {
        throw notImplemented('Put a `not` and its operand in parentheses: (not (...)) and ...');
      }
      return `(NOT ${filterSql(operand, params)})`;
    }
    case 'BoolParenExpression':
    case 'ParenExpression':
      return filterSql(token.value as Token, params);
    case 'MethodCallExpression':
      throw notImplemented('$filter functions are not supported.');
    default:
      throw notImplemented(
        '$filter supports eq, ne, gt, ge, lt, le, and, or, not and parentheses only.'
      );
  }
}

/**
 * true when the filter can only match rows of named users: every row it matches has a UserId
 * (or Id) equal to a literal. Such a query reads a few primary-key ranges whatever its $skip;
 * without it a deep $skip makes PostgreSQL read and discard every skipped row.
 */
export function restrictsToUsers(token: Token): boolean {
  switch (token.type) {
    case 'EqualsExpression': {
      const sides = [token.value.left as Token, token.value.right as Token];
      const member = sides.find(isMember);
      const literal = sides.find((side) => side.type === 'Literal');
      const name = member ? propertyName(member) : undefined;
      return (
        (name === 'UserId' || name === 'Id') &&
        literal !== undefined &&
        String(literal.value) !== 'null'
      );
    }
    case 'AndExpression':
      return (
        restrictsToUsers(token.value.left as Token) || restrictsToUsers(token.value.right as Token)
      );
    case 'OrExpression':
      return (
        restrictsToUsers(token.value.left as Token) && restrictsToUsers(token.value.right as Token)
      );
    case 'BoolParenExpression':
    case 'ParenExpression':
      return restrictsToUsers(token.value as Token);
    default:
      return false;
  }
}
