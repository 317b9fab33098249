// Reconciliation: finds what the event stream may not deliver and pushes it into the inbox, so it
// takes the same batch path as events.
//  * At start: accounts still Pending. The before-save flow sets Pending in the same transaction
//    as every integration-relevant change, so Pending is the durable "needs sync" marker (an event
//    whose publication failed, a retry that was dead-lettered and then fixed in Salesforce...).
//  * On a replay gap (the stored replay id fell out of the 72 h retention window: the events after
//    it are gone): Pending accounts, plus every account modified after the checkpoint (a change
//    whose Pending a concurrent write-back overwrote), plus accounts deleted after it that had a
//    SAP number (queryAll, IsDeleted) -> Delete.
//  * When the kill switch is on again after an off period (kill-switch.ts): Apex published
//    nothing meanwhile, but the before-save flow kept marking changes Pending; deletions
//    published no Delete. So: Pending accounts, plus accounts deleted with an SAP number since
//    the earlier of the checkpoint and the moment the switch went off -> Delete.
// The checkpoint is the latest Changed_At__c of the events processed (written by the batcher): the
// org's clock, not this machine's, so clock skew between the two cannot hide a change.
import type pg from 'pg';
import type { Logger } from '../platform/index.ts';
import type { RestClient } from '../platform/index.ts';
import type { AccountSyncEvent } from './coalescer.ts';
import { appendToInbox } from './inbox.ts';
import { clearIntents } from './sync-batch.ts';

const CHECKPOINT = 'account-sync';
// Changed_At__c is taken inside the saving transaction, SystemModstamp at its commit: a margin.
const SKEW_MS = 60_000;

async function readCheckpoint(pool: pg.Pool): Promise<Date | undefined> {
  const result = await pool.query<{ checkpoint: Date }>(
    'SELECT checkpoint FROM account_sync_checkpoint WHERE name = $1',
    [CHECKPOINT]
  );
  return result.rows[0]?.checkpoint;
}

/** Moves the checkpoint forward (never back: batches may finish out of event order). */
export async function writeCheckpoint(pool: pg.Pool, at: Date): Promise<void> {
  await pool.query(
    `INSERT INTO account_sync_checkpoint (name, checkpoint) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE
     SET checkpoint = GREATEST(account_sync_checkpoint.checkpoint, EXCLUDED.checkpoint), updated_at = now()`,
    [CHECKPOINT, at]
  );
}

const soqlDateTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export type ReconcileReason = 'start' | 'replay-gap' | 'kill-switch';

export interface ReconcileResult {
  reason: ReconcileReason;
  upserts: number;
  deletes: number;
  /** Changes after this instant were looked for (replay gap with a checkpoint). */
  since?: Date | undefined;
}

/**
 * Create intents whose account has its SAP number in Salesforce are left-overs (a crash or a
 * database outage between the write-back and the intent's DELETE): they would mislead the
 * operator's "creates whose number has not reached Salesforce" query. One SOQL IN query for
 * the intents there are (few: one per create in flight).
 */
async function clearSettledIntents(
  pool: pg.Pool,
  rest: Pick<RestClient, 'queryByIds'>,
  logger: Logger | undefined
): Promise<void> {
  const { rows } = await pool.query<{ account_id: string }>(
    'SELECT account_id FROM account_sync_create_intent ORDER BY created_at LIMIT 10000'
  );
  if (rows.length === 0) return;
  const accounts = await rest.queryByIds<{ Id: string; SAP_Customer_Number__c: string | null }>(
    'Account',
    ['Id', 'SAP_Customer_Number__c'],
    rows.map((r) => r.account_id)
  );
  const settled = accounts.filter((a) => a.SAP_Customer_Number__c).map((a) => a.Id);
  await clearIntents(pool, settled);
  if (settled.length > 0)
    logger?.info({ cleared: settled.length }, 'create intents of synced accounts cleared');
}

export async function reconcile(options: {
  pool: pg.Pool;
  rest: Pick<RestClient, 'query' | 'queryByIds'>;
  reason: ReconcileReason;
  /**
   * kill-switch: the earliest instant the switch may have gone off (the moment the service saw
   * it off minus one read interval: Apex stopped publishing when the admin switched it, the
   * service noticed at its next read).
   */
  offSince?: Date | undefined;
  logger?: Logger | undefined;
}): Promise<ReconcileResult> {
  const { pool, rest, reason } = options;
  if (reason !== 'replay-gap') await clearSettledIntents(pool, rest, options.logger);
  const checkpoint = reason === 'start' ? undefined : await readCheckpoint(pool);
  const earliest =
    reason === 'kill-switch' && options.offSince !== undefined
      ? Math.min(checkpoint?.getTime() ?? Infinity, options.offSince.getTime())
      : checkpoint?.getTime();
  const since = earliest === undefined ? undefined : new Date(earliest - SKEW_MS);
  if (reason === 'replay-gap' && since === undefined)
    options.logger?.warn('replay gap before any event was processed: reconciling Pending only');
  let upserts = 0;
  let deletes = 0;
  let chunk: AccountSyncEvent[] = [];
  const add = async (event: AccountSyncEvent) => {
    chunk.push(event);
    if (chunk.length >= 2000) await flush();
  };
  const flush = async () => {
    await appendToInbox(pool, chunk, 'reconcile');
    chunk = [];
  };
  // After a replay gap a change whose Pending a concurrent write-back overwrote has no event;
  // after the kill switch every change was marked Pending (the flows ran), so Pending suffices.
  const modified =
    since && reason === 'replay-gap' ? ` OR SystemModstamp > ${soqlDateTime(since)}` : '';
  for await (const record of rest.query<{ Id: string }>(
    `SELECT Id FROM Account WHERE Sync_Status__c = 'Pending'${modified}`
  )) {
    await add({ accountId: record.Id, operation: 'Update' });
    upserts++;
  }
  if (since) {
    for await (const record of rest.query<{ Id: string; SAP_Customer_Number__c: string | null }>(
      `SELECT Id, SAP_Customer_Number__c FROM Account WHERE IsDeleted = true AND SAP_Customer_Number__c != null AND SystemModstamp > ${soqlDateTime(since)}`,
      { queryAll: true }
    )) {
      await add({
        accountId: record.Id,
        operation: 'Delete',
        sapNumber: record.SAP_Customer_Number__c ?? undefined
      });
      deletes++;
    }
  }
  await flush();
  options.logger?.info({ reason, upserts, deletes, since }, 'account-sync reconciled');
  return { reason, upserts, deletes, since };
}
