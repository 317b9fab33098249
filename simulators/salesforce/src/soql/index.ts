/**
 * The emulator's SOQL engine: `createSoqlEngine(schema, store, clock).prepare(soql)` parses and
 * resolves a statement (throwing Salesforce's errors), and the PreparedQuery streams REST or
 * flat rows over the record store. `bulkQueryRestriction` tells what Bulk API 2.0 refuses.
 */
import type { QueryNode } from '../../../../toolkit/src/soql/ast.ts';
import { parseSoql } from '../../../../toolkit/src/soql/parser.ts';
import { SoqlSyntaxError } from '../../../../toolkit/src/soql/syntax-error.ts';
import type { Clock, RecordStore, Schema, SoqlEngine } from '../model.ts';
import { fromSyntaxError } from './errors.ts';
import { SoqlPreparedQuery } from './prepared-query.ts';
import { resolveQuery } from './resolve.ts';

export { bulkQueryRestriction } from './bulk-restrictions.ts';
export { DEFAULT_API_VERSION, SoqlPreparedQuery, type RunOptions } from './prepared-query.ts';

/** Parses with the project's SOQL parser; a syntax error is the API's 400 MALFORMED_QUERY. */
function parseStatement(soql: string): QueryNode {
  try {
    return parseSoql(soql);
  } catch (error) {
    if (error instanceof SoqlSyntaxError) throw fromSyntaxError(error);
    throw error;
  }
}

export function createSoqlEngine(schema: Schema, store: RecordStore, clock: Clock): SoqlEngine {
  return {
    prepare(soql: string): SoqlPreparedQuery {
      const statement = parseStatement(soql);
      return new SoqlPreparedQuery(resolveQuery(schema, soql, statement), store, clock);
    }
  };
}
