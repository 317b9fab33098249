/**
 * The emulator's SOQL engine: `createSoqlEngine(schema, store, clock).prepare(soql)` parses and
 * resolves a statement (throwing Salesforce's errors), and the PreparedQuery streams REST or
 * flat rows over the record store. `bulkQueryRestriction` tells what Bulk API 2.0 refuses.
 */
import type { Clock, RecordStore, Schema, SoqlEngine } from '../model.ts';
import { parseSoql } from './parser.ts';
import { SoqlPreparedQuery } from './prepared-query.ts';
import { resolveQuery } from './resolve.ts';

export { bulkQueryRestriction } from './bulk-restrictions.ts';
export { DEFAULT_API_VERSION, SoqlPreparedQuery, type RunOptions } from './prepared-query.ts';

export function createSoqlEngine(schema: Schema, store: RecordStore, clock: Clock): SoqlEngine {
  return {
    prepare(soql: string): SoqlPreparedQuery {
      const statement = parseSoql(soql);
      return new SoqlPreparedQuery(resolveQuery(schema, soql, statement), store, clock);
    }
  };
}
