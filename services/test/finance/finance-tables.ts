// The Finance schema's tables as tests and benches reset them (no node:test import: the
// benchmark's main process uses it too).
import type pg from 'pg';

/** Empty Finance tables and no staging left over, as before a first export (tests, benches). */
export async function clearFinance(pool: pg.Pool): Promise<void> {
  await pool.query(
    `TRUNCATE finance.billing_account, finance.export_watermarks, finance.export_schedule,
              finance.export_chunks, finance.export_runs CASCADE`
  );
  const { rows } = await pool.query<{ name: string }>(
    `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name
       FROM pg_tables WHERE schemaname = 'finance' AND tablename LIKE 'export\\_stage\\_%'`
  );
  for (const { name } of rows) await pool.query(`DROP TABLE ${name}`);
}
