/**
 * sObject Collections (`/composite/sobjects`): create, update, upsert and delete up to 200
 * records in one call, and retrieve many records of one object. The whole request is one API
 * call. With `allOrNone: true` every record is tried, and if any fails the others are rolled
 * back and report ALL_OR_NONE_OPERATION_ROLLED_BACK; otherwise each record succeeds or fails
 * on its own. Either way the answer is 200 with one result per record, in request order.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  SalesforceApiError,
  type EmulatorContext,
  type Principal,
  type SObjectDescribe
} from '../../model.ts';
import { isValidId, normalizeId } from '../../ids.ts';
import { invalidSession, userContext } from '../auth.ts';
import { jsonParserError } from '../errors.ts';
import { savepoint } from './atomic.ts';
import {
  createResult,
  objectOrNotFound,
  renderRecord,
  resolveFieldList,
  ROLLED_BACK,
  saveErrorOf,
  type SaveError
} from './records.ts';

export const MAX_COLLECTION_RECORDS = 200;

interface SaveResult {
  id?: string;
  success: boolean;
  errors: SaveError[];
  created?: boolean;
}

export function exceededIdLimit(): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'EXCEEDED_ID_LIMIT',
    'record limit reached. cannot submit more than 200 records into this call'
  );
}

class RecordFailure extends Error {
  constructor(readonly saveError: SaveError) {
    super(saveError.message);
  }
}

function fail(statusCode: string, message: string, fields: string[] = []): never {
  throw new RecordFailure({ statusCode, message, fields });
}

function principalOf(request: FastifyRequest): Principal {
  if (!request.session) throw invalidSession();
  return request.session.principal;
}

interface CollectionBody {
  allOrNone: boolean;
  records: Array<Record<string, unknown>>;
}

function collectionBody(body: unknown): CollectionBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw jsonParserError(
      'Cannot deserialize instance of the collection request: expected an object with records'
    );
  }
  const { allOrNone, records } = body as Record<string, unknown>;
  if (!Array.isArray(records)) {
    throw new SalesforceApiError(400, 'INVALID_FIELD', "The 'records' field is required");
  }
  if (records.length > MAX_COLLECTION_RECORDS) throw exceededIdLimit();
  for (const record of records) {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw jsonParserError(
        'Cannot deserialize instance of SObject: each record must be a JSON object'
      );
    }
  }
  if (allOrNone !== undefined && typeof allOrNone !== 'boolean') {
    throw jsonParserError("Cannot deserialize value of type 'boolean' for allOrNone");
  }
  return { allOrNone: allOrNone === true, records: records as Array<Record<string, unknown>> };
}

/** A record's object from its `attributes.type`. */
function typeOf(ctx: EmulatorContext, record: Record<string, unknown>): SObjectDescribe {
  const attributes = record.attributes as Record<string, unknown> | undefined;
  const type = attributes && typeof attributes.type === 'string' ? attributes.type : undefined;
  if (!type)
    fail('INVALID_TYPE', 'sObject type must be specified in the attributes map of each record');
  const object = ctx.schema.getObject(type);
  if (!object) fail('INVALID_TYPE', `sObject type '${type}' is not supported.`);
  return object;
}

/** The fields to write: everything but `attributes` and (for update/upsert) the id itself. */
function writableFields(record: Record<string, unknown>, drop: string[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (name === 'attributes' || drop.some((d) => d.toLowerCase() === name.toLowerCase())) continue;
    fields[name] = value;
  }
  return fields;
}

function idOf(record: Record<string, unknown>): unknown {
  for (const [name, value] of Object.entries(record)) if (name.toLowerCase() === 'id') return value;
  return undefined;
}

/** An id that must belong to `object`: MALFORMED_ID as Salesforce words it otherwise. */
function idFor(ctx: EmulatorContext, object: SObjectDescribe, raw: unknown): string {
  if (raw === undefined || raw === null || raw === '') {
    fail('MISSING_ARGUMENT', 'Id not specified in an update call', []);
  }
  const id = typeof raw === 'string' ? normalizeId(raw) : undefined;
  if (!id || ctx.schema.objectForKeyPrefix(id.slice(0, 3))?.name !== object.name) {
    fail('MALFORMED_ID', `${object.label} ID: id value of incorrect type: ${String(raw)}`, ['Id']);
  }
  return id;
}

/**
 * Runs one write per record, each isolated; with allOrNone, rolls every write back when any
 * failed and marks the successful ones as rolled back.
 */
export function runCollection<T>(
  ctx: EmulatorContext,
  items: T[],
  allOrNone: boolean,
  write: (item: T, index: number) => SaveResult,
  failed: (item: T, error: SaveError) => SaveResult
): SaveResult[] {
  const point = allOrNone ? savepoint(ctx) : undefined;
  const results = items.map((item, index) => {
    try {
      return write(item, index);
    } catch (error) {
      return failed(item, error instanceof RecordFailure ? error.saveError : saveErrorOf(error));
    }
  });
  if (point && results.some((result) => !result.success)) {
    point.rollback();
    return results.map((result, index) =>
      result.success ? failed(items[index] as T, ROLLED_BACK) : result
    );
  }
  point?.release();
  return results;
}

function withoutId(error: SaveError): SaveResult {
  return { success: false, errors: [error] };
}

/**
 * Create, update and upsert collections: the records of the request body, each written by
 * `write` as the requesting user; a record that fails answers without an id.
 */
function writeRecords(
  ctx: EmulatorContext,
  request: FastifyRequest,
  write: (record: Record<string, unknown>, principal: Principal) => SaveResult
): SaveResult[] {
  const { allOrNone, records } = collectionBody(request.body);
  const principal = principalOf(request);
  return runCollection(
    ctx,
    records,
    allOrNone,
    (record) => write(record, principal),
    (_record, error) => withoutId(error)
  );
}

function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

export async function collectionRoutes(
  app: FastifyInstance,
  options: { ctx: EmulatorContext }
): Promise<void> {
  const { ctx: base } = options;
  type VersionParams = { version: string };

  app.post<{ Params: VersionParams }>('/composite/sobjects', async (request) => {
    const ctx = userContext(base, request);
    return writeRecords(ctx, request, (record, principal) => {
      const object = typeOf(ctx, record);
      const created = ctx.store.insert(object.name, writableFields(record, []), principal);
      return createResult(object, created);
    });
  });

  app.patch<{ Params: VersionParams }>('/composite/sobjects', async (request) => {
    const ctx = userContext(base, request);
    return writeRecords(ctx, request, (record, principal) => {
      const object = typeOf(ctx, record);
      const id = idFor(ctx, object, idOf(record));
      ctx.store.update(object.name, id, writableFields(record, ['Id']), principal);
      return { id, success: true, errors: [] };
    });
  });

  app.delete<{ Params: VersionParams }>('/composite/sobjects', async (request) => {
    const ctx = userContext(base, request);
    const ids = splitList(queryParam(request, 'ids') ?? '');
    if (ids.length === 0) {
      throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'ids parameter is required');
    }
    if (ids.length > MAX_COLLECTION_RECORDS) throw exceededIdLimit();
    const allOrNone = queryParam(request, 'allOrNone') === 'true';
    const principal = principalOf(request);
    return runCollection(
      ctx,
      ids,
      allOrNone,
      (raw) => {
        const id = isValidId(raw) ? normalizeId(raw) : undefined;
        const found = id ? ctx.store.getById(id) : undefined;
        if (!id) fail('MALFORMED_ID', `malformed id ${raw}`);
        if (!found) fail('ENTITY_IS_DELETED', 'entity is deleted');
        ctx.store.delete(found.object.name, id, principal);
        return { id, success: true, errors: [] };
      },
      // Delete results always name the id they are about.
      (raw, error) => ({ id: normalizeId(raw) ?? raw, success: false, errors: [error] })
    );
  });

  app.patch<{ Params: VersionParams & { type: string; field: string } }>(
    '/composite/sobjects/:type/:field',
    async (request) => {
      const ctx = userContext(base, request);
      const object = objectOrNotFound(ctx, request.params.type);
      const keyField = ctx.schema.getField(object, request.params.field);
      if (!keyField || !(keyField.externalId || keyField.idLookup || keyField.name === 'Id')) {
        throw new SalesforceApiError(
          404,
          'NOT_FOUND',
          `Provided external ID field does not exist or is not accessible: ${request.params.field}`
        );
      }
      return writeRecords(ctx, request, (record, principal) => {
        const type = typeOf(ctx, record);
        if (type.name !== object.name) {
          fail('INVALID_TYPE', `Record type ${type.name} does not match ${object.name} in the URL`);
        }
        const key = Object.entries(record).find(
          ([name]) => name.toLowerCase() === keyField.name.toLowerCase()
        )?.[1];
        if (key === undefined || key === null || key === '') {
          fail('MISSING_ARGUMENT', `${keyField.name} not specified`, [keyField.name]);
        }
        const result = ctx.store.upsert(
          object.name,
          keyField.name,
          String(key),
          writableFields(record, keyField.name === 'Id' ? ['Id'] : []),
          principal
        );
        return { id: result.id, success: true, errors: [], created: result.created };
      });
    }
  );

  const retrieve = (
    ctx: EmulatorContext,
    version: string,
    typeName: string,
    ids: string[],
    fieldList: string[]
  ): Array<Record<string, unknown> | null> => {
    const object = objectOrNotFound(ctx, typeName);
    if (ids.length > 2000) throw exceededIdLimit();
    if (fieldList.length === 0) {
      throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'fields parameter is required');
    }
    const fields = resolveFieldList(ctx, object, fieldList.join(','));
    return ids.map((raw) => {
      const id = normalizeId(raw);
      const record = id ? ctx.store.get(object.name, id) : undefined;
      return record ? renderRecord(version, object, record, fields) : null;
    });
  };

  app.get<{ Params: VersionParams & { type: string } }>(
    '/composite/sobjects/:type',
    async (request) =>
      retrieve(
        userContext(base, request),
        request.params.version,
        request.params.type,
        splitList(queryParam(request, 'ids') ?? ''),
        splitList(queryParam(request, 'fields') ?? '')
      )
  );

  // jsforce retrieves many records with a POST body {ids, fields} (no URL length limit).
  app.post<{ Params: VersionParams & { type: string } }>(
    '/composite/sobjects/:type',
    async (request) => {
      const ctx = userContext(base, request);
      const body = request.body as Record<string, unknown> | null;
      const ids = Array.isArray(body?.ids) ? body.ids.map(String) : [];
      const fields = Array.isArray(body?.fields) ? body.fields.map(String) : [];
      return retrieve(ctx, request.params.version, request.params.type, ids, fields);
    }
  );
}
