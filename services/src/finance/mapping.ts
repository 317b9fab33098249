// The field mapping file: which Salesforce query feeds which Finance table, column by column.
// It is the contract between the org and Finance: the shipped one is a static resource
// (force-app/main/finance/staticresources/FinanceExportMapping.json) that the Apex test
// FinanceExportContractTest checks against the org's schema and the integration user's access,
// and that the export reads by default (FINANCE_MAPPING_FILE points at another).
//
//   { "object": "Billing_Account__c",
//     "soql": "SELECT Id, SystemModstamp, IsDeleted, Name, ... FROM Billing_Account__c",
//     "includeDeleted": true,                      // queryAll: deletions reach Finance
//     "target": "finance.billing_account",
//     "columns": { "Id": { "column": "salesforce_id", "type": "id" }, ... } }
//
// Every selected column must be mapped and every mapped field selected: a field added on one
// side only is an error before any API call, not a silently missing column.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { z } from 'zod';

export const MAPPING_TYPES = [
  'id',
  'text',
  'number',
  'currency',
  'date',
  'datetime',
  'boolean'
] as const;
export type MappingType = (typeof MAPPING_TYPES)[number];

const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const mappingSchema = z
  .object({
    object: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be an sObject API name'),
    soql: z.string().min(1, 'must hold the export query').max(100_000),
    includeDeleted: z.boolean().default(false),
    target: z
      .string()
      .regex(
        /^[a-z_][a-z0-9_]{0,62}\.[a-z_][a-z0-9_]{0,62}$/,
        'must be schema.table in lower-case SQL names'
      ),
    columns: z.record(
      z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_.]*$/, 'keys are query columns such as Account__r.Name'),
      z
        .object({
          column: z.string().regex(SQL_NAME, 'must be a lower-case SQL column name'),
          type: z.enum(MAPPING_TYPES)
        })
        .strict()
    )
  })
  .strict();

export interface MappedColumn {
  /** The query column as Bulk API 2.0 heads it: `Id`, `Account__r.Name`. */
  field: string;
  /** The Finance table's column. */
  column: string;
  type: MappingType;
}

export interface FinanceMapping {
  object: string;
  soql: string;
  includeDeleted: boolean;
  target: { schema: string; table: string; qualified: string };
  columns: MappedColumn[];
  /** The columns holding the record Id and SystemModstamp. */
  idColumn: string;
  modstampColumn: string;
  /** The column holding IsDeleted (with includeDeleted). */
  deletedColumn?: string;
  /** SHA-256 of everything above: a run is resumed only with the mapping it was planned with. */
  hash: string;
}

export class MappingError extends Error {
  constructor(
    readonly file: string,
    message: string
  ) {
    super(`${file}: ${message}`);
    this.name = 'MappingError';
  }
}

function required(
  file: string,
  columns: MappedColumn[],
  field: string,
  type: MappingType,
  why: string
): MappedColumn {
  const found = columns.find((c) => c.field.toLowerCase() === field.toLowerCase());
  if (!found) throw new MappingError(file, `map ${field} (type ${type}): ${why}`);
  if (found.type !== type) {
    throw new MappingError(file, `${field} must have type ${type}, not ${found.type}`);
  }
  return found;
}

/** Validates a parsed mapping document; `file` names it in errors. */
export function parseMapping(document: unknown, file: string): FinanceMapping {
  const parsed = mappingSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(document)';
    throw new MappingError(file, `${where} ${issue?.message ?? 'is invalid'}`);
  }
  const { object, soql, includeDeleted, target, columns: byField } = parsed.data;
  const columns = Object.entries(byField).map(([field, c]) => ({ field, ...c }));
  const seen = new Map<string, string>();
  for (const c of columns) {
    const other = seen.get(c.column);
    if (other) throw new MappingError(file, `${other} and ${c.field} both map to ${c.column}`);
    seen.set(c.column, c.field);
  }
  const id = required(file, columns, 'Id', 'id', 'the Finance table is keyed by it');
  const modstamp = required(
    file,
    columns,
    'SystemModstamp',
    'datetime',
    'the incremental watermark and the merge (newest wins) read it'
  );
  let deleted: MappedColumn | undefined;
  if (includeDeleted) {
    deleted = required(
      file,
      columns,
      'IsDeleted',
      'boolean',
      'includeDeleted (queryAll) needs it to tell Finance which rows were deleted'
    );
  }
  const [schema = '', table = ''] = target.split('.');
  const hash = createHash('sha256')
    .update(JSON.stringify({ object, soql, includeDeleted, target, columns }))
    .digest('hex');
  return {
    hash,
    object,
    soql,
    includeDeleted,
    target: { schema, table, qualified: `${schema}.${table}` },
    columns,
    idColumn: id.column,
    modstampColumn: modstamp.column,
    ...(deleted ? { deletedColumn: deleted.column } : {})
  };
}

export async function loadMapping(file: string): Promise<FinanceMapping> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new MappingError(file, `cannot be read (${(error as Error).message})`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new MappingError(file, `is not JSON (${(error as Error).message})`);
  }
  return parseMapping(document, file);
}

/**
 * The mapped columns in the order the query selects them (the CSV's column order), or a
 * MappingError naming what is selected but not mapped, or mapped but not selected.
 */
export function columnsInQueryOrder(
  mapping: FinanceMapping,
  queryColumns: readonly string[],
  file: string
): MappedColumn[] {
  const byField = new Map(mapping.columns.map((c) => [c.field.toLowerCase(), c]));
  const ordered: MappedColumn[] = [];
  for (const name of queryColumns) {
    const column = byField.get(name.toLowerCase());
    if (!column) {
      throw new MappingError(file, `the query selects ${name}, which "columns" does not map`);
    }
    byField.delete(name.toLowerCase());
    ordered.push(column);
  }
  const unselected = [...byField.values()].map((c) => c.field);
  if (unselected.length > 0) {
    throw new MappingError(
      file,
      `"columns" maps ${unselected.join(', ')}, which the query does not select`
    );
  }
  return ordered;
}
