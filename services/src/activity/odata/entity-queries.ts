// SQL of the DailyActivities entity set: a page of a query, its count, one entity by key. The
// statement text is made of the model's expressions only; every request value is a parameter.
// With UserId (or Id) in the filter, PostgreSQL reads the primary key (user_id, day) of the monthly
// partitions; without it the query still works, one page at a time (page size <= maxPageSize).
import type { Queryable } from '../activity-queries.ts';
import { filterSql } from './filter.ts';
import { KEY_ORDER, PROPERTIES } from './model.ts';
import type { Property } from './model.ts';
import type { QueryOptions } from './query-options.ts';
import { SqlParams } from './sql-params.ts';

export type Entity = Record<string, string | number | null>;

function columns(select: readonly Property[] | undefined): string {
  return (select ?? PROPERTIES).map((p) => `${p.out ?? p.sql} AS "${p.name}"`).join(', ');
}

function toEntity(row: Record<string, unknown>, select: readonly Property[] | undefined): Entity {
  const entity: Entity = {};
  for (const p of select ?? PROPERTIES) {
    const value = row[p.name];
    if (value === null || value === undefined) entity[p.name] = null;
    else if (value instanceof Date) entity[p.name] = value.toISOString();
    else if (p.type === 'Edm.Int64' || p.type === 'Edm.Int32' || p.type === 'Edm.Double') {
      entity[p.name] = Number(value);
    } else entity[p.name] = String(value);
  }
  return entity;
}

function where(options: Pick<QueryOptions, 'filter'>, params: SqlParams): string {
  return options.filter ? ` WHERE ${filterSql(options.filter, params)}` : '';
}

function orderBy(options: Pick<QueryOptions, 'orderBy'>): string {
  // OData: null sorts before any value ascending (PostgreSQL: after); the key last makes the
  // order total, so consecutive pages neither repeat nor skip a row.
  const items = options.orderBy.map(({ property, descending }) => {
    const direction = descending ? 'DESC' : 'ASC';
    const nulls = property.nullable ? (descending ? ' NULLS LAST' : ' NULLS FIRST') : '';
    return `${property.sql} ${direction}${nulls}`;
  });
  return ` ORDER BY ${[...items, ...KEY_ORDER].join(', ')}`;
}

/** `limit` rows of the query from row `offset` on. */
export async function queryPage(
  db: Queryable,
  options: Pick<QueryOptions, 'filter' | 'orderBy' | 'select'>,
  offset: number,
  limit: number
): Promise<Entity[]> {
  const params = new SqlParams();
  const sql =
    `SELECT ${columns(options.select)} FROM activity_days d${where(options, params)}` +
    `${orderBy(options)} LIMIT ${params.add(limit, 'bigint')} OFFSET ${params.add(offset, 'bigint')}`;
  const { rows } = await db.query<Record<string, unknown>>(sql, params.values);
  return rows.map((row) => toEntity(row, options.select));
}

export async function countRows(
  db: Queryable,
  options: Pick<QueryOptions, 'filter'>
): Promise<number> {
  const params = new SqlParams();
  const { rows } = await db.query<{ count: string }>(
    `SELECT count(*) AS count FROM activity_days d${where(options, params)}`,
    params.values
  );
  return Number(rows[0]?.count ?? 0);
}

export async function findEntity(
  db: Queryable,
  key: { userId: string; day: string },
  select: readonly Property[] | undefined
): Promise<Entity | undefined> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${columns(select)} FROM activity_days d WHERE d.user_id = $1 AND d.day = $2::date`,
    [key.userId, key.day]
  );
  return rows[0] ? toEntity(rows[0], select) : undefined;
}
