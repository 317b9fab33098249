/**
 * How records and save results look on the wire: `attributes` with the record URL, every
 * field in describe order (null when empty), compound address fields assembled from their
 * parts, and per-record errors in the `{statusCode, message, fields}` form of save results.
 */
import {
  SalesforceApiError,
  type EmulatorContext,
  type FieldDescribe,
  type SObjectDescribe,
  type SfRecord
} from '../../model.ts';
import { blobValue } from '../../files/blob-fields.ts';
import { apiValue } from '../../java-json.ts';
import { ADDRESS_COMPONENTS } from '../../soql/field-kinds.ts';
import { jsonParserError } from '../errors.ts';
import { notFound } from '../versions.ts';

export function sobjectUrl(version: string, objectName: string, id?: string): string {
  const base = `/services/data/v${version}/sobjects/${objectName}`;
  return id === undefined ? base : `${base}/${id}`;
}

export function attributesOf(
  version: string,
  object: SObjectDescribe,
  id: string
): { type: string; url: string } {
  return { type: object.name, url: sobjectUrl(version, object.name, id) };
}

/** `BillingAddress` from BillingStreet, BillingCity...: null when every part is empty. */
function compoundValue(field: FieldDescribe, record: SfRecord): unknown {
  const prefix = field.name.replace(/Address$/, '');
  if (field.type === 'address') {
    const value: Record<string, unknown> = {};
    let any = false;
    for (const [key, suffix] of ADDRESS_COMPONENTS) {
      const part = record[`${prefix}${suffix}`] ?? null;
      if (part !== null) any = true;
      value[key] = part;
    }
    return any ? value : null;
  }
  const latitude = record[`${field.name.replace(/__s$/, '')}__Latitude__s`] ?? null;
  const longitude = record[`${field.name.replace(/__s$/, '')}__Longitude__s`] ?? null;
  return latitude === null && longitude === null ? null : { latitude, longitude };
}

export function fieldValue(field: FieldDescribe, record: SfRecord): unknown {
  const stored = record[field.name];
  if (stored !== undefined) return stored;
  if (field.type === 'address' || field.type === 'location') return compoundValue(field, record);
  return null;
}

/** A record as `GET sobjects/X/{id}` returns it; `fields` limits the output (Id always last). */
export function renderRecord(
  version: string,
  object: SObjectDescribe,
  record: SfRecord,
  fields?: FieldDescribe[]
): Record<string, unknown> {
  const out: Record<string, unknown> = { attributes: attributesOf(version, object, record.Id) };
  for (const field of fields ?? object.fields) {
    out[field.name] =
      field.type === 'base64'
        ? blobValue(version, object.name, record.Id, field, record[field.name])
        : apiValue(field, fieldValue(field, record));
  }
  if (fields && !('Id' in out)) out.Id = record.Id;
  return out;
}

/** Salesforce's message for an unknown column in a field list. */
export function noSuchColumn(object: SObjectDescribe, fieldName: string): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'INVALID_FIELD',
    `No such column '${fieldName}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`
  );
}

/** A comma-separated `fields` parameter resolved against the schema. */
export function resolveFieldList(
  ctx: EmulatorContext,
  object: SObjectDescribe,
  raw: string
): FieldDescribe[] {
  const fields: FieldDescribe[] = [];
  for (const name of raw.split(',').map((part) => part.trim())) {
    if (name === '') continue;
    const field = ctx.schema.getField(object, name);
    if (!field) throw noSuchColumn(object, name);
    fields.push(field);
  }
  return fields;
}

/** The object of a URL segment, or 404 NOT_FOUND as Salesforce answers an unknown type. */
export function objectOrNotFound(ctx: EmulatorContext, name: string): SObjectDescribe {
  const object = ctx.schema.getObject(name);
  if (!object) throw notFound();
  return object;
}

/** A JSON object body (not an array, not a scalar), without its `attributes` map. */
export function recordBody(body: unknown): Record<string, unknown> {
  if (body === null || body === undefined)
    throw jsonParserError('No content to map due to end-of-input');
  if (Array.isArray(body)) {
    throw jsonParserError(
      'Cannot deserialize instance of SObject out of START_ARRAY token at [line:1, column:1]'
    );
  }
  if (typeof body !== 'object') {
    throw jsonParserError(
      'Cannot deserialize instance of SObject out of VALUE_STRING token at [line:1, column:1]'
    );
  }
  const fields = { ...(body as Record<string, unknown>) };
  delete fields.attributes;
  return fields;
}

export interface SaveError {
  statusCode: string;
  message: string;
  fields: string[];
}

/** A thrown error as one entry of a save result's `errors` (unexpected errors included). */
export function saveErrorOf(error: unknown): SaveError {
  if (error instanceof SalesforceApiError) {
    return {
      statusCode: error.errorCode,
      message: error.message,
      fields: [...(error.fields ?? [])]
    };
  }
  return {
    statusCode: 'UNKNOWN_EXCEPTION',
    message: error instanceof Error ? error.message : String(error),
    fields: []
  };
}

/**
 * The save result of a create. A platform event is queued for publishing, and the API says so
 * in `errors` although it succeeded (Platform Events Developer Guide, "Status Code Returned
 * for Asynchronous Publishing": `201 {"id": "e01xx0000000001AAA", "success": true, "errors":
 * [{"statusCode": "OPERATION_ENQUEUED", "message": "<EventUuid>", "fields": []}]}`).
 */
export function createResult(
  object: SObjectDescribe,
  record: SfRecord
): { id: string; success: true; errors: SaveError[] } {
  const errors: SaveError[] =
    object.kind === 'platformEvent'
      ? [{ statusCode: 'OPERATION_ENQUEUED', message: String(record.EventUuid), fields: [] }]
      : [];
  return { id: record.Id, success: true, errors };
}

export const ROLLED_BACK: SaveError = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message:
    'Record rolled back because not all records were valid and the request was using AllOrNone header',
  fields: []
};
