/**
 * What Bulk API 2.0 query jobs refuse at creation (POST /jobs/query answers 400 with
 * `[{"errorCode":"API_ERROR","message":...}]`). Salesforce documents the unsupported SOQL:
 * GROUP BY, OFFSET and TYPEOF clauses, aggregate functions such as COUNT(), compound address
 * and geolocation fields, and parent-to-child relationship sub-queries. ORDER BY and LIMIT are
 * allowed (they only disable PK chunking) and child-to-parent paths (`Account.Name`) work.
 *
 * Messages observed from the real API: "Aggregate Relationships not supported in Bulk V2 Query
 * with CSV content type" (sub-queries; Bulk 1.0 uses the same words for aggregate functions, so
 * aggregates and GROUP BY get it too) and "Selecting compound data not supported in Bulk
 * Query". The OFFSET and TYPEOF wordings are the emulator's own (no public record of the real
 * ones was found).
 *
 * A query that does not parse is not judged here: `prepare()` reports its syntax error.
 */
import type { Schema, SObjectDescribe } from '../model.ts';
import { SalesforceApiError } from '../model.ts';
import type { SelectItem } from './ast.ts';
import { tokenize, type Token } from './lexer.ts';
import { parseSoql } from './parser.ts';
import { resolveFieldPath } from './resolve.ts';

export const BULK_AGGREGATE_MESSAGE =
  'Aggregate Relationships not supported in Bulk V2 Query with CSV content type';
export const BULK_COMPOUND_MESSAGE = 'Selecting compound data not supported in Bulk Query';
export const BULK_BLOB_MESSAGE = 'Blob field not supported in Bulk V2 Query with CSV content type';
export const BULK_OFFSET_MESSAGE = 'OFFSET clause is not supported in Bulk V2 Query';
export const BULK_TYPEOF_MESSAGE = 'TYPEOF clause is not supported in Bulk V2 Query';

const AGGREGATE_FUNCTIONS = new Set(['COUNT', 'COUNT_DISTINCT', 'SUM', 'AVG', 'MIN', 'MAX']);

function apiError(message: string): SalesforceApiError {
  return new SalesforceApiError(400, 'API_ERROR', message);
}

function word(token: Token | undefined): string {
  return token?.type === 'ident' ? token.text.toUpperCase() : '';
}

/** Clause-level restrictions, read from the tokens of the outer statement. */
function clauseRestriction(tokens: Token[]): SalesforceApiError | undefined {
  let depth = 0;
  let inSelectList = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token) break;
    if (token.type === 'punct' && token.text === '(') {
      if (depth === 0 && inSelectList && word(tokens[i + 1]) === 'SELECT') {
        return apiError(BULK_AGGREGATE_MESSAGE);
      }
      depth++;
      continue;
    }
    if (token.type === 'punct' && token.text === ')') {
      depth--;
      continue;
    }
    if (depth > 0) continue;
    const current = word(token);
    if (current === 'SELECT') inSelectList = true;
    else if (current === 'FROM') inSelectList = false;
    else if (inSelectList && current === 'TYPEOF') return apiError(BULK_TYPEOF_MESSAGE);
    else if (
      inSelectList &&
      AGGREGATE_FUNCTIONS.has(current) &&
      tokens[i + 1]?.type === 'punct' &&
      tokens[i + 1]?.text === '('
    ) {
      return apiError(BULK_AGGREGATE_MESSAGE);
    } else if (current === 'GROUP' && word(tokens[i + 1]) === 'BY') {
      return apiError(BULK_AGGREGATE_MESSAGE);
    } else if (current === 'OFFSET') {
      return apiError(BULK_OFFSET_MESSAGE);
    }
  }
  return undefined;
}

/** `BillingAddress` on an object that describes `BillingStreet`, `BillingCity`... */
function isUndescribedAddress(
  schema: Schema,
  object: SObjectDescribe,
  segments: string[]
): boolean {
  const [name] = segments;
  if (segments.length !== 1 || !name || !/address$/i.test(name)) return false;
  const prefix = name.slice(0, -'address'.length);
  return ['Street', 'City', 'PostalCode'].some((part) => schema.getField(object, prefix + part));
}

/** Selected compound (address, geolocation) or binary fields, including through parents. */
function fieldRestriction(soql: string, schema: Schema): SalesforceApiError | undefined {
  let statement;
  try {
    statement = parseSoql(soql);
  } catch {
    return undefined;
  }
  const object = schema.getObject(statement.from.name);
  if (!object) return undefined;
  const types: string[] = [];
  for (const item of statement.select as SelectItem[]) {
    if (item.kind === 'field') {
      try {
        types.push(
          resolveFieldPath(schema, soql, item.path, object, statement.from.alias).field.type
        );
      } catch {
        // A compound address the schema does not describe (only its components): still
        // compound data to Bulk API. Any other unknown field is prepare()'s error to report.
        if (isUndescribedAddress(schema, object, item.path.segments)) types.push('address');
      }
    } else if (item.kind === 'fields') {
      for (const field of object.fields) {
        if (item.scope === 'STANDARD' && field.custom) continue;
        if (item.scope === 'CUSTOM' && !field.custom) continue;
        types.push(field.type);
      }
    }
  }
  if (types.some((type) => type === 'address' || type === 'location')) {
    return apiError(BULK_COMPOUND_MESSAGE);
  }
  if (types.includes('base64')) return apiError(BULK_BLOB_MESSAGE);
  return undefined;
}

/**
 * The error Bulk API 2.0 answers when a query job is created for `soql`, or undefined when
 * the query is one Bulk API 2.0 accepts.
 */
export function bulkQueryRestriction(soql: string, schema: Schema): SalesforceApiError | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(soql);
  } catch {
    return undefined;
  }
  return clauseRestriction(tokens) ?? fieldRestriction(soql, schema);
}
