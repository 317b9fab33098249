/**
 * SOQL errors in Salesforce's shapes. Query-structure errors carry the real API's "caret"
 * message: the offending line of the query (a window of it when long), a caret under the
 * offending column, the row and column, then the reason:
 *
 *   \nSELECT Id, Nmae FROM Account\n           ^\nERROR at Row:1:Column:12\nNo such column 'Nmae'...
 *
 * The caret layout is the toolkit's (toolkit/src/soql/syntax-error.ts), shared with the SOQL
 * parser, whose syntax errors (SoqlSyntaxError) become the emulator's 400 here.
 */
import { caretMessage, SoqlSyntaxError } from '../../../../toolkit/src/soql/syntax-error.ts';
import { SalesforceApiError } from '../model.ts';

const WSDL_HINT = 'Please reference your WSDL or the describe call for the appropriate names.';

/** A 400 with `errorCode` whose message points at `offset` of the query (the caret message). */
export function errorAt(
  errorCode: string,
  query: string,
  offset: number,
  reason: string
): SalesforceApiError {
  return new SalesforceApiError(400, errorCode, caretMessage(query, offset, reason));
}

export function malformedQuery(query: string, offset: number, reason: string): SalesforceApiError {
  return errorAt('MALFORMED_QUERY', query, offset, reason);
}

/** The parser's syntax error as the REST and Bulk APIs answer it: 400 MALFORMED_QUERY. */
export function fromSyntaxError(error: SoqlSyntaxError): SalesforceApiError {
  return new SalesforceApiError(400, error.errorCode, error.message);
}

/** MALFORMED_QUERY `unexpected token: 'X'` (`'<EOF>'` at the end of the statement). */
export function unexpectedToken(query: string, offset: number, text: string): SalesforceApiError {
  return malformedQuery(query, offset, `unexpected token: '${text}'`);
}

export function noSuchColumn(
  query: string,
  offset: number,
  field: string,
  entity: string
): SalesforceApiError {
  return errorAt(
    'INVALID_FIELD',
    query,
    offset,
    `No such column '${field}' on entity '${entity}'. If you are attempting to use a custom ` +
      `field, be sure to append the '__c' after the custom field name. ${WSDL_HINT}`
  );
}

export function unknownRelationship(
  query: string,
  offset: number,
  relationship: string
): SalesforceApiError {
  return errorAt(
    'INVALID_FIELD',
    query,
    offset,
    `Didn't understand relationship '${relationship}' in field path. If you are attempting to ` +
      `use a custom relationship, be sure to append the '__r' after the custom relationship ` +
      `name. ${WSDL_HINT}`
  );
}

export function unknownObject(query: string, offset: number, name: string): SalesforceApiError {
  return errorAt(
    'INVALID_TYPE',
    query,
    offset,
    `sObject type '${name}' is not supported. If you are attempting to use a custom object, ` +
      `be sure to append the '__c' after the entity name. ${WSDL_HINT}`
  );
}

/** Objects that exist but cannot be queried (platform events, for instance). */
export function notQueryable(name: string): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'INVALID_TYPE_FOR_OPERATION',
    `entity type ${name} does not support query`
  );
}

/**
 * A literal of the wrong kind for the field: `value of filter criterion for field 'CloseDate'
 * must be of type date and should not be enclosed in quotes`.
 */
export function wrongLiteralType(
  query: string,
  offset: number,
  field: string,
  expected: string,
  quoted: boolean
): SalesforceApiError {
  const quoting = quoted ? 'should be enclosed in quotes' : 'should not be enclosed in quotes';
  return errorAt(
    'INVALID_FIELD',
    query,
    offset,
    `value of filter criterion for field '${field}' must be of type ${expected} and ${quoting}`
  );
}

export function invalidIdLiteral(query: string, offset: number, value: string): SalesforceApiError {
  return errorAt('INVALID_QUERY_FILTER_OPERATOR', query, offset, `invalid ID field: ${value}`);
}

export function invalidOperator(query: string, offset: number, reason: string): SalesforceApiError {
  return errorAt('INVALID_QUERY_FILTER_OPERATOR', query, offset, reason);
}

export function duplicateField(name: string): SalesforceApiError {
  return new SalesforceApiError(400, 'INVALID_FIELD', `duplicate field selected: ${name}`);
}

export function offsetTooLarge(max: number): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'NUMBER_OUTSIDE_VALID_RANGE',
    `Maximum SOQL offset allowed is ${max}`
  );
}

/** A sub-query's FROM that names no child relationship of the outer object. */
export function unknownChildRelationship(
  query: string,
  offset: number,
  relationship: string
): SalesforceApiError {
  return errorAt(
    'INVALID_TYPE',
    query,
    offset,
    `Didn't understand relationship '${relationship}' in FROM part of query call. If you are ` +
      `attempting to use a custom relationship, be sure to append the '__r' after the custom ` +
      `relationship name. ${WSDL_HINT}`
  );
}

/** GROUP BY on a field describe reports as not `groupable` (a dateTime, a currency...). */
export function cannotGroup(query: string, offset: number, field: string): SalesforceApiError {
  return errorAt(
    'INVALID_FIELD',
    query,
    offset,
    `field '${field}' can not be grouped in a query call`
  );
}

/** An aggregate query's SELECT, HAVING or ORDER BY naming what is neither grouped nor aggregated. */
export function notGrouped(
  query: string,
  offset: number,
  name: string,
  clause: 'Field' | 'Ordered field'
): SalesforceApiError {
  return malformedQuery(query, offset, `${clause} must be grouped or aggregated: ${name}`);
}

export function groupedAggregated(query: string, offset: number, name: string): SalesforceApiError {
  return malformedQuery(query, offset, `Grouped field should not be aggregated: ${name}`);
}

/** SUM of a text field, COUNT of a multi-select picklist... (the prefix is our wording). */
export function notAggregatable(
  query: string,
  offset: number,
  field: string,
  fn: string
): SalesforceApiError {
  return malformedQuery(query, offset, `field ${field} does not support aggregate operator ${fn}`);
}

export function aliasNotAllowed(query: string, offset: number): SalesforceApiError {
  return malformedQuery(query, offset, 'only aggregate expressions use field aliasing');
}

export function duplicateAlias(query: string, offset: number, alias: string): SalesforceApiError {
  return malformedQuery(query, offset, `duplicate alias: ${alias}`);
}

/**
 * A function the emulator does not serve (convertCurrency(), DISTANCE()...), a function in a
 * place SOQL does not take it, or with arguments it does not take. The wording is ours: the
 * real parser's messages for these were not found in public sources.
 */
export function unsupportedFunction(
  query: string,
  offset: number,
  reason: string
): SalesforceApiError {
  return malformedQuery(query, offset, reason);
}
