// REST API helpers every scenario uses, on the shared connection (token, accounting, errors,
// refresh on INVALID_SESSION_ID: see connection.ts for why this is fetch and not jsforce).
//
// - query: follows `nextRecordsUrl` page by page as an async iterator (memory = one page);
// - queryByIds / queryIn: IN lists split so every request stays under the URI limit (batching.ts);
// - createMany / updateMany / upsertMany / deleteMany: sObject Collections, 200 records a call,
//   per-record results in input order;
// - describe, limits, and `connection.request` for anything else.
import {
  COLLECTION_CHUNK_SIZE,
  chunk,
  distinct,
  inClauseQueries,
  isSalesforceId,
  type InClauseQueriesOptions
} from './batching.ts';
import type { SalesforceConnection } from './connection.ts';

export type SfRecord = Record<string, unknown>;

/** One error of a per-record result (`statusCode` is Salesforce's name for the error code). */
export interface RecordError {
  statusCode: string;
  message: string;
  fields: string[];
}

/** One record's outcome, at the same index as the record sent. */
export interface SaveResult {
  /** The record id; absent for a failed create. */
  id?: string;
  success: boolean;
  /** Upserts: true when the record was created, false when an existing one was updated. */
  created?: boolean;
  errors: RecordError[];
}

export interface QueryOptions {
  /** `queryAll`: also deleted and archived records. */
  queryAll?: boolean;
  /** Records per page, 200..2,000 (`Sforce-Query-Options: batchSize`); Salesforce may send fewer. */
  batchSize?: number;
  signal?: AbortSignal;
}

export interface QueryPage<T> {
  totalSize: number;
  done: boolean;
  records: T[];
  nextRecordsUrl?: string;
}

export interface CollectionOptions {
  /** All records of one request succeed or none do. Default false. */
  allOrNone?: boolean;
  /**
   * Requests in flight at once (default 1). With allOrNone the requests always run one after
   * another, so that a failure stops the rest.
   */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Error code given to the records of later requests that were not sent because an earlier
 * allOrNone request failed (a client-side code: Salesforce never saw those records).
 */
export const NOT_SENT = 'NOT_SENT_AFTER_ALL_OR_NONE_FAILURE';

export interface InQueryOptions extends QueryOptions {
  /** Extra condition ANDed to the IN list, e.g. `IsActive__c = true` (trusted SOQL). */
  where?: string;
  maxParamBytes?: InClauseQueriesOptions['maxParamBytes'];
  maxValues?: InClauseQueriesOptions['maxValues'];
}

export interface LimitValue {
  Max: number;
  Remaining: number;
  [key: string]: unknown;
}

export interface RestClient {
  readonly connection: SalesforceConnection;
  /** Every record of a SOQL query, page by page (one page in memory). */
  query<T = SfRecord>(soql: string, options?: QueryOptions): AsyncGenerator<T>;
  /** The pages themselves (totalSize, done, records). */
  queryPages<T = SfRecord>(soql: string, options?: QueryOptions): AsyncGenerator<QueryPage<T>>;
  /** Every record in one array: for results known to be small. */
  queryRecords<T = SfRecord>(soql: string, options?: QueryOptions): Promise<T[]>;
  /** `SELECT COUNT() FROM ...`: the count. */
  queryCount(soql: string, options?: QueryOptions): Promise<number>;
  /** Records whose Id is in `ids`, in as few IN-list queries as the URI limit allows. */
  queryByIds<T = SfRecord>(
    object: string,
    fields: readonly string[],
    ids: readonly string[],
    options?: InQueryOptions
  ): Promise<T[]>;
  /** Records whose `field` is in `values` (external ids, names...), batched the same way. */
  queryIn<T = SfRecord>(
    object: string,
    fields: readonly string[],
    field: string,
    values: ReadonlyArray<string | number | boolean>,
    options?: InQueryOptions
  ): Promise<T[]>;
  createMany(
    object: string,
    records: readonly SfRecord[],
    options?: CollectionOptions
  ): Promise<SaveResult[]>;
  /** Each record needs its `Id`. */
  updateMany(
    object: string,
    records: readonly SfRecord[],
    options?: CollectionOptions
  ): Promise<SaveResult[]>;
  /** Upsert on an external id field (or `Id`); each result says whether it created. */
  upsertMany(
    object: string,
    externalIdField: string,
    records: readonly SfRecord[],
    options?: CollectionOptions
  ): Promise<SaveResult[]>;
  deleteMany(ids: readonly string[], options?: CollectionOptions): Promise<SaveResult[]>;
  /** `sobjects/{object}/describe`. */
  describe(
    object: string,
    options?: { signal?: AbortSignal }
  ): Promise<SfRecord & { name: string; fields: SfRecord[] }>;
  /** `/limits`: DailyApiRequests, DailyBulkV2QueryJobs... */
  limits(options?: { signal?: AbortSignal }): Promise<Record<string, LimitValue>>;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const FIELD_PATH = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*$/;

function checkName(kind: string, name: string, pattern = NAME): string {
  if (!pattern.test(name)) throw new TypeError(`Invalid ${kind} name: ${JSON.stringify(name)}`);
  return name;
}

function toSaveResult(raw: unknown): SaveResult {
  const item = (raw ?? {}) as Record<string, unknown>;
  const errors = Array.isArray(item.errors) ? item.errors : [];
  const result: SaveResult = {
    success: item.success === true,
    errors: errors.map((e) => {
      const error = (e ?? {}) as Record<string, unknown>;
      return {
        statusCode: String(error.statusCode ?? error.errorCode ?? 'UNKNOWN_EXCEPTION'),
        message: String(error.message ?? ''),
        fields: Array.isArray(error.fields) ? error.fields.map(String) : []
      };
    })
  };
  if (typeof item.id === 'string') result.id = item.id;
  if (typeof item.created === 'boolean') result.created = item.created;
  return result;
}

/** Runs `work` over items with at most `limit` in flight, results in input order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

export function createRestClient(connection: SalesforceConnection): RestClient {
  const queryPages = async function* <T>(
    soql: string,
    options: QueryOptions = {}
  ): AsyncGenerator<QueryPage<T>> {
    const headers: Record<string, string> = {};
    if (options.batchSize !== undefined) {
      if (
        !Number.isInteger(options.batchSize) ||
        options.batchSize < 200 ||
        options.batchSize > 2000
      ) {
        throw new RangeError('batchSize must be an integer from 200 to 2000');
      }
      headers['Sforce-Query-Options'] = `batchSize=${options.batchSize}`;
    }
    let page = await connection.requestJson<QueryPage<T>>({
      operation: options.queryAll ? 'rest.queryAll' : 'rest.query',
      path: options.queryAll ? 'queryAll' : 'query',
      query: { q: soql },
      headers,
      signal: options.signal
    });
    for (;;) {
      yield page;
      if (page.done || !page.nextRecordsUrl) return;
      page = await connection.requestJson<QueryPage<T>>({
        operation: 'rest.query.more',
        path: page.nextRecordsUrl,
        headers,
        signal: options.signal
      });
    }
  };

  const query = async function* <T>(soql: string, options?: QueryOptions): AsyncGenerator<T> {
    for await (const page of queryPages<T>(soql, options)) yield* page.records;
  };

  const queryRecords = async <T>(soql: string, options?: QueryOptions): Promise<T[]> => {
    const all: T[] = [];
    for await (const page of queryPages<T>(soql, options)) all.push(...page.records);
    return all;
  };

  const queryIn = async <T>(
    object: string,
    fields: readonly string[],
    field: string,
    values: ReadonlyArray<string | number | boolean>,
    options: InQueryOptions = {}
  ): Promise<T[]> => {
    checkName('object', object);
    checkName('field', field, FIELD_PATH);
    if (fields.length === 0) throw new TypeError('queryIn needs at least one field');
    for (const f of fields) checkName('field', f, FIELD_PATH);
    const unique = distinct(values);
    if (unique.length === 0) return [];
    const where = options.where ? ` AND (${options.where})` : '';
    const statements = inClauseQueries(unique, {
      prefix: `SELECT ${fields.join(', ')} FROM ${object} WHERE ${field} IN (`,
      suffix: `)${where}`,
      maxParamBytes: options.maxParamBytes,
      maxValues: options.maxValues
    });
    const all: T[] = [];
    for (const statement of statements) all.push(...(await queryRecords<T>(statement, options)));
    return all;
  };

  const runCollections = async (
    operation: string,
    records: readonly SfRecord[],
    options: CollectionOptions,
    send: (batch: SfRecord[], allOrNone: boolean) => Promise<unknown>
  ): Promise<SaveResult[]> => {
    const allOrNone = options.allOrNone === true;
    const batches = chunk(records, COLLECTION_CHUNK_SIZE);
    let failedAllOrNone = false;
    const perBatch = await mapLimited(
      batches,
      allOrNone ? 1 : (options.concurrency ?? 1),
      async (batch) => {
        if (failedAllOrNone) {
          return batch.map<SaveResult>(() => ({
            success: false,
            errors: [
              {
                statusCode: NOT_SENT,
                message: `Not sent: an earlier ${operation} request with allOrNone failed`,
                fields: []
              }
            ]
          }));
        }
        const answer = await send(batch, allOrNone);
        if (!Array.isArray(answer) || answer.length !== batch.length) {
          throw new Error(
            `Salesforce answered ${operation} with ${Array.isArray(answer) ? answer.length : 'no'} results for ${batch.length} records`
          );
        }
        const results = answer.map(toSaveResult);
        if (allOrNone && results.some((r) => !r.success)) failedAllOrNone = true;
        return results;
      }
    );
    return perBatch.flat();
  };

  const withType = (object: string, record: SfRecord): SfRecord => ({
    attributes: { type: object },
    ...record
  });

  return {
    connection,
    query,
    queryPages,
    queryRecords,
    async queryCount(soql, options) {
      for await (const page of queryPages(soql, options)) return page.totalSize;
      return 0;
    },
    queryIn,
    async queryByIds(object, fields, ids, options) {
      const bad = ids.find((id) => !isSalesforceId(id));
      if (bad !== undefined) throw new TypeError(`Not a Salesforce id: ${JSON.stringify(bad)}`);
      return queryIn(object, fields, 'Id', ids, options);
    },
    async createMany(object, records, options = {}) {
      checkName('object', object);
      return runCollections('create', records, options, (batch, allOrNone) =>
        connection.requestJson({
          operation: 'rest.collections.create',
          method: 'POST',
          path: 'composite/sobjects',
          json: { allOrNone, records: batch.map((r) => withType(object, r)) },
          signal: options.signal
        })
      );
    },
    async updateMany(object, records, options = {}) {
      checkName('object', object);
      const missing = records.findIndex((r) => !isSalesforceId(r.Id));
      if (missing >= 0) throw new TypeError(`updateMany: record ${missing} has no valid Id`);
      return runCollections('update', records, options, (batch, allOrNone) =>
        connection.requestJson({
          operation: 'rest.collections.update',
          method: 'PATCH',
          path: 'composite/sobjects',
          json: { allOrNone, records: batch.map((r) => withType(object, r)) },
          signal: options.signal
        })
      );
    },
    async upsertMany(object, externalIdField, records, options = {}) {
      checkName('object', object);
      checkName('field', externalIdField);
      return runCollections('upsert', records, options, (batch, allOrNone) =>
        connection.requestJson({
          operation: 'rest.collections.upsert',
          method: 'PATCH',
          path: `composite/sobjects/${object}/${externalIdField}`,
          json: { allOrNone, records: batch.map((r) => withType(object, r)) },
          // Upsert by external id is safe to repeat: the second attempt updates.
          idempotent: true,
          signal: options.signal
        })
      );
    },
    async deleteMany(ids, options = {}) {
      const bad = ids.find((id) => !isSalesforceId(id));
      if (bad !== undefined) throw new TypeError(`Not a Salesforce id: ${JSON.stringify(bad)}`);
      return runCollections(
        'delete',
        ids.map((id) => ({ Id: id })),
        options,
        (batch, allOrNone) =>
          connection.requestJson({
            operation: 'rest.collections.delete',
            method: 'DELETE',
            path: 'composite/sobjects',
            query: { ids: batch.map((r) => r.Id as string).join(','), allOrNone },
            // Not repeated on a transient failure: a second attempt would report the records the
            // first one deleted as ENTITY_IS_DELETED.
            idempotent: false,
            signal: options.signal
          })
      );
    },
    async describe(object, options = {}) {
      checkName('object', object);
      return connection.requestJson({
        operation: 'rest.describe',
        path: `sobjects/${object}/describe`,
        signal: options.signal
      });
    },
    limits(options = {}) {
      return connection.requestJson({
        operation: 'rest.limits',
        path: 'limits',
        signal: options.signal
      });
    }
  };
}
