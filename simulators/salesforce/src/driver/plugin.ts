/**
 * The test driver: routes under `/__emulator/` for tests and the lab, apart from every
 * Salesforce path and without Salesforce authentication. None of them counts as an API call.
 * They answer loopback clients only (403 otherwise) and, when the emulator was started with a
 * driver secret, only requests with `Authorization: Bearer <driver secret>` (401 otherwise):
 * see toolkit/src/loopback.ts.
 *
 * - `POST /__emulator/reset`: empty org (records, events, bulk jobs, API calls, query cursors,
 *   clock);
 *   `{"sessions": true}` also drops every token.
 * - `POST /__emulator/records/{object}`: load fixtures (an array of records, or
 *   `{"records": [...]}`), validated like API writes except that the audit fields CreatedDate,
 *   CreatedById, LastModifiedDate and LastModifiedById may be set (as an org with "Set Audit
 *   Fields upon Record Creation" allows).
 *   All or none: 201 `{ids}`, or 400 `{index, errors}` for the first bad record.
 * - `POST /__emulator/datasets/{object}`: `{"count": N, "template": {...}}` registers N
 *   generated rows (no memory until read); `{i}` in a template string becomes the row index.
 *   Ids increase with the row index. `"modstamps": {"from": iso, "to": iso}` (or
 *   `{"lastDays": D}`: from D days before the emulator clock to now) spreads CreatedDate,
 *   LastModifiedDate and SystemModstamp over the rows, non-decreasing with the index.
 * - `POST /__emulator/faults/bulk-query` `{"object"?, "message"?, "count"?: 1,
 *   "state"?: "Failed"|"Aborted"}`: the next `count` query jobs (on `object`) end in `state`
 *   with `errorMessage` (default "Retried more than fifteen times") instead of completing.
 * - `POST /__emulator/faults/bulk-results` `{"count"?: 1, "status"?: 503}` answers the next
 *   results requests with that 5xx; `{"count"?: 1, "dropAfterBytes": N}` sends the headers and
 *   N bytes of the CSV, then drops the connection.
 * - `GET /__emulator/faults`: what is still armed; `DELETE /__emulator/faults` disarms all.
 * - `POST /__emulator/clock/advance` `{"ms": N}`; `GET /__emulator/clock`.
 * - `GET /__emulator/api-calls`, `POST /__emulator/api-calls/reset`.
 * - `POST /__emulator/sessions` `{"username"?}`: a fresh token for any user (default: the
 *   integration user), with the user's profile and permission sets;
 *   `POST /__emulator/sessions/expire`.
 * - `GET /__emulator/users`: the users, each with its profile and permission sets.
 * - `GET /__emulator/state`: record counts per object, retained events, API calls, clock.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { controlAccessHook } from '../../../../toolkit/src/loopback.ts';
import { SalesforceApiError, type EmulatorContext, type SObjectDescribe } from '../model.ts';
import { resetBulkJobs } from '../bulk/plugin.ts';
import { bulkFaultsOf, DEFAULT_QUERY_FAILURE } from '../bulk/faults.ts';
import { handleNotFound, jsonParserError, sendApiError } from '../http/errors.ts';
import { savepoint } from '../http/rest/atomic.ts';
import type { QueryCursors } from '../http/rest/query-cursors.ts';
import { saveErrorOf } from '../http/rest/records.ts';

const MAX_DATASET_ROWS = 50_000_000;
const MAX_FIXTURES = 10_000;
const DAY_MS = 86_400_000;

/** A fault's `count`: how many requests or jobs it hits (default 1). */
function faultCount(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw badRequest('count must be a whole number of at least 1');
  }
  return value;
}

/** A dataset's `modstamps`: `{from, to}` instants or `{lastDays}` up to the emulator clock. */
function modstampSpread(value: unknown, now: Date): { from: Date; to: Date } | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('modstamps must be {"from", "to"} or {"lastDays"}');
  }
  const { from, to, lastDays } = value as Record<string, unknown>;
  if (lastDays !== undefined) {
    if (typeof lastDays !== 'number' || !(lastDays > 0)) {
      throw badRequest('modstamps.lastDays must be a positive number');
    }
    return { from: new Date(now.getTime() - lastDays * DAY_MS), to: now };
  }
  const start = typeof from === 'string' ? new Date(from) : undefined;
  const end = typeof to === 'string' ? new Date(to) : undefined;
  if (
    !start ||
    !end ||
    Number.isNaN(start.getTime()) ||
    Number.isNaN(end.getTime()) ||
    end < start
  ) {
    throw badRequest('modstamps.from and modstamps.to must be ISO datetimes, from <= to');
  }
  return { from: start, to: end };
}

export interface DriverOptions {
  ctx: EmulatorContext;
  cursors: QueryCursors;
  /** When set, every driver request needs `Authorization: Bearer <secret>`. */
  secret?: string;
}

function badRequest(message: string): SalesforceApiError {
  return new SalesforceApiError(400, 'INVALID_INPUT', message);
}

function objectOf(ctx: EmulatorContext, name: string): SObjectDescribe {
  const object = ctx.schema.getObject(name);
  if (!object)
    throw new SalesforceApiError(404, 'INVALID_TYPE', `sObject type '${name}' is not supported.`);
  return object;
}

function bodyObject(request: FastifyRequest): Record<string, unknown> {
  const body = request.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw jsonParserError('Expected a JSON object');
  return body as Record<string, unknown>;
}

/** A deterministic row maker: `{i}` inside string values becomes the row index. */
export function templateRow(
  template: Record<string, unknown>
): (index: number) => Record<string, unknown> {
  const entries = Object.entries(template);
  return (index) => {
    const row: Record<string, unknown> = {};
    for (const [name, value] of entries) {
      row[name] = typeof value === 'string' ? value.replaceAll('{i}', String(index)) : value;
    }
    return row;
  };
}

/**
 * The inverse of a template for look-ups by external id: a string with `{i}` (`"SAP-{i}"`) tells
 * which row may hold a value (`"SAP-42"` -> 42); the store checks the row itself.
 */
export function templateRowOfKey(
  template: Record<string, unknown>
): (field: string, value: string) => number | undefined {
  const patterns = new Map<string, RegExp>();
  for (const [name, value] of Object.entries(template)) {
    if (typeof value !== 'string' || !value.includes('{i}')) continue;
    const parts = value.split('{i}').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    patterns.set(name.toLowerCase(), new RegExp(`^${parts.join('(0|[1-9]\\d*)')}$`, 'i'));
  }
  return (field, value) => {
    const match = patterns.get(field.toLowerCase())?.exec(value);
    if (!match) return undefined;
    const index = Number(match[1]);
    // Every `{i}` of the template is the same number.
    return match.slice(1).every((group) => Number(group) === index) ? index : undefined;
  };
}

/** The emulator's store lets fixtures set the audit fields (as "Set Audit Fields" does). */
interface AuditWriter {
  insert(
    objectName: string,
    fields: Record<string, unknown>,
    by: EmulatorContext['integrationUser'],
    options?: { allowAuditFields?: boolean }
  ): { Id: string };
}

export async function driverRoutes(app: FastifyInstance, options: DriverOptions): Promise<void> {
  const { ctx, cursors, secret } = options;

  await app.register(
    async (driver) => {
      driver.addHook(
        'onRequest',
        controlAccessHook({
          secret,
          realm: 'salesforce-emulator-driver',
          refuse: (reply, refusal) =>
            sendApiError(
              reply,
              new SalesforceApiError(
                refusal.status,
                refusal.status === 401 ? 'INVALID_AUTH_HEADER' : 'INSUFFICIENT_ACCESS',
                refusal.message
              )
            )
        })
      );
      // Unknown driver paths answer like any unknown path, but only past the guard.
      driver.setNotFoundHandler(handleNotFound);

      driver.post('/reset', async (request) => {
        const body = bodyObject(request);
        ctx.store.reset();
        ctx.bus.reset();
        ctx.apiCalls.reset();
        ctx.clock.reset();
        cursors.clear();
        resetBulkJobs(ctx);
        ctx.permissions.reset();
        if (body.sessions === true) ctx.sessions.reset();
        return { reset: true };
      });

      driver.post<{ Params: { object: string } }>('/records/:object', async (request, reply) => {
        const object = objectOf(ctx, request.params.object);
        const body = request.body;
        const records = Array.isArray(body)
          ? body
          : Array.isArray((body as { records?: unknown } | null)?.records)
            ? (body as { records: unknown[] }).records
            : undefined;
        if (!records) throw badRequest('Send an array of records or {"records": [...]}');
        if (records.length > MAX_FIXTURES) {
          throw badRequest(`At most ${MAX_FIXTURES} records per call; use datasets for volume`);
        }
        const writer = ctx.store as unknown as AuditWriter;
        const point = savepoint(ctx);
        const ids: string[] = [];
        for (const [index, raw] of records.entries()) {
          if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
            point.rollback();
            throw badRequest(`Record ${index} is not a JSON object`);
          }
          const fields = { ...(raw as Record<string, unknown>) };
          delete fields.attributes;
          try {
            ids.push(
              writer.insert(object.name, fields, ctx.adminUser, { allowAuditFields: true }).Id
            );
          } catch (error) {
            point.rollback();
            return reply.code(400).send({ index, errors: [saveErrorOf(error)] });
          }
        }
        point.release();
        return reply.code(201).send({ ids });
      });

      driver.post<{ Params: { object: string } }>('/datasets/:object', async (request, reply) => {
        const object = objectOf(ctx, request.params.object);
        const { count, template, modstamps } = bodyObject(request);
        if (
          typeof count !== 'number' ||
          !Number.isSafeInteger(count) ||
          count < 1 ||
          count > MAX_DATASET_ROWS
        ) {
          throw badRequest(`count must be a whole number from 1 to ${MAX_DATASET_ROWS}`);
        }
        if (template === null || typeof template !== 'object' || Array.isArray(template)) {
          throw badRequest('template must be an object of field values');
        }
        for (const name of Object.keys(template)) {
          if (!ctx.schema.getField(object, name)) {
            throw new SalesforceApiError(
              400,
              'INVALID_FIELD',
              `No such column '${name}' on sobject of type ${object.name}`,
              [name]
            );
          }
        }
        const spread = modstampSpread(modstamps, ctx.clock.now());
        const fields = template as Record<string, unknown>;
        ctx.store.addGeneratedDataset(object.name, count, templateRow(fields), {
          ...(spread ? { modstamps: spread } : {}),
          rowOfKey: templateRowOfKey(fields)
        });
        return reply
          .code(201)
          .send({ object: object.name, count, total: ctx.store.count(object.name) });
      });

      driver.post('/faults/bulk-query', async (request) => {
        const { object, message, count, state } = bodyObject(request);
        if (object !== undefined && typeof object !== 'string') {
          throw badRequest('object must be an object API name');
        }
        if (object !== undefined) objectOf(ctx, object);
        if (message !== undefined && (typeof message !== 'string' || message === '')) {
          throw badRequest('message must be a non-empty string');
        }
        if (state !== undefined && state !== 'Failed' && state !== 'Aborted') {
          throw badRequest('state must be Failed or Aborted');
        }
        bulkFaultsOf(ctx).armQueryJob({
          ...(object === undefined ? {} : { object }),
          state: state ?? 'Failed',
          message: message ?? DEFAULT_QUERY_FAILURE,
          remaining: faultCount(count)
        });
        return bulkFaultsOf(ctx).armed();
      });

      driver.post('/faults/bulk-results', async (request) => {
        const { count, status, dropAfterBytes } = bodyObject(request);
        const remaining = faultCount(count);
        if (dropAfterBytes !== undefined) {
          if (
            typeof dropAfterBytes !== 'number' ||
            !Number.isSafeInteger(dropAfterBytes) ||
            dropAfterBytes < 0
          ) {
            throw badRequest('dropAfterBytes must be a whole number of bytes');
          }
          bulkFaultsOf(ctx).armResults({ kind: 'drop', afterBytes: dropAfterBytes, remaining });
        } else {
          const code = status ?? 503;
          if (typeof code !== 'number' || !Number.isInteger(code) || code < 500 || code > 599) {
            throw badRequest('status must be a 5xx status code');
          }
          bulkFaultsOf(ctx).armResults({ kind: 'status', status: code, remaining });
        }
        return bulkFaultsOf(ctx).armed();
      });

      driver.get('/faults', async () => bulkFaultsOf(ctx).armed());

      driver.delete('/faults', async () => {
        bulkFaultsOf(ctx).clear();
        return bulkFaultsOf(ctx).armed();
      });

      driver.post('/clock/advance', async (request) => {
        const { ms } = bodyObject(request);
        if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
          throw badRequest('ms must be a non-negative number of milliseconds');
        }
        ctx.clock.advance(ms);
        return { now: ctx.clock.now().toISOString() };
      });

      driver.get('/clock', async () => ({ now: ctx.clock.now().toISOString() }));

      driver.get('/api-calls', async () => ({
        total: ctx.apiCalls.total(),
        byKind: ctx.apiCalls.byKind(),
        dailyMax: ctx.apiCalls.dailyMax
      }));

      driver.post('/api-calls/reset', async () => {
        ctx.apiCalls.reset();
        return { total: ctx.apiCalls.total() };
      });

      driver.post('/sessions', async (request) => {
        const { username } = bodyObject(request);
        const name = typeof username === 'string' ? username : ctx.integrationUser.username;
        let session;
        try {
          session = ctx.sessions.issue(name);
        } catch {
          throw badRequest(`Unknown user ${name}`);
        }
        return {
          accessToken: session.accessToken,
          username: session.principal.username,
          userId: session.principal.userId,
          ...ctx.permissions.assignment(session.principal.userId),
          expiresAt: session.expiresAt.toISOString()
        };
      });

      driver.get('/users', async () => ({
        users: [...ctx.store.scan('User')].map((user) => ({
          userId: user.Id,
          username: user.Username,
          isActive: user.IsActive !== false,
          ...ctx.permissions.assignment(user.Id)
        }))
      }));

      driver.post('/sessions/expire', async () => {
        ctx.sessions.expireAll();
        return { expired: true };
      });

      driver.get('/state', async () => {
        const records: Record<string, number> = {};
        const events: Record<string, number> = {};
        for (const object of ctx.schema.objects()) {
          if (object.kind === 'platformEvent') {
            const retained = ctx.bus.retained(object.name).length;
            if (retained > 0) events[object.name] = retained;
            continue;
          }
          const count = ctx.store.count(object.name);
          if (count > 0) records[object.name] = count;
        }
        return {
          organizationId: ctx.config.organizationId,
          now: ctx.clock.now().toISOString(),
          records,
          events,
          apiCalls: { total: ctx.apiCalls.total(), byKind: ctx.apiCalls.byKind() },
          openQueryCursors: cursors.size()
        };
      });
    },
    { prefix: '/__emulator' }
  );
}
