/**
 * SOQL over REST: `GET query?q=`, `GET queryAll?q=` (deleted records too) and
 * `GET query/{locator}` for the next page. Pages hold 2,000 records unless the
 * `Sforce-Query-Options: batchSize=N` header asks for 200..2,000; the answer is
 * `{totalSize, done, nextRecordsUrl?, records}` exactly as Salesforce sends it. The
 * `nextRecordsUrl` always names `/query/` (also for queryAll), as the real API does.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  SalesforceApiError,
  type EmulatorContext,
  type PreparedQuery,
  type QueryOptions
} from '../../model.ts';
import { invalidSession, userContext } from '../auth.ts';
import { queryColumns } from './query-columns.ts';
import {
  batchSizeFrom,
  DEFAULT_BATCH_SIZE,
  QueryCursors,
  type QueryPage
} from './query-cursors.ts';

type Row = Record<string, unknown>;

/** `SELECT COUNT() FROM ...`: the answer is only totalSize, with no records. */
export function isCountOnly(query: PreparedQuery): boolean {
  return query.isAggregate && query.columns.length === 0;
}

/**
 * REST answers an aggregate query in one batch and has no locator for the rest (SOQL
 * reference, "Considerations for GROUP BY": "queries that include a GROUP BY clause can't use
 * the query locator to get more results"). An org refuses one whose groups do not fit with
 * these words (quoted from a measurement on a sandbox in public code); the error code is our
 * best reading.
 */
function aggregateTooLarge(): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'EXCEEDED_ID_LIMIT',
    'Aggregate query does not support queryMore(), use LIMIT to restrict the results to a single batch'
  );
}

function aggregatePage(query: PreparedQuery, options: QueryOptions, batchSize: number): Row {
  const records: Row[] = [];
  for (const row of query.run(options)) {
    if (records.length === batchSize) throw aggregateTooLarge();
    records.push(row);
  }
  return { totalSize: records.length, done: true, records };
}

function pageBody(page: QueryPage, version: string): Row {
  const body: Row = { totalSize: page.totalSize, done: page.done };
  if (page.locator) body.nextRecordsUrl = `/services/data/v${version}/query/${page.locator}`;
  body.records = page.records;
  return body;
}

function soqlParam(request: FastifyRequest): string {
  const q = (request.query as Record<string, unknown>).q;
  if (typeof q !== 'string' || q.trim() === '') {
    throw new SalesforceApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
  }
  return q;
}

function userOf(request: FastifyRequest): string {
  if (!request.session) throw invalidSession();
  return request.session.principal.userId;
}

export async function queryRoutes(
  app: FastifyInstance,
  options: { ctx: EmulatorContext; cursors: QueryCursors }
): Promise<void> {
  const { ctx: base, cursors } = options;
  type VersionParams = { version: string };

  const run = (request: FastifyRequest<{ Params: VersionParams }>, includeDeleted: boolean) => {
    const soql = soqlParam(request);
    const ctx = userContext(base, request);
    const query = ctx.soql.prepare(soql);
    const version = request.params.version;
    // The sf CLI asks for the columns of every query it ran (`&columns=true`).
    if ((request.query as Record<string, unknown>).columns === 'true') {
      return queryColumns(ctx.schema, query);
    }
    if (isCountOnly(query)) {
      return { totalSize: query.count({ includeDeleted }), done: true, records: [] };
    }
    const batchSize = batchSizeFrom(request.headers['sforce-query-options']) ?? DEFAULT_BATCH_SIZE;
    // The engine writes record URLs in the version it is given: the caller's.
    const runOptions = { includeDeleted, apiVersion: version };
    if (query.isAggregate) return aggregatePage(query, runOptions, batchSize);
    const page = cursors.open(userOf(request), query, runOptions, batchSize, () =>
      query.count({ includeDeleted })
    );
    return pageBody(page, version);
  };

  app.get<{ Params: VersionParams }>('/query', async (request) => run(request, false));
  app.get<{ Params: VersionParams }>('/queryAll', async (request) => run(request, true));

  // A cursor belongs to its user and resumes the query it was opened with (their permissions).
  const more = async (request: FastifyRequest<{ Params: VersionParams & { locator: string } }>) => {
    const page = cursors.next(
      userOf(request),
      request.params.locator,
      batchSizeFrom(request.headers['sforce-query-options'])
    );
    return pageBody(page, request.params.version);
  };
  app.get<{ Params: VersionParams & { locator: string } }>('/query/:locator', more);
  app.get<{ Params: VersionParams & { locator: string } }>('/queryAll/:locator', more);
}
