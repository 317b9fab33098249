// OData 4.0 service of daily activity, for Salesforce Connect (External Data Source of type
// OData 4.0, External Object DailyActivities__x related to Contact by an indirect lookup on
// UserId = Contact.Fitness_User_Id__c):
//   GET /odata/v4/activity/                                service document
//   GET /odata/v4/activity/$metadata                       CSDL XML
//   GET /odata/v4/activity/DailyActivities?$filter=...     a page of entities (+ @odata.count)
//   GET /odata/v4/activity/DailyActivities/$count          the count, text/plain
//   GET /odata/v4/activity/DailyActivities('fit-1~2026-12-07')  one entity
// Server-driven paging: at most maxPageSize entities per answer (Prefer: odata.maxpagesize lowers
// it; Preference-Applied says so), @odata.nextLink with a $skiptoken for the rest. Bearer auth by
// the platform, narrowed to ACTIVITY_ODATA_TOKENS (api-tokens.ts). Errors in the OData shape.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Queryable } from '../activity-queries.ts';
import { activityTokenCheck } from '../api-tokens.ts';
import { ODataError, badRequest, notFound } from './errors.ts';
import { countRows, findEntity, queryPage } from './entity-queries.ts';
import { restrictsToUsers } from './filter.ts';
import { METADATA_XML, serviceDocument } from './metadata.ts';
import { ENTITY_SET, parseKey } from './model.ts';
import { parseQueryOptions } from './query-options.ts';
import type { QueryOptions } from './query-options.ts';
import { decodeSkipToken, encodeSkipToken, queryBinding } from './skip-token.ts';
import { isQueryCanceled, withStatementTimeout } from './statement-timeout.ts';

export const ODATA_PREFIX = '/odata/v4/activity';
export const DEFAULT_MAX_PAGE_SIZE = 1000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_SKIP = 100_000;

export interface ODataRoutesOptions extends Record<string, unknown> {
  /**
   * Where OData statements run. The service may pass a pool of its own for OData (a few
   * connections) so that slow OData queries can never take the REST API's or ingestion's.
   */
  pool: pg.Pool | Queryable;
  /** ACTIVITY_ODATA_TOKENS: the tokens of the Activity_OData External Credential (empty: none). */
  tokens: readonly string[];
  /** Most entities in one answer (default 1000). */
  maxPageSize?: number;
  /**
   * The service root as callers reach it (e.g. https://activity.example.com/odata/v4/activity),
   * absolute http(s), used in @odata.context and @odata.nextLink. Without it the links are
   * relative (path-absolute, /odata/v4/activity/...): never built from the request's Host
   * header, which the caller chooses (a forged Host would point the next page elsewhere).
   */
  serviceRoot?: string;
  /**
   * Statement timeout of every OData statement, ms (default 5000): past it, a 503. 0: none set
   * here, for a dedicated OData pool created with pg's `statement_timeout` option (its
   * cancellations are answered with the same 503).
   */
  statementTimeoutMs?: number;
  /**
   * Deepest row offset ($skip plus the rows earlier pages delivered) of a query whose filter
   * does not name its users (UserId or Id eq): deeper is a 400 (default 100,000).
   */
  maxSkip?: number;
}

const JSON_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

function sendODataError(reply: FastifyReply, error: ODataError): FastifyReply {
  return reply
    .code(error.statusCode)
    .type('application/json;charset=utf-8')
    .send({ error: { code: error.code, message: error.message } });
}

/**
 * The root the links of answers start with: the configured one (absolute http(s)), else the
 * path-absolute prefix (OData 4.0 JSON format: context URLs and next links may be relative; a
 * relative one resolves against the request URL, so against the host the caller already uses).
 */
function serviceRootOf(configured: string | undefined): string {
  if (configured === undefined) return ODATA_PREFIX;
  let url: URL;
  try {
    url = new URL(configured);
  } catch {
    throw new Error('odataRoutes: serviceRoot must be an absolute http(s) URL');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) {
    throw new Error('odataRoutes: serviceRoot must be an absolute http(s) URL without query');
  }
  return configured.replace(/\/+$/, '');
}

/** odata.maxpagesize of the Prefer header(s), when valid. */
function preferredPageSize(request: FastifyRequest): number | undefined {
  const header = request.headers.prefer;
  const values = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  for (const value of values) {
    const match = /^\s*odata\.maxpagesize\s*=\s*"?(\d{1,9})"?\s*$/i.exec(value);
    if (match && Number(match[1]) > 0) return Number(match[1]);
  }
  return undefined;
}

export async function odataRoutes(
  app: FastifyInstance,
  options: ODataRoutesOptions
): Promise<void> {
  const { pool } = options;
  const maxPageSize = options.maxPageSize ?? DEFAULT_MAX_PAGE_SIZE;
  if (!Number.isSafeInteger(maxPageSize) || maxPageSize < 1) {
    throw new Error('odataRoutes: maxPageSize must be a positive integer');
  }
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  if (!Number.isSafeInteger(statementTimeoutMs) || statementTimeoutMs < 0) {
    throw new Error('odataRoutes: statementTimeoutMs must be a non-negative integer');
  }
  const maxSkip = options.maxSkip ?? DEFAULT_MAX_SKIP;
  if (!Number.isSafeInteger(maxSkip) || maxSkip < 0) {
    throw new Error('odataRoutes: maxSkip must be a non-negative integer');
  }
  const mayRead = activityTokenCheck(options.tokens);
  const root = serviceRootOf(options.serviceRoot);
  const bounded = <T>(work: (db: Queryable) => Promise<T>) =>
    withStatementTimeout(pool, statementTimeoutMs, work);

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof ODataError) return sendODataError(reply, error);
    if (isQueryCanceled(error)) {
      request.log.warn(
        { timeoutMs: statementTimeoutMs },
        'OData query cancelled: statement timeout'
      );
      return sendODataError(
        reply,
        new ODataError(
          503,
          'query_timeout',
          'The query took too long. Filter on UserId (or Id) to narrow it.'
        )
      );
    }
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // The framework's own refusals (URI too long...): their status, nothing of the request.
      return reply
        .code(status)
        .type('application/json;charset=utf-8')
        .send({
          error: { code: 'request_error', message: `The request was refused (HTTP ${status}).` }
        });
    }
    request.log.error({ err: error }, 'OData request failed');
    return reply
      .code(500)
      .type('application/json;charset=utf-8')
      .send({ error: { code: 'internal_error', message: 'Internal server error.' } });
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('OData-Version', '4.0');
  });
  app.addHook('onRequest', async (request) => {
    if (!mayRead(request)) {
      request.log.warn(
        { principal: request.principal?.tokenId },
        'OData read refused: token not in ACTIVITY_ODATA_TOKENS'
      );
      throw new ODataError(403, 'forbidden', 'This token may not read activity.');
    }
  });

  const collection = async (request: FastifyRequest, reply: FastifyReply, query: QueryOptions) => {
    const binding = queryBinding(query.defining);
    const delivered = query.skipToken ? decodeSkipToken(query.skipToken, binding) : 0;
    const preferred = preferredPageSize(request);
    const pageSize = Math.min(maxPageSize, preferred ?? maxPageSize);
    if (preferred !== undefined)
      reply.header('Preference-Applied', `odata.maxpagesize=${pageSize}`);
    const remaining = query.top === undefined ? Infinity : Math.max(0, query.top - delivered);
    const limit = Math.min(pageSize, remaining);
    const offset = query.skip + delivered;
    if (offset > maxSkip && !(query.filter && restrictsToUsers(query.filter))) {
      throw badRequest(
        `Rows past ${maxSkip} are served only to queries that filter on UserId or Id (eq).`
      );
    }
    // One row more than the page tells whether a next page exists.
    const [rows, count] = await bounded(async (db) => [
      limit > 0 ? await queryPage(db, query, offset, limit + 1) : [],
      query.count ? await countRows(db, query) : undefined
    ]);
    const page = rows.slice(0, limit);
    const more = rows.length > limit && page.length < remaining;
    const select = query.select ? `(${query.select.map((p) => p.name).join(',')})` : '';
    const body: Record<string, unknown> = {
      '@odata.context': `${root}/$metadata#${ENTITY_SET}${select}`
    };
    if (count !== undefined) body['@odata.count'] = count;
    body.value = page;
    if (more) {
      const next = [
        ...query.defining,
        ['$skiptoken', encodeSkipToken(delivered + page.length, binding)]
      ];
      body['@odata.nextLink'] =
        `${root}/${ENTITY_SET}?${next.map(([n, v]) => `${n}=${v}`).join('&')}`;
    }
    return reply.type(JSON_TYPE).send(body);
  };

  const dispatch = async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url;
    const q = url.indexOf('?');
    const rawPath = (q < 0 ? url : url.slice(0, q)).slice(ODATA_PREFIX.length);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    let resource: string;
    try {
      resource = decodeURIComponent(rawPath).replace(/^\/+/, '');
    } catch {
      throw badRequest('The resource path holds an invalid percent-encoding.');
    }

    if (resource === '') {
      return reply.type(JSON_TYPE).send(serviceDocument(root));
    }
    if (resource === '$metadata') {
      return reply.type('application/xml;charset=utf-8').send(METADATA_XML);
    }
    const query = parseQueryOptions(rawQuery);
    if (resource === ENTITY_SET) return collection(request, reply, query);
    if (resource === `${ENTITY_SET}/$count`) {
      const count = await bounded((db) => countRows(db, query));
      return reply.type('text/plain;charset=utf-8').send(String(count));
    }
    const keyed = /^DailyActivities\((?:Id=)?'((?:[^']|'')*)'\)$/.exec(resource);
    if (keyed) {
      const key = parseKey(keyed[1]!.replace(/''/g, "'"));
      const entity = key ? await bounded((db) => findEntity(db, key, query.select)) : undefined;
      if (!entity) throw notFound('No DailyActivity with this key.');
      const select = query.select ? `(${query.select.map((p) => p.name).join(',')})` : '';
      return reply
        .type(JSON_TYPE)
        .send({ '@odata.context': `${root}/$metadata#${ENTITY_SET}${select}/$entity`, ...entity });
    }
    throw notFound('No such OData resource.');
  };

  // No zod schemas: OData parses its own query language (query-options.ts) and answers errors
  // in its own shape; the schema only documents the operations in /openapi.json.
  const documented = (operationId: string, summary: string, description: string) => ({
    schema: { operationId, summary, description, tags: ['activity-odata'] }
  });
  app.get(
    ODATA_PREFIX,
    documented(
      'odataServiceDocument',
      'OData 4.0 service document of daily activity',
      'The entity sets of the service (DailyActivities).'
    ),
    dispatch
  );
  app.get(
    `${ODATA_PREFIX}/*`,
    documented(
      'odataResource',
      'OData 4.0 resources: $metadata, DailyActivities, DailyActivities/$count, DailyActivities(key)',
      'Salesforce Connect\'s External Data Source (OData 4.0). `$filter` (eq ne gt ge lt le, and or not, parentheses; a property compared with a literal), `$select`, `$orderby`, `$top`, `$skip`, `$count`; server-driven paging with `@odata.nextLink` (`Prefer: odata.maxpagesize`). Errors: `{ "error": { "code", "message" } }`; 501 for OData constructs not implemented (functions, arithmetic, `$search`, `$expand`).'
    ),
    dispatch
  );
}
