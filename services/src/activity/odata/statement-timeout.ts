// OData statements run under a statement timeout. Salesforce Connect (or any holder of an OData
// token) can ask for queries that no index answers quickly: no UserId in the filter, $orderby on a
// computed property, a full /$count. Without a bound such a query holds a pooled connection for
// as long as it runs, and a few of them starve the pool the REST API and ingestion share. Each
// request's statements run in one READ ONLY transaction with SET LOCAL statement_timeout (the
// setting ends with the transaction, so the connection goes back to the pool unchanged).
import type pg from 'pg';
import type { Queryable } from '../activity-queries.ts';

/** PostgreSQL's query_canceled: statement_timeout (or a cancel) ended the statement. */
export const QUERY_CANCELED = '57014';

export function isQueryCanceled(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === QUERY_CANCELED
  );
}

const isPool = (db: pg.Pool | Queryable): db is pg.Pool =>
  typeof (db as Partial<pg.Pool>).connect === 'function';

/**
 * Runs `work` with a connection whose statements are cancelled after `timeoutMs`. With 0, or a
 * plain Queryable (no connect(): a test's recording wrapper), `work` runs on `db` as it is: for
 * a dedicated OData pool made with pg's own `statement_timeout` connection option, which bounds
 * every statement without the two extra round trips of the transaction.
 */
export async function withStatementTimeout<T>(
  db: pg.Pool | Queryable,
  timeoutMs: number,
  work: (db: Queryable) => Promise<T>
): Promise<T> {
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) {
    throw new Error('withStatementTimeout: timeoutMs must be a non-negative integer');
  }
  if (timeoutMs === 0 || !isPool(db)) return work(db);
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    // timeoutMs is a validated integer from the configuration, never request text.
    try {
      await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${timeoutMs}`);
    } catch (error) {
      broken = error as Error;
      throw error;
    }
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    }
  } finally {
    // A connection that could not roll back is discarded, not handed to the next request.
    client.release(broken);
  }
}
