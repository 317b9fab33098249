/**
 * CSV as Bulk API 2.0 writes it. Query results quote every value and header (documented example:
 * `"Id","Name"` / `"005R0000000UyrWIAS","Jane Dunn"`), write null as an empty unquoted field,
 * booleans as `true`/`false`, dates as `YYYY-MM-DD` and datetimes in UTC with a `Z`
 * (`2026-11-29T03:00:00.000Z`, where the REST API writes `+0000`). Ingest results start with the
 * quoted `sf__` columns followed by the uploaded header as it was sent.
 */
import { stringify } from 'csv-stringify/sync';
import type { FieldDescribe, Schema, SObjectDescribe } from '../model.ts';
import {
  COLUMN_DELIMITERS,
  LINE_ENDINGS,
  type ColumnDelimiter,
  type LineEnding
} from './job-state.ts';

export interface CsvFormat {
  columnDelimiter: ColumnDelimiter;
  lineEnding: LineEnding;
}

/** Turns one value of a result column into its CSV text; null means an empty (null) field. */
export type CellFormatter = (value: unknown) => string | null;

const REST_DATETIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)(?:\+0000|\+00:00|Z)$/;

function formatScalar(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

function formatDatetime(value: unknown): string | null {
  const text = formatScalar(value);
  if (text === null) return null;
  const match = REST_DATETIME.exec(text);
  if (!match) return text;
  const [date, fraction = ''] = (match[1] ?? '').split('.');
  return `${date}.${fraction.padEnd(3, '0')}Z`;
}

/**
 * The field a result column (`Name`, `Account.Name`, `Account.Owner.Email`) reads, following
 * parent relationships; undefined when the path cannot be resolved (polymorphic parents).
 */
export function resolveColumnField(
  schema: Schema,
  object: SObjectDescribe,
  column: string
): FieldDescribe | undefined {
  const parts = column.split('.');
  let current: SObjectDescribe | undefined = object;
  for (let i = 0; i < parts.length - 1 && current; i++) {
    const relationship = schema.getRelationship(current, parts[i] ?? '');
    const target: string | undefined = relationship?.referenceTo[0];
    current =
      relationship && relationship.referenceTo.length === 1 && target
        ? schema.getObject(target)
        : undefined;
  }
  return current ? schema.getField(current, parts[parts.length - 1] ?? '') : undefined;
}

/** One formatter per result column, chosen by the column's field type. */
export function cellFormatters(
  schema: Schema,
  objectName: string,
  columns: readonly string[]
): CellFormatter[] {
  const object = schema.getObject(objectName);
  return columns.map((column) => {
    const field = object ? resolveColumnField(schema, object, column) : undefined;
    // Unresolvable paths still get datetimes rewritten when they look like the REST form.
    if (!field || field.type === 'datetime') return formatDatetime;
    return formatScalar;
  });
}

/**
 * Serialises rows of cells (null = empty field) with every non-empty field quoted, as the
 * Bulk API writes query results. Hand-written rather than csv-stringify: this is the hot path
 * of a million-row result (csv-stringify's per-call setup and intermediate arrays were most of
 * the emulator's garbage there), and the format is fixed: quote everything, double the quotes.
 */
export function writeQueryCsv(rows: Array<Array<string | null>>, format: CsvFormat): string {
  const delimiter = COLUMN_DELIMITERS[format.columnDelimiter];
  const newline = LINE_ENDINGS[format.lineEnding];
  let out = '';
  for (const row of rows) {
    for (let c = 0; c < row.length; c++) {
      if (c > 0) out += delimiter;
      const value = row[c];
      if (value === null || value === undefined || value === '') continue;
      out += value.includes('"') ? `"${value.replace(/"/g, '""')}"` : `"${value}"`;
    }
    out += newline;
  }
  return out;
}

/** Quotes a header name only when CSV requires it (for the uploaded header echoed in results). */
function headerCell(name: string, delimiter: string): string {
  return /["\r\n]/.test(name) || name.includes(delimiter) ? `"${name.replace(/"/g, '""')}"` : name;
}

/**
 * Ingest results (`successfulResults`, `failedResults`, `unprocessedrecords`): the quoted
 * `sf__` columns, then the uploaded header unchanged; every value quoted.
 */
export function writeIngestResultsCsv(
  sfColumns: readonly string[],
  uploadedHeader: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string>>,
  format: CsvFormat
): string {
  const delimiter = COLUMN_DELIMITERS[format.columnDelimiter];
  const newline = LINE_ENDINGS[format.lineEnding];
  const header = [
    ...sfColumns.map((name) => `"${name}"`),
    ...uploadedHeader.map((name) => headerCell(name, delimiter))
  ].join(delimiter);
  if (rows.length === 0) return header + newline;
  const body = stringify(rows as string[][], {
    quoted: true,
    quoted_empty: true,
    delimiter,
    record_delimiter: newline
  });
  return header + newline + body;
}
