/**
 * What Bulk API 2.0 query jobs refuse at creation (POST /jobs/query answers 400 with
 * `[{"errorCode":"API_ERROR","message":...}]`): the one place the emulator decides it. The
 * Bulk API 2.0 developer guide ("Understanding Bulk API 2.0 Query", SOQL considerations:
 * developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/queries.htm) lists
 * the unsupported SOQL: GROUP BY, OFFSET and TYPEOF clauses, aggregate functions such as
 * COUNT(), date functions in GROUP BY clauses (so refused with GROUP BY; date functions in
 * WHERE are supported), compound address and geolocation fields, and parent-to-child
 * relationship queries. What it does not list is accepted: ORDER BY and LIMIT (they only
 * disable PK chunking), child-to-parent paths (`Account.Name`), toLabel() and FORMAT().
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
import type { ExpressionNode, FieldPathNode, QueryNode } from '../../../../toolkit/src/soql/ast.ts';
import { parseSoql } from '../../../../toolkit/src/soql/parser.ts';
import { resolveFieldPath } from './resolve.ts';
import { isAggregateQuery } from './resolve-aggregate.ts';

export const BULK_AGGREGATE_MESSAGE =
  'Aggregate Relationships not supported in Bulk V2 Query with CSV content type';
export const BULK_COMPOUND_MESSAGE = 'Selecting compound data not supported in Bulk Query';
export const BULK_BLOB_MESSAGE = 'Blob field not supported in Bulk V2 Query with CSV content type';
export const BULK_OFFSET_MESSAGE = 'OFFSET clause is not supported in Bulk V2 Query';
export const BULK_TYPEOF_MESSAGE = 'TYPEOF clause is not supported in Bulk V2 Query';

function apiError(message: string): SalesforceApiError {
  return new SalesforceApiError(400, 'API_ERROR', message);
}

/** Clause-level restrictions of the outer statement. */
function clauseRestriction(statement: QueryNode): SalesforceApiError | undefined {
  const kinds = new Set(statement.select.map((item) => item.kind));
  if (kinds.has('subquery') || isAggregateQuery(statement)) {
    return apiError(BULK_AGGREGATE_MESSAGE);
  }
  if (kinds.has('typeof')) return apiError(BULK_TYPEOF_MESSAGE);
  if (statement.offset) return apiError(BULK_OFFSET_MESSAGE);
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

/** The fields an expression reads (toLabel() and FORMAT() read the field they wrap). */
function pathsOf(expression: ExpressionNode): FieldPathNode[] {
  return expression.kind === 'path' ? [expression] : expression.args.flatMap(pathsOf);
}

/** Selected compound (address, geolocation) or binary fields, including through parents. */
function fieldRestriction(
  soql: string,
  statement: QueryNode,
  schema: Schema
): SalesforceApiError | undefined {
  const object = schema.getObject(statement.from.name);
  if (!object) return undefined;
  const types: string[] = [];
  for (const item of statement.select) {
    if (item.kind === 'expression') {
      for (const path of pathsOf(item.expression)) {
        try {
          types.push(resolveFieldPath(schema, soql, path, object, statement.from.alias).field.type);
        } catch {
          // A compound address the schema does not describe (only its components): still
          // compound data to Bulk API. Any other unknown field is prepare()'s error to report.
          if (isUndescribedAddress(schema, object, path.segments)) types.push('address');
        }
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
  let statement: QueryNode;
  try {
    statement = parseSoql(soql);
  } catch {
    return undefined;
  }
  return clauseRestriction(statement) ?? fieldRestriction(soql, statement, schema);
}
