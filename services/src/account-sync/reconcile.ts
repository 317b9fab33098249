// Reconciliation: finds what the event stream may not deliver and pushes it into the inbox, so it
// takes the same batch path as events. Every reconciliation (at start, on a replay gap, and the
// catch-up when the kill switch is on again) looks for the same three things:
//  * accounts still Pending. The before-save flow sets Pending in the same transaction as every
//    integration-relevant change, so Pending is the durable "needs sync" marker (an event whose
//    publication failed, a change made while the kill switch was off, a retry that was
//    dead-lettered and then fixed in Salesforce...);
//  * accounts modified after the checkpoint (SystemModstamp): a change whose Pending a batch's
//    write-back overwrote (the batch read the account before the edit and wrote Success after
//    it), and whose event is missing (replay gap) or was never published (kill switch off);
//  * accounts deleted after the checkpoint that had an SAP number (queryAll, IsDeleted) ->
//    Delete: a deletion whose event is missing, or was never published because the switch was
//    off. At start too: the service may have been down for a whole off period, or the switch
//    may have gone off and on again between two reads, so it never saw it off.
// "After the checkpoint" is after the earlier of the checkpoint and, for the kill-switch
// catch-up, the moment the switch went off. Without a checkpoint (no event processed yet) only
// Pending accounts are looked for.
//
// The checkpoint is the latest CreatedDate of the events processed (written by the batcher): the
// org's clock, not this machine's, so clock skew between the two cannot hide a change, and set by
// Salesforce, not by the publisher (events.ts). A checkpoint in the future (written by an older
// version from a publisher-set Changed_At__c) is reset at every reconciliation (logged).
//
// A reconciliation appends an account only if the inbox does not hold an unprocessed entry of
// the same kind for it already, so a catch-up that failed half-way and runs again, or a start
// while events are queued, does not send the same account to SAP twice.
//
// The sweep (sweep(), every ACCOUNT_SYNC_SWEEP_INTERVAL_MS) does not depend on the service having
// seen anything: an off period of the kill switch shorter than one read, or while the switch
// could not be read, and a failed reconciliation all leave Pending accounts and deletions without
// a Delete event behind, and the checkpoint moves on past them with the next event. So the sweep
// queues the accounts still Pending (settled: not changed in the last couple of minutes, whose
// event may be on its way) and the deletions after its own watermark, which it keeps in
// PostgreSQL and moves only once what it found is in the inbox: every deletion is looked at at
// least once, whatever the events and the switch did.
import type pg from 'pg';
import type { Logger } from '../platform/index.ts';
import type { RestClient } from '../platform/index.ts';
import type { AccountSyncEvent } from './coalescer.ts';
import { id15 } from '../../../toolkit/src/salesforce-id.ts';
import { appendToInbox } from './inbox.ts';
import { clearIntents } from './sync-batch.ts';

const CHECKPOINT = 'account-sync';
// CreatedDate is taken at the publish, SystemModstamp at the commit of the save: a margin.
const SKEW_MS = 60_000;
/** How far ahead of this machine's clock a checkpoint may be before it is reset. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * A checkpoint in the future (an event with a forged Changed_At__c, before the checkpoint came
 * from CreatedDate) would hide every later change: it is reset to now minus the margin.
 */
export async function clampCheckpoint(pool: pg.Pool, logger?: Logger): Promise<void> {
  const { rows } = await pool.query<{ checkpoint: Date }>(
    `UPDATE account_sync_checkpoint
     SET checkpoint = now() - make_interval(secs => $2::float8 / 1000), updated_at = now()
     WHERE name = $1 AND checkpoint > now() + make_interval(secs => $3::float8 / 1000)
     RETURNING checkpoint`,
    [CHECKPOINT, SKEW_MS, FUTURE_TOLERANCE_MS]
  );
  if (rows.length > 0)
    logger?.error(
      { checkpoint: rows[0]?.checkpoint },
      'account-sync: the checkpoint was in the future (an event with a forged date?); reset to now'
    );
}

async function readCheckpoint(pool: pg.Pool): Promise<Date | undefined> {
  const result = await pool.query<{ checkpoint: Date }>(
    'SELECT checkpoint FROM account_sync_checkpoint WHERE name = $1',
    [CHECKPOINT]
  );
  return result.rows[0]?.checkpoint;
}

/**
 * Moves the checkpoint forward (never back: batches may finish out of event order), and never
 * beyond now plus the tolerance (defence in depth: the value is Salesforce's CreatedDate).
 */
export async function writeCheckpoint(pool: pg.Pool, at: Date): Promise<void> {
  await pool.query(
    `INSERT INTO account_sync_checkpoint (name, checkpoint)
     VALUES ($1, LEAST($2::timestamptz, now() + make_interval(secs => $3::float8 / 1000)))
     ON CONFLICT (name) DO UPDATE
     SET checkpoint = GREATEST(account_sync_checkpoint.checkpoint, EXCLUDED.checkpoint), updated_at = now()`,
    [CHECKPOINT, at, FUTURE_TOLERANCE_MS]
  );
}

const soqlDateTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export type ReconcileReason = 'start' | 'replay-gap' | 'kill-switch' | 'sweep';

export interface ReconcileResult {
  reason: ReconcileReason;
  upserts: number;
  deletes: number;
  /** Changes and deletions after this instant were looked for (when there is a checkpoint). */
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
  await clampCheckpoint(pool, options.logger);
  const checkpoint = await readCheckpoint(pool);
  const earliest =
    reason === 'kill-switch' && options.offSince !== undefined
      ? Math.min(checkpoint?.getTime() ?? Infinity, options.offSince.getTime())
      : checkpoint?.getTime();
  const since = earliest === undefined ? undefined : new Date(earliest - SKEW_MS);
  return queueFound(options, reason, since);
}

/** Appends what was found to the inbox, 2,000 at a time; resolves when all of it is there. */
async function queueFound(
  options: { pool: pg.Pool; rest: Pick<RestClient, 'query'>; logger?: Logger | undefined },
  reason: ReconcileReason,
  since: Date | undefined,
  sweep?: { settledBefore: Date }
): Promise<ReconcileResult> {
  const { pool, rest } = options;
  if (since === undefined)
    // The normal first start of a new deployment: nothing to warn about.
    options.logger?.info(
      { reason },
      'reconciliation before any event was processed (no checkpoint): reconciling Pending only'
    );
  let upserts = 0;
  let deletes = 0;
  let chunk: AccountSyncEvent[] = [];
  const add = async (event: AccountSyncEvent) => {
    chunk.push(event);
    if (chunk.length >= 2000) await flush();
  };
  const flush = async () => {
    await appendToInbox(pool, chunk, sweep ? 'sweep' : 'reconcile');
    chunk = [];
  };
  // A change whose Pending a concurrent write-back overwrote is found by SystemModstamp. The
  // sweep takes only Pending accounts that have settled: a recent one's event is on its way.
  const filter = sweep
    ? ` AND SystemModstamp < ${soqlDateTime(sweep.settledBefore)}`
    : since
      ? ` OR SystemModstamp > ${soqlDateTime(since)}`
      : '';
  for await (const record of rest.query<{ Id: string }>(
    `SELECT Id FROM Account WHERE Sync_Status__c = 'Pending'${filter}`
  )) {
    await add({ accountId: record.Id, operation: 'Update' });
    upserts++;
  }
  if (since) {
    // SystemModstamp and the query's date have whole seconds: the sweep's watermark is exact to
    // the millisecond, so a deletion in the same second as the watermark, after it, must match.
    const after = sweep ? '>=' : '>';
    const deleted: Array<{ Id: string; SAP_Customer_Number__c: string | null }> = [];
    for await (const record of rest.query<{ Id: string; SAP_Customer_Number__c: string | null }>(
      `SELECT Id, SAP_Customer_Number__c FROM Account WHERE IsDeleted = true AND SAP_Customer_Number__c != null AND SystemModstamp ${after} ${soqlDateTime(since)}`,
      { queryAll: true }
    ))
      deleted.push(record);
    // The sweep looks at the same deletions again (its watermark lags by the settle margin):
    // those whose block the service already set and recorded cost no SAP call at all.
    const done = sweep
      ? await blockedBefore(
          pool,
          deleted.map((r) => r.Id)
        )
      : new Set<string>();
    for (const record of deleted) {
      if (done.has(id15(record.Id))) continue;
      await add({
        accountId: record.Id,
        operation: 'Delete',
        sapNumber: record.SAP_Customer_Number__c ?? undefined
      });
      deletes++;
    }
  }
  await flush();
  // A sweep that found nothing (the usual case, every few minutes) is not worth an info line.
  if (sweep && upserts + deletes === 0)
    options.logger?.debug({ reason, since }, 'account-sync sweep found nothing');
  else options.logger?.info({ reason, upserts, deletes, since }, 'account-sync reconciled');
  return { reason, upserts, deletes, since };
}

/** Row of account_sync_checkpoint that keeps how far the sweep has looked for deletions. */
const SWEEP_WATERMARK = 'account-sync:sweep';
/** A Pending account changed more recently than this may still have its event on the way. */
export const SWEEP_SETTLE_MS = 2 * 60_000;
/** How far back the first sweep looks for deletions when no event was ever processed. */
const FIRST_SWEEP_MS = 24 * 3_600_000;

/** The accounts (15-character ids) whose partner the service blocked and recorded. */
async function blockedBefore(pool: pg.Pool, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await pool.query<{ account_id: string }>(
    'SELECT account_id FROM account_sync_block WHERE left(account_id, 15) = ANY($1::text[])',
    [ids.map(id15)]
  );
  return new Set(rows.map((r) => id15(r.account_id)));
}

/** Where the sweep looks for deletions from: its watermark, else the checkpoint, else a day. */
async function sweepSince(pool: pg.Pool, now: Date): Promise<Date> {
  const { rows } = await pool.query<{ name: string; checkpoint: Date }>(
    'SELECT name, checkpoint FROM account_sync_checkpoint WHERE name = ANY($1::text[])',
    [[SWEEP_WATERMARK, CHECKPOINT]]
  );
  const at = (name: string) => rows.find((r) => r.name === name)?.checkpoint;
  const watermark = at(SWEEP_WATERMARK);
  if (watermark !== undefined) return watermark;
  const checkpoint = at(CHECKPOINT);
  return checkpoint !== undefined
    ? new Date(checkpoint.getTime() - SKEW_MS)
    : new Date(now.getTime() - FIRST_SWEEP_MS);
}

/**
 * The periodic sweep (two queries): the accounts still Pending that settled before
 * `now - settleMs`, and the deletions with an SAP number after the watermark, minus those whose
 * block the service recorded. Only once they are in the inbox does the watermark move, to
 * `now - settleMs` (never back): the margin covers a save that commits after its
 * SystemModstamp and clock skew between this machine and the org, so a deletion is looked at
 * once or twice, never not at all.
 */
export async function sweep(options: {
  pool: pg.Pool;
  rest: Pick<RestClient, 'query'>;
  settleMs?: number | undefined;
  logger?: Logger | undefined;
}): Promise<ReconcileResult> {
  const { pool } = options;
  await clampCheckpoint(pool, options.logger);
  const settledBefore = new Date(Date.now() - (options.settleMs ?? SWEEP_SETTLE_MS));
  const since = await sweepSince(pool, settledBefore);
  const result = await queueFound(options, 'sweep', since, { settledBefore });
  await pool.query(
    `INSERT INTO account_sync_checkpoint (name, checkpoint) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE
     SET checkpoint = GREATEST(account_sync_checkpoint.checkpoint, EXCLUDED.checkpoint), updated_at = now()`,
    [SWEEP_WATERMARK, settledBefore]
  );
  return result;
}
