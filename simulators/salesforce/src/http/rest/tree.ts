/**
 * sObject Tree (`POST composite/tree/{sObject}`): creates record trees whose roots are of the
 * URL's type, children nested under the parent's child relationship name
 * (`"Contacts": {"records": [...]}`), each record naming its type and a `referenceId` in its
 * `attributes`. As the REST API Developer Guide describes the resource:
 * - up to 200 records across all trees, of up to five types, up to five levels deep;
 * - records are created level by level: every root, then every second-level record, and so
 *   on, each child pointing at the parent created before it;
 * - all or nothing: success answers 201 `{hasErrors: false, results: [{referenceId, id}]}` in
 *   creation order; a failure rolls everything back and answers 400 `{hasErrors: true,
 *   results: [{referenceId, errors: [{statusCode, message, fields}]}]}` with only the records
 *   that failed (one item per instance of a duplicate reference id).
 * The sf CLI's `data import tree` sends its plan's files here, and reads a 400 as a failed
 * import.
 *
 * Sources: developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/
 * resources_composite_sobject_tree.htm, requests_composite_sobject_tree.htm and
 * responses_composite_sobject_tree.htm. `INVALID_INPUT` "Invalid entity type provided in the
 * request: X" is a real per-record answer (github.com/forcedotcom/cli/issues/3285); the other
 * wordings about the request's shape (depth, types, reference ids) are ours: the guide states
 * the rules, not the messages.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  SalesforceApiError,
  type EmulatorContext,
  type FieldDescribe,
  type Principal,
  type SObjectDescribe
} from '../../model.ts';
import { invalidSession, userContext } from '../auth.ts';
import { jsonParserError } from '../errors.ts';
import { savepoint } from './atomic.ts';
import { exceededIdLimit, MAX_COLLECTION_RECORDS } from './collections.ts';
import { objectOrNotFound, saveErrorOf, type SaveError } from './records.ts';

const MAX_DEPTH = 5;
const MAX_TYPES = 5;
/** Starts with a letter or digit; letters, digits and underscores only (case-sensitive). */
const REFERENCE_ID = /^[A-Za-z0-9]\w*$/;

interface TreeRecord {
  referenceId: string;
  object: SObjectDescribe;
  fields: Record<string, unknown>;
  /** The record it is nested under, and this record's field that points at it. */
  parent?: { record: TreeRecord; field: FieldDescribe };
  id?: string;
}

interface TreeFailure {
  referenceId: string;
  errors: SaveError[];
}

function invalidInput(message: string): SalesforceApiError {
  return new SalesforceApiError(400, 'INVALID_INPUT', message);
}

function inputFailure(referenceId: string, message: string): TreeFailure {
  return { referenceId, errors: [{ statusCode: 'INVALID_INPUT', message, fields: [] }] };
}

function recordList(value: unknown, where: string): Array<Record<string, unknown>> {
  const records = (value as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) {
    throw jsonParserError(`Cannot deserialize the sObject tree: ${where} needs a records array`);
  }
  for (const record of records) {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw jsonParserError('Cannot deserialize the sObject tree: each record must be an object');
    }
  }
  return records as Array<Record<string, unknown>>;
}

/** The request's records, level by level (roots first), and the problems of single records. */
function readTree(
  ctx: EmulatorContext,
  root: SObjectDescribe,
  body: unknown
): { levels: TreeRecord[][]; failures: TreeFailure[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw jsonParserError('Cannot deserialize the sObject tree: expected an object with records');
  }
  const levels: TreeRecord[][] = [];
  const failures: TreeFailure[] = [];
  const types = new Set<string>();
  const referenceIds = new Map<string, number>();
  let total = 0;

  const visit = (
    raw: Record<string, unknown>,
    object: SObjectDescribe,
    depth: number,
    parent: TreeRecord['parent']
  ): void => {
    const attributes = (raw.attributes ?? {}) as Record<string, unknown>;
    const { referenceId, type } = attributes;
    if (typeof referenceId !== 'string' || !REFERENCE_ID.test(referenceId)) {
      throw invalidInput(
        'Each record needs attributes.referenceId: letters, digits and underscores, ' +
          'starting with a letter or digit'
      );
    }
    referenceIds.set(referenceId, (referenceIds.get(referenceId) ?? 0) + 1);
    if (typeof type !== 'string' || type.toLowerCase() !== object.name.toLowerCase()) {
      failures.push(
        inputFailure(referenceId, `Invalid entity type provided in the request: ${String(type)}`)
      );
    }
    types.add(object.name);
    const record: TreeRecord = { referenceId, object, fields: {}, ...(parent ? { parent } : {}) };
    (levels[depth] ??= []).push(record);
    total++;
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'attributes') continue;
      const relationship = isNested(value) ? childRelationship(ctx, object, key) : undefined;
      if (!relationship) {
        record.fields[key] = value;
        continue;
      }
      if (depth + 1 >= MAX_DEPTH) {
        throw invalidInput(`An sObject tree can be at most ${MAX_DEPTH} levels deep`);
      }
      for (const child of recordList(value, key)) {
        visit(child, relationship.childObject, depth + 1, { record, field: relationship.field });
      }
    }
  };

  for (const raw of recordList(body, 'the request')) visit(raw, root, 0, undefined);
  if (total > MAX_COLLECTION_RECORDS) throw exceededIdLimit();
  if (types.size > MAX_TYPES) {
    throw invalidInput(`An sObject tree request can create records of at most ${MAX_TYPES} types`);
  }
  for (const [referenceId, count] of referenceIds) {
    if (count < 2) continue;
    const message = `Duplicate ReferenceId provided in the request: ${referenceId}`;
    for (let i = 0; i < count; i++) failures.push(inputFailure(referenceId, message));
  }
  return { levels, failures };
}

function isNested(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'records' in value;
}

function childRelationship(ctx: EmulatorContext, object: SObjectDescribe, name: string) {
  const wanted = name.toLowerCase();
  return ctx.schema
    .childRelationships(object)
    .find((relationship) => relationship.relationshipName?.toLowerCase() === wanted);
}

/** Creates one level; the failures of its records (none created when any failed). */
function createLevel(ctx: EmulatorContext, level: TreeRecord[], by: Principal): TreeFailure[] {
  const failures: TreeFailure[] = [];
  for (const record of level) {
    const fields = { ...record.fields };
    if (record.parent) fields[record.parent.field.name] = record.parent.record.id;
    try {
      record.id = ctx.store.insert(record.object.name, fields, by).Id;
    } catch (error) {
      failures.push({ referenceId: record.referenceId, errors: [saveErrorOf(error)] });
    }
  }
  return failures;
}

function principalOf(request: FastifyRequest): Principal {
  if (!request.session) throw invalidSession();
  return request.session.principal;
}

export async function treeRoutes(
  app: FastifyInstance,
  options: { ctx: EmulatorContext }
): Promise<void> {
  const { ctx: base } = options;

  app.post<{ Params: { version: string; type: string } }>(
    '/composite/tree/:type',
    async (request, reply) => {
      const ctx = userContext(base, request);
      const root = objectOrNotFound(ctx, request.params.type);
      const principal = principalOf(request);
      const { levels, failures } = readTree(ctx, root, request.body);
      if (failures.length > 0) return reply.code(400).send({ hasErrors: true, results: failures });
      const point = savepoint(ctx);
      for (const level of levels) {
        const failed = createLevel(ctx, level, principal);
        if (failed.length > 0) {
          point.rollback();
          return reply.code(400).send({ hasErrors: true, results: failed });
        }
      }
      point.release();
      const results = levels.flat().map(({ referenceId, id }) => ({ referenceId, id }));
      return reply.code(201).send({ hasErrors: false, results });
    }
  );
}
