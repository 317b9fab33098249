/**
 * sObject resources: global describe (`GET sobjects`), basic info (`GET sobjects/X`), describe,
 * create, retrieve (with `?fields=`), update, delete, the records changed or deleted in a time
 * window (`updated`, `deleted`), relationship traversal (`sobjects/X/{id}/{relationship}`) and
 * sObject Rows by External ID (`GET|PATCH|POST|DELETE sobjects/X/{field}/{value}`: upsert).
 *
 * Statuses as the real API: create 201 `{id, success, errors}` with a Location header, update
 * and delete 204, upsert 201 on create and, from v46.0, 200 `{..., created: false}` on update
 * (204 before), 300 with the matching record URLs when an external id is ambiguous.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  SalesforceApiError,
  type EmulatorContext,
  type FieldDescribe,
  type Principal,
  type SObjectDescribe,
  type SfRecord
} from '../../model.ts';
import { isValidId, normalizeId } from '../../ids.ts';
import { insufficientAccess } from '../../permissions/user-store.ts';
import { invalidSession, userContext } from '../auth.ts';
import { notFound, versionMajor } from '../versions.ts';
import { blobField } from '../../files/blob-fields.ts';
import { describeGlobal, describeGlobalEntry, describeObject } from './describe.ts';
import {
  acceptMultipart,
  createWithFile,
  isMultipart,
  sendBlob,
  type FileRouteOptions
} from './files.ts';
import {
  createResult,
  objectOrNotFound,
  recordBody,
  renderRecord,
  resolveFieldList,
  sobjectUrl
} from './records.ts';

type VersionParams = { version: string };
type TypeParams = VersionParams & { type: string };
type RecordParams = TypeParams & { id: string };
type ExternalParams = TypeParams & { field: string; value: string };

function externalFieldNotFound(name: string): SalesforceApiError {
  return new SalesforceApiError(
    404,
    'NOT_FOUND',
    `Provided external ID field does not exist or is not accessible: ${name}`
  );
}

function methodNotAllowed(method: string, allowed: string): SalesforceApiError {
  return new SalesforceApiError(
    405,
    'METHOD_NOT_ALLOWED',
    `HTTP Method '${method}' not allowed. Allowed are ${allowed}`
  );
}

/** A 15- or 18-character id in its 18-character form; anything else is no record URL. */
function idParam(rawId: string): string {
  const id = isValidId(rawId) ? normalizeId(rawId) : undefined;
  if (id === undefined) throw externalFieldNotFound(rawId);
  return id;
}

function entityIsDeleted(): SalesforceApiError {
  return new SalesforceApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
}

/** A live record of this object, else 404: ENTITY_IS_DELETED for one in the recycle bin. */
function recordOrNotFound(ctx: EmulatorContext, object: SObjectDescribe, rawId: string): SfRecord {
  const id = idParam(rawId);
  const record = ctx.store.get(object.name, id);
  if (record) return record;
  // Only on a miss: a deleted record is told apart by looking through the recycle bin.
  if (id.slice(0, 3) === object.keyPrefix) {
    for (const candidate of ctx.store.scan(object.name, { includeDeleted: true })) {
      if (candidate.Id === id && candidate.IsDeleted === true) throw entityIsDeleted();
    }
  }
  throw notFound();
}

/** A field usable as an upsert / lookup key: Id, external ids, idLookup fields. */
function keyFieldOrNotFound(
  ctx: EmulatorContext,
  object: SObjectDescribe,
  name: string
): FieldDescribe {
  const field = ctx.schema.getField(object, name);
  if (!field || !(field.idLookup || field.externalId || field.name === 'Id')) {
    throw externalFieldNotFound(name);
  }
  return field;
}

function sameKey(field: FieldDescribe, stored: unknown, wanted: string): boolean {
  if (stored === null || stored === undefined) return false;
  const text = String(stored);
  return field.caseSensitive ? text === wanted : text.toLowerCase() === wanted.toLowerCase();
}

/** Records whose key field equals `value` (Salesforce matches external ids case-insensitively). */
function findByKey(
  ctx: EmulatorContext,
  object: SObjectDescribe,
  field: FieldDescribe,
  value: string
): SfRecord[] {
  if (field.name === 'Id') {
    const id = normalizeId(value);
    const record = id ? ctx.store.get(object.name, id) : undefined;
    return record ? [record] : [];
  }
  const matches: SfRecord[] = [];
  for (const record of ctx.store.scan(object.name)) {
    if (sameKey(field, record[field.name], value)) matches.push(record);
  }
  return matches;
}

function multipleChoices(
  reply: FastifyReply,
  version: string,
  object: SObjectDescribe,
  matches: SfRecord[]
): FastifyReply {
  return reply.code(300).send(matches.map((record) => sobjectUrl(version, object.name, record.Id)));
}

function principalOf(request: FastifyRequest): Principal {
  if (!request.session) throw invalidSession();
  return request.session.principal;
}

function fieldsParam(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown>;
  return typeof query.fields === 'string' ? query.fields : undefined;
}

/** `2026-11-29T03:00:00+00:00` style parameters of `updated` / `deleted`. */
function dateParam(request: FastifyRequest, name: 'start' | 'end'): Date {
  const raw = (request.query as Record<string, unknown>)[name];
  const date = typeof raw === 'string' ? new Date(raw) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new SalesforceApiError(
      400,
      'INVALID_DATE_FORMAT',
      `${name} must be a valid dateTime in ISO 8601 format`
    );
  }
  return date;
}

function restDateTime(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

/**
 * `If-Modified-Since` on describe (REST API Developer Guide, "sObject Describe" and "Describe
 * Global"): 304 Not Modified, without a body, when the metadata has not changed since that
 * instant. HTTP dates have whole seconds, so the load time is compared at that precision.
 */
function notModifiedSince(request: FastifyRequest, changedAt: Date): boolean {
  const header = request.headers['if-modified-since'];
  const since = typeof header === 'string' ? Date.parse(header) : Number.NaN;
  if (Number.isNaN(since)) return false;
  return Math.floor(changedAt.getTime() / 1000) * 1000 <= since;
}

function timeOf(record: SfRecord, field: string): number {
  const value = record[field];
  return typeof value === 'string' ? Date.parse(value.replace(/\+0000$/, 'Z')) : Number.NaN;
}

export async function sobjectRoutes(
  app: FastifyInstance,
  options: { ctx: EmulatorContext; files: FileRouteOptions }
): Promise<void> {
  const { ctx: base, files } = options;
  acceptMultipart(app);
  // The schema comes from the metadata read at start and never changes afterwards.
  const schemaLoadedAt = base.clock.now();

  app.get<{ Params: VersionParams }>('/sobjects', async (request, reply) => {
    if (notModifiedSince(request, schemaLoadedAt)) return reply.code(304).send();
    return describeGlobal(request.params.version, userContext(base, request).schema);
  });

  app.get<{ Params: TypeParams }>('/sobjects/:type', async (request) => {
    const ctx = userContext(base, request);
    const object = objectOrNotFound(ctx, request.params.type);
    return { objectDescribe: describeGlobalEntry(request.params.version, object), recentItems: [] };
  });

  app.get<{ Params: TypeParams }>('/sobjects/:type/describe', async (request, reply) => {
    const ctx = userContext(base, request);
    const object = objectOrNotFound(ctx, request.params.type);
    if (notModifiedSince(request, schemaLoadedAt)) return reply.code(304).send();
    const recordTypes = [...ctx.store.scan('RecordType')].filter(
      (type) => type.SobjectType === object.name
    );
    return describeObject(request.params.version, ctx.schema, object, recordTypes);
  });

  app.post<{ Params: TypeParams }>('/sobjects/:type', async (request, reply) => {
    const ctx = userContext(base, request);
    const object = objectOrNotFound(ctx, request.params.type);
    if (isMultipart(request)) {
      // No Create on the object: refused before a byte of the (streamed) file is read.
      if (!base.permissions.objectRights(principalOf(request), object.name).create) {
        throw insufficientAccess();
      }
      return createWithFile(ctx, files, request, reply, object, principalOf(request));
    }
    const created = ctx.store.insert(object.name, recordBody(request.body), principalOf(request));
    return reply
      .code(201)
      .header('Location', sobjectUrl(request.params.version, object.name, created.Id))
      .send(createResult(object, created));
  });

  app.get<{ Params: TypeParams }>('/sobjects/:type/updated', async (request) => {
    const ctx = userContext(base, request);
    const object = objectOrNotFound(ctx, request.params.type);
    const start = dateParam(request, 'start').getTime();
    const end = dateParam(request, 'end').getTime();
    const ids: string[] = [];
    for (const record of ctx.store.scan(object.name)) {
      const modified = timeOf(record, 'SystemModstamp') || timeOf(record, 'LastModifiedDate');
      if (modified >= start && modified <= end) ids.push(record.Id);
    }
    return {
      ids,
      latestDateCovered: restDateTime(new Date(Math.min(end, ctx.clock.now().getTime())))
    };
  });

  app.get<{ Params: TypeParams }>('/sobjects/:type/deleted', async (request) => {
    const ctx = userContext(base, request);
    const object = objectOrNotFound(ctx, request.params.type);
    const start = dateParam(request, 'start').getTime();
    const end = dateParam(request, 'end').getTime();
    const deletedRecords: Array<{ id: string; deletedDate: string }> = [];
    let earliest: number | undefined;
    for (const record of ctx.store.scan(object.name, { includeDeleted: true })) {
      if (record.IsDeleted !== true) continue;
      const deletedAt = timeOf(record, 'SystemModstamp') || timeOf(record, 'LastModifiedDate');
      earliest = earliest === undefined ? deletedAt : Math.min(earliest, deletedAt);
      if (deletedAt >= start && deletedAt <= end) {
        deletedRecords.push({ id: record.Id, deletedDate: restDateTime(new Date(deletedAt)) });
      }
    }
    const now = ctx.clock.now().getTime();
    return {
      deletedRecords,
      earliestDateAvailable: restDateTime(new Date(earliest ?? now)),
      latestDateCovered: restDateTime(new Date(Math.min(end, now)))
    };
  });

  app.get<{ Params: RecordParams }>('/sobjects/:type/:id', async (request) => {
    const ctx = userContext(base, request);
    const object = objectOrNotFound(ctx, request.params.type);
    const record = recordOrNotFound(ctx, object, request.params.id);
    const raw = fieldsParam(request);
    const fields = raw === undefined ? undefined : resolveFieldList(ctx, object, raw);
    return renderRecord(request.params.version, object, record, fields);
  });

  app.patch<{ Params: RecordParams }>('/sobjects/:type/:id', async (request, reply) => {
    const ctx = userContext(base, request);
    const object = objectOrNotFound(ctx, request.params.type);
    const id = idParam(request.params.id);
    ctx.store.update(object.name, id, recordBody(request.body), principalOf(request));
    return reply.code(204).send();
  });

  app.delete<{ Params: RecordParams }>('/sobjects/:type/:id', async (request, reply) => {
    const ctx = userContext(base, request);
    const object = objectOrNotFound(ctx, request.params.type);
    const id = idParam(request.params.id);
    ctx.store.delete(object.name, id, principalOf(request));
    return reply.code(204).send();
  });

  // v37.0+: POST sobjects/X/Id creates a record (Id as the external id, with no value).
  app.post<{ Params: RecordParams }>('/sobjects/:type/:id', async (request, reply) => {
    const ctx = userContext(base, request);
    const object = objectOrNotFound(ctx, request.params.type);
    if (request.params.id !== 'Id') {
      if (isValidId(request.params.id)) throw methodNotAllowed('POST', 'HEAD,GET,PATCH,DELETE');
      throw externalFieldNotFound(request.params.id);
    }
    const created = ctx.store.insert(object.name, recordBody(request.body), principalOf(request));
    return reply
      .code(201)
      .header('Location', sobjectUrl(request.params.version, object.name, created.Id))
      .send({ ...createResult(object, created), created: true });
  });

  // GET sobjects/X/{id}/{relationship} (a parent by relationship name) or by external id.
  app.get<{ Params: ExternalParams }>('/sobjects/:type/:field/:value', async (request, reply) => {
    const ctx = userContext(base, request);
    const { version } = request.params;
    const object = objectOrNotFound(ctx, request.params.type);
    if (isValidId(request.params.field) && !ctx.schema.getField(object, request.params.field)) {
      const record = recordOrNotFound(ctx, object, request.params.field);
      // sobjects/ContentVersion/{id}/VersionData: the file's bytes.
      const blob = blobField(object, request.params.value);
      if (blob) return sendBlob(files.files, reply, record, blob);
      const relationship = ctx.schema.getRelationship(object, request.params.value);
      if (!relationship) throw notFound();
      const parentId = record[relationship.name];
      const parent = typeof parentId === 'string' ? ctx.store.getById(parentId) : undefined;
      if (!parent) throw notFound();
      const raw = fieldsParam(request);
      const fields = raw === undefined ? undefined : resolveFieldList(ctx, parent.object, raw);
      return renderRecord(version, parent.object, parent.record, fields);
    }
    const field = keyFieldOrNotFound(ctx, object, request.params.field);
    const matches = findByKey(ctx, object, field, request.params.value);
    if (matches.length === 0) throw notFound();
    if (matches.length > 1) return multipleChoices(reply, version, object, matches);
    const raw = fieldsParam(request);
    const fields = raw === undefined ? undefined : resolveFieldList(ctx, object, raw);
    return renderRecord(version, object, matches[0] as SfRecord, fields);
  });

  const upsert = async (
    request: FastifyRequest<{ Params: ExternalParams }>,
    reply: FastifyReply
  ): Promise<FastifyReply> => {
    const ctx = userContext(base, request);
    const { version } = request.params;
    const object = objectOrNotFound(ctx, request.params.type);
    const field = keyFieldOrNotFound(ctx, object, request.params.field);
    const body = recordBody(request.body);
    const principal = principalOf(request);
    const updateOnly = (request.query as Record<string, unknown>).updateOnly === 'true';
    if (updateOnly && findByKey(ctx, object, field, request.params.value).length === 0) {
      throw notFound();
    }
    let result;
    try {
      result = ctx.store.upsert(object.name, field.name, request.params.value, body, principal);
    } catch (error) {
      // An ambiguous key answers 300 with the matching records' URLs.
      if (error instanceof SalesforceApiError && error.httpStatus === 300) {
        return multipleChoices(
          reply,
          version,
          object,
          findByKey(ctx, object, field, request.params.value)
        );
      }
      throw error;
    }
    const withCreated = versionMajor(version) >= 46;
    if (result.created) {
      return reply
        .code(201)
        .header('Location', sobjectUrl(version, object.name, result.id))
        .send({
          id: result.id,
          success: true,
          errors: [],
          ...(withCreated ? { created: true } : {})
        });
    }
    if (!withCreated) return reply.code(204).send();
    return reply.code(200).send({ id: result.id, success: true, errors: [], created: false });
  };
  app.patch<{ Params: ExternalParams }>('/sobjects/:type/:field/:value', upsert);
  app.post<{ Params: ExternalParams }>('/sobjects/:type/:field/:value', upsert);

  app.delete<{ Params: ExternalParams }>(
    '/sobjects/:type/:field/:value',
    async (request, reply) => {
      const ctx = userContext(base, request);
      const { version } = request.params;
      const object = objectOrNotFound(ctx, request.params.type);
      const field = keyFieldOrNotFound(ctx, object, request.params.field);
      const matches = findByKey(ctx, object, field, request.params.value);
      if (matches.length === 0) throw notFound();
      if (matches.length > 1) return multipleChoices(reply, version, object, matches);
      ctx.store.delete(object.name, (matches[0] as SfRecord).Id, principalOf(request));
      return reply.code(204).send();
    }
  );
}
