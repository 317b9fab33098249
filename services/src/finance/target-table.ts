// The Finance table a mapping loads, checked before any API call: every mapped column exists
// with a type its Salesforce values load into, the Id column is the primary key (the merge is
// keyed by it) and the run columns are there. A mapping edited without the table (or the other
// way round) fails here with the column to fix, not halfway through a night's load.
import type pg from 'pg';
import type { FinanceMapping, MappingType } from './mapping.ts';

/** PostgreSQL types (information_schema data_type) that take each mapping type's CSV text. */
const COMPATIBLE: Record<MappingType, readonly string[]> = {
  id: ['text', 'character varying', 'character'],
  text: ['text', 'character varying', 'character'],
  number: ['numeric', 'double precision', 'real', 'integer', 'bigint', 'smallint'],
  currency: ['numeric', 'double precision'],
  date: ['date'],
  datetime: ['timestamp with time zone'],
  boolean: ['boolean']
};

/** Written by the merge, not by the mapping. */
export const RUN_COLUMNS = ['exported_run_id', 'exported_at'] as const;

export class TargetTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetTableError';
  }
}

export async function checkTargetTable(pool: pg.Pool, mapping: FinanceMapping): Promise<void> {
  const { schema, table, qualified } = mapping.target;
  const { rows } = await pool.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2`,
    [schema, table]
  );
  if (rows.length === 0) {
    throw new TargetTableError(
      `The Finance table ${qualified} does not exist (migrations create finance.billing_account; create yours before pointing a mapping at it)`
    );
  }
  const types = new Map(rows.map((r) => [r.column_name, r.data_type]));
  for (const column of [...RUN_COLUMNS]) {
    if (!types.has(column)) {
      throw new TargetTableError(`${qualified} needs a ${column} column (the merge writes it)`);
    }
  }
  for (const mapped of mapping.columns) {
    const type = types.get(mapped.column);
    if (type === undefined) {
      throw new TargetTableError(
        `${qualified} has no column ${mapped.column} (mapped from ${mapped.field})`
      );
    }
    if (!COMPATIBLE[mapped.type].includes(type)) {
      throw new TargetTableError(
        `${qualified}.${mapped.column} is ${type}; ${mapped.field} is mapped as ${mapped.type}, which loads into ${COMPATIBLE[mapped.type].join(' or ')}`
      );
    }
  }
  const { rows: keys } = await pool.query<{ column_name: string }>(
    `SELECT a.attname AS column_name
       FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = $1::regclass AND i.indisprimary`,
    [`"${schema}"."${table}"`]
  );
  if (keys.length !== 1 || keys[0]?.column_name !== mapping.idColumn) {
    throw new TargetTableError(
      `${qualified} must have its primary key on ${mapping.idColumn} alone (the merge is keyed by the record Id)`
    );
  }
}
