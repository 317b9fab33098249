/**
 * One ingest job's rows applied to the record store, with Bulk API 2.0's CSV conventions:
 * an empty cell leaves the field alone, `#N/A` sets it to null, values are converted from text by
 * field type, and a `Relationship.ExternalId__c` column sets the lookup to the parent record
 * whose external id matches. Store validation failures become the `sf__Error` text Salesforce
 * writes: `CODE:message:Field1,Field2 --` (`REQUIRED_FIELD_MISSING:Required fields are
 * missing: [Name]:Name --`), with `:--` when the error names no field.
 */
import {
  SalesforceApiError,
  type EmulatorContext,
  type FieldDescribe,
  type Principal,
  type SObjectDescribe
} from '../model.ts';
import { normalizeId } from '../ids.ts';

export type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';

export type RowOutcome =
  { ok: true; id: string; created: boolean } | { ok: false; id: string; error: string };

/** How one uploaded column maps onto the object. */
type ColumnTarget =
  | { kind: 'field'; field: FieldDescribe }
  | { kind: 'parent'; lookup: FieldDescribe; parent: SObjectDescribe; key: FieldDescribe };

/** A row-level failure, already in `sf__Error` form. */
class RowError extends Error {}

function rowError(code: string, message: string, fields: readonly string[] = []): RowError {
  return new RowError(`${code}:${message}:${fields.length > 0 ? `${fields.join(',')} ` : ''}--`);
}

/**
 * The `sf__Error` text of anything the store threw. Two REST answers have another form in bulk
 * results (which report per record, as the SOAP API does): an upsert key matching several
 * records (REST: 300 MULTIPLE_CHOICES) and an id naming no record (REST: 404 NOT_FOUND).
 */
export function errorText(error: unknown): string {
  if (error instanceof RowError) return error.message;
  if (error instanceof SalesforceApiError) {
    if (error.errorCode === 'MULTIPLE_CHOICES') {
      return rowError('DUPLICATE_EXTERNAL_ID', error.message).message;
    }
    if (error.errorCode === 'NOT_FOUND') {
      return rowError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id').message;
    }
    return rowError(error.errorCode, error.message, error.fields).message;
  }
  const message = error instanceof Error ? error.message : String(error);
  return rowError('UNKNOWN_EXCEPTION', message).message;
}

/** Bulk API's message for a cell that does not parse as its field's type. */
function notAValue(column: number, text: string, xsdType: string): RowError {
  return rowError(
    'INVALID_FIELD',
    `Failed to deserialize field at col ${column}. Due to, '${text}' is not a valid value for the type xsd:${xsdType}`
  );
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A CSV cell as the store's JSON value; undefined = leave the field unchanged. */
export function cellValue(field: FieldDescribe, text: string, column: number): unknown {
  if (text === '') return undefined;
  if (text === '#N/A') return null;
  switch (field.type) {
    case 'boolean':
      if (/^(true|1|yes)$/i.test(text)) return true;
      if (/^(false|0|no)$/i.test(text)) return false;
      throw notAValue(column, text, 'boolean');
    case 'int':
      if (/^[+-]?\d+$/.test(text)) return Number(text);
      throw notAValue(column, text, 'int');
    case 'double':
    case 'currency':
    case 'percent': {
      const number = Number(text);
      if (text.trim() !== '' && Number.isFinite(number)) return number;
      throw notAValue(column, text, 'double');
    }
    case 'date': {
      const match = DATETIME.exec(text);
      if (match && (DATE.test(text) || match[2] !== undefined)) return match[1];
      throw notAValue(column, text, 'date');
    }
    case 'datetime': {
      const match = DATETIME.exec(text);
      if (!match) throw notAValue(column, text, 'dateTime');
      const [, day, time = '00:00:00', zone = 'Z'] = match;
      const iso = `${day}T${time.length === 5 ? `${time}:00` : time}${zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`}`;
      const instant = new Date(iso);
      if (Number.isNaN(instant.getTime())) throw notAValue(column, text, 'dateTime');
      return instant.toISOString().replace('Z', '+0000');
    }
    default:
      return text;
  }
}

/**
 * Resolves the uploaded header against the object. Returns the job's failure message for the
 * first unknown column, as Salesforce fails the whole job: `InvalidBatch : Field name not found
 * : Nmae`.
 */
export function resolveHeader(
  ctx: EmulatorContext,
  object: SObjectDescribe,
  header: readonly string[]
): { targets: ColumnTarget[] } | { failure: string } {
  const targets: ColumnTarget[] = [];
  for (const raw of header) {
    const name = raw.trim();
    const dot = name.indexOf('.');
    if (dot < 0) {
      const field = ctx.schema.getField(object, name);
      if (!field) return { failure: `InvalidBatch : Field name not found : ${name}` };
      targets.push({ kind: 'field', field });
      continue;
    }
    const lookup = ctx.schema.getRelationship(object, name.slice(0, dot));
    const parentName = lookup?.referenceTo.length === 1 ? lookup.referenceTo[0] : undefined;
    const parent = parentName === undefined ? undefined : ctx.schema.getObject(parentName);
    const key = parent ? ctx.schema.getField(parent, name.slice(dot + 1)) : undefined;
    if (!lookup || !parent || !key || !(key.idLookup || key.externalId)) {
      return { failure: `InvalidBatch : Field name not found : ${name}` };
    }
    targets.push({ kind: 'parent', lookup, parent, key });
  }
  return { targets };
}

/** Applies rows of one job to the store, one call per row, as the job's principal. */
export class IngestRowWriter {
  /** Parent external id -> record ids, built on first use per parent key field. */
  private readonly parentIndexes = new Map<string, Map<string, string[]>>();
  private readonly idColumn: number;
  private readonly keyColumn: number;

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly object: SObjectDescribe,
    private readonly operation: IngestOperation,
    private readonly targets: readonly ColumnTarget[],
    private readonly by: Principal,
    private readonly externalIdField?: FieldDescribe
  ) {
    this.idColumn = targets.findIndex((t) => t.kind === 'field' && t.field.name === 'Id');
    this.keyColumn = externalIdField
      ? targets.findIndex((t) => t.kind === 'field' && t.field.name === externalIdField.name)
      : -1;
  }

  write(values: readonly string[]): RowOutcome {
    const givenId = this.idColumn >= 0 ? (values[this.idColumn] ?? '').trim() : '';
    try {
      if (values.length !== this.targets.length) {
        throw rowError(
          'INVALID_FIELD',
          `Row has ${values.length} columns but the header has ${this.targets.length}`
        );
      }
      switch (this.operation) {
        case 'insert': {
          if (givenId !== '') {
            throw rowError(
              'INVALID_FIELD_FOR_INSERT_UPDATE',
              'cannot specify Id in an insert call',
              ['Id']
            );
          }
          const record = this.ctx.store.insert(this.object.name, this.fields(values), this.by);
          return { ok: true, id: record.Id, created: true };
        }
        case 'update': {
          if (givenId === '')
            throw rowError('MISSING_ARGUMENT', 'Id not specified in an update call');
          const id = this.recordId(givenId);
          const record = this.ctx.store.update(this.object.name, id, this.fields(values), this.by);
          return { ok: true, id: record.Id, created: false };
        }
        case 'upsert': {
          const keyField = this.externalIdField as FieldDescribe;
          const keyValue = this.keyColumn >= 0 ? (values[this.keyColumn] ?? '').trim() : '';
          if (keyValue === '') {
            throw rowError('MISSING_ARGUMENT', `${keyField.name} not specified`);
          }
          const fields = this.fields(values);
          delete fields[keyField.name];
          const key = keyField.name === 'Id' ? this.recordId(keyValue) : keyValue;
          const result = this.ctx.store.upsert(
            this.object.name,
            keyField.name,
            key,
            fields,
            this.by
          );
          return { ok: true, id: result.id, created: result.created };
        }
        case 'delete':
        case 'hardDelete': {
          if (givenId === '')
            throw rowError('MISSING_ARGUMENT', 'Id not specified in a delete call');
          const id = this.recordId(givenId);
          this.ctx.store.delete(this.object.name, id, this.by);
          return { ok: true, id, created: false };
        }
      }
    } catch (error) {
      return { ok: false, id: normalizeId(givenId) ?? givenId, error: errorText(error) };
    }
  }

  private recordId(text: string): string {
    const id = normalizeId(text);
    if (id === undefined) throw rowError('MALFORMED_ID', `Invalid id: ${text}`, ['Id']);
    return id;
  }

  /** The row's field values for the store (Id left out: it addresses the record). */
  private fields(values: readonly string[]): Record<string, unknown> {
    const fields: Record<string, unknown> = {};
    this.targets.forEach((target, index) => {
      const text = values[index] ?? '';
      if (target.kind === 'field') {
        if (target.field.name === 'Id') return;
        const value = cellValue(target.field, text, index + 1);
        if (value !== undefined) fields[target.field.name] = value;
        return;
      }
      if (text === '') return;
      fields[target.lookup.name] = text === '#N/A' ? null : this.parentId(target, text);
    });
    return fields;
  }

  private parentId(target: Extract<ColumnTarget, { kind: 'parent' }>, value: string): string {
    if (target.key.name === 'Id') {
      const id = normalizeId(value);
      if (id === undefined)
        throw rowError('MALFORMED_ID', `Invalid id: ${value}`, [target.lookup.name]);
      return id;
    }
    const indexKey = `${target.parent.name}.${target.key.name}`;
    let index = this.parentIndexes.get(indexKey);
    if (!index) {
      index = new Map();
      for (const record of this.ctx.store.scan(target.parent.name)) {
        const key = record[target.key.name];
        if (key === null || key === undefined) continue;
        const text = String(key);
        const ids = index.get(text) ?? [];
        ids.push(record.Id);
        index.set(text, ids);
      }
      this.parentIndexes.set(indexKey, index);
    }
    const ids = index.get(value);
    if (!ids || ids.length === 0) {
      throw rowError(
        'INVALID_FIELD',
        `Foreign key external ID: ${value} not found for field ${target.key.name} in entity ${target.parent.name}`
      );
    }
    if (ids.length > 1) {
      throw rowError(
        'INVALID_FIELD',
        `Foreign key external ID: ${value} matched more than 1 record for field ${target.key.name} in entity ${target.parent.name}`
      );
    }
    return ids[0] as string;
  }
}
