// The durable inbox between the Pub/Sub subscriber and the batch processor (PostgreSQL table
// account_sync_inbox). The subscriber's handler appends an event and only then resolves, so the
// replay id is committed after the event is safe; the batch processor takes events in arrival
// order, coalesces them and deletes them once their batch is done (at-least-once end to end).
import type pg from 'pg';
import { parseOperation, type AccountSyncEvent } from './coalescer.ts';

export interface InboxRow extends AccountSyncEvent {
  id: string;
  receivedAt: Date;
}

/**
 * Appends events. Reconciliation (`source` other than 'event') skips an account that already has
 * an unprocessed entry of the same kind (Delete, or Create/Update), so running it again - a
 * catch-up that failed half-way, a start while events wait - does not queue the account twice.
 * Events are appended as they come: the subscriber's at-least-once delivery is coalesced later.
 */
export async function appendToInbox(
  pool: pg.Pool,
  events: readonly AccountSyncEvent[],
  source = 'event'
): Promise<void> {
  if (events.length === 0) return;
  const onlyNew =
    source === 'event'
      ? ''
      : `WHERE NOT EXISTS (
           SELECT 1 FROM account_sync_inbox i
           WHERE i.account_id = t.a AND (i.operation = 'Delete') = (t.o = 'Delete'))`;
  await pool.query(
    `INSERT INTO account_sync_inbox (account_id, operation, changed_at, sap_number, source)
     SELECT a, o, CASE WHEN c IS NULL THEN NULL ELSE to_timestamp(c / 1000.0) END, s, $5
     FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[]) AS t(a, o, c, s)
     ${onlyNew}`,
    [
      events.map((e) => e.accountId),
      events.map((e) => e.operation),
      events.map((e) => e.changedAt ?? null),
      events.map((e) => e.sapNumber ?? null),
      source
    ]
  );
}

/** The oldest `limit` events. */
export async function readInbox(pool: pg.Pool, limit: number): Promise<InboxRow[]> {
  const result = await pool.query<{
    id: string;
    account_id: string;
    operation: string;
    changed_at: Date | null;
    sap_number: string | null;
    received_at: Date;
  }>(
    `SELECT id, account_id, operation, changed_at, sap_number, received_at
     FROM account_sync_inbox ORDER BY id LIMIT $1`,
    [limit]
  );
  return result.rows.map((r) => ({
    id: r.id,
    accountId: r.account_id,
    operation: parseOperation(r.operation) ?? 'Update',
    changedAt: r.changed_at?.getTime(),
    sapNumber: r.sap_number ?? undefined,
    receivedAt: r.received_at
  }));
}

export async function removeFromInbox(pool: pg.Pool, ids: readonly string[]): Promise<void> {
  if (ids.length > 0)
    await pool.query('DELETE FROM account_sync_inbox WHERE id = ANY($1::bigint[])', [ids]);
}

export async function inboxSize(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ n: string }>('SELECT count(*) AS n FROM account_sync_inbox');
  return Number(result.rows[0]?.n ?? 0);
}
