// One batch: coalesced changes -> Salesforce read (one SOQL IN query via rest.queryByIds) -> SAP
// (bounded concurrency) -> one write-back through sObject Collections (rest.updateMany, 200 per
// call, allOrNone false). Outcomes: Success (SAP number written back), permanent failure (Failed +
// readable Sync_Error__c at once), transient failure (returned to the caller, who queues a retry).
//
// Idempotency: an account with SAP_Customer_Number__c is updated, never created. Before a create
// an intent row is written to PostgreSQL; if one already existed (an earlier attempt may have
// created the partner and died before the write-back), SAP is searched by SearchTerm1 first.
import { id15 } from '../../../toolkit/src/salesforce-id.ts';
import type pg from 'pg';
import type { Logger } from '../platform/index.ts';
import type { RestClient, SfRecord } from '../platform/index.ts';
import type { CoalescedChange } from './coalescer.ts';
import {
  ACCOUNT_FIELDS,
  addressUpdate,
  headerUpdate,
  isSearchTermOf,
  searchTermFor,
  toBusinessPartner,
  type BusinessPartnerPayload,
  type SalesforceAccount
} from './mapping.ts';
import {
  isSapBusinessPartnerNumber,
  isTransientSapError,
  type BusinessPartnerRef,
  type SapClient
} from './sap-client.ts';

export const SYNC_ERROR_MAX = 32_768;

export type SyncOutcome =
  | {
      accountId: string;
      kind: 'success';
      sapNumber: string;
      /** Synced, but something the user should know: written to Sync_Error__c. */
      note?: string;
    }
  | { accountId: string; kind: 'blocked'; sapNumber?: string }
  | {
      accountId: string;
      kind: 'skipped';
      reason: string;
      /**
       * Set when Salesforce did not return the account at all (not even queryAll): invisible to
       * the integration user (sharing) or purged from the recycle bin. Logged as an error and
       * counted apart (account_sync_accounts_not_found_total): an operator must look.
       */
      notFound?: 'upsert' | 'delete';
    }
  | {
      accountId: string;
      kind: 'permanent';
      message: string;
      /**
       * Set when the account's SAP number names a partner of another account (SearchTerm1):
       * SAP was not written; logged as an error, written to Integration_Log__c and counted
       * (account_sync_partner_conflicts_total): an operator must look.
       */
      conflict?: string;
    }
  | { accountId: string; kind: 'transient'; message: string; change: CoalescedChange };

export interface SyncDeps {
  rest: Pick<RestClient, 'queryByIds' | 'updateMany' | 'createMany'>;
  sap: SapClient;
  pool: pg.Pool;
  concurrency: number;
  logger?: Logger | undefined;
  /**
   * Retries: when each account's retry was queued (by id15). An account Success with an SAP
   * number and synced (Last_Synced_At__c) at or after that instant is in its final state, and its
   * retry is dropped: no SAP request, no write-back.
   */
  settledSince?: ReadonlyMap<string, Date> | undefined;
}

/**
 * Final state since `since`: Success, an SAP number, synced at or after it. Salesforce keeps
 * date/times to the second, so the comparison is to the second: a sync in the same second as
 * the job counts as after it (the batcher runs one batch at a time, and a failure that queues a
 * job and a later success of the same account in the same second is what this rule is for).
 */
function settled(account: SalesforceAccount, since: Date | undefined): boolean {
  if (since === undefined) return false;
  if (account.Sync_Status__c !== 'Success' || !account.SAP_Customer_Number__c) return false;
  const synced = account.Last_Synced_At__c ? Date.parse(account.Last_Synced_At__c) : NaN;
  return Number.isFinite(synced) && synced >= Math.floor(since.getTime() / 1000) * 1000;
}

async function mapLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Deletes the create intents of these accounts (their number is in Salesforce). */
export async function clearIntents(pool: pg.Pool, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await pool.query('DELETE FROM account_sync_create_intent WHERE account_id = ANY($1::text[])', [
    ids
  ]);
}

/** Writes intents; returns the accounts that already had one (a create may have happened). */
async function recordIntents(pool: pg.Pool, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const inserted = await pool.query<{ account_id: string }>(
    `INSERT INTO account_sync_create_intent (account_id) SELECT unnest($1::text[])
     ON CONFLICT (account_id) DO NOTHING RETURNING account_id`,
    [ids]
  );
  const fresh = new Set(inserted.rows.map((r) => r.account_id));
  return new Set(ids.filter((id) => !fresh.has(id)));
}

/**
 * The service writes the account's 18-character id into SearchTerm1 at create: the partner's
 * owner. SAP keeps it upper-cased, so it is compared case-insensitively (an 18-character id is
 * unique that way; a 15-character one is not, and is never compared).
 */
function ownedBy(ref: BusinessPartnerRef, accountId: string): boolean {
  return isSearchTermOf(ref.data.SearchTerm1, accountId);
}

/**
 * The partner an account's SAP number names belongs to another account (its SearchTerm1 is not
 * this account's id): the number was edited by hand or corrupted. Permanent, and SAP is not
 * written: updating would overwrite another customer's master data with this account's.
 */
export class PartnerOwnershipError extends Error {
  readonly permanent = true;
  constructor(
    readonly businessPartner: string,
    readonly owner: string
  ) {
    super(
      `SAP business partner ${businessPartner} belongs to another account (SearchTerm1 '${owner}'), not to this one: SAP_Customer_Number__c was changed or is wrong. SAP was not updated; correct or clear the SAP customer number.`
    );
    this.name = 'PartnerOwnershipError';
  }
}

async function upsertOne(
  deps: SyncDeps,
  account: SalesforceAccount,
  payload: BusinessPartnerPayload,
  suspectCreated: boolean
): Promise<{ sapNumber: string; note?: string }> {
  const known = account.SAP_Customer_Number__c ?? undefined;
  let ref = known ? await deps.sap.get(known) : undefined;
  if (ref === undefined && (suspectCreated || known))
    ref = await deps.sap.findBySearchTerm(searchTermFor(account.Id));
  if (ref === undefined) return { sapNumber: (await deps.sap.create(payload)).businessPartner };
  // The same ownership check as Delete, on the GET the update needs anyway (its ETag): no extra
  // SAP request. The account's SAP number is only a claim, like a Delete event's.
  if (!ownedBy(ref, account.Id))
    throw new PartnerOwnershipError(ref.businessPartner, String(ref.data.SearchTerm1 ?? ''));
  const lift = ref.blocked === true && (await ownBlock(deps.pool, ref.businessPartner, account.Id));
  const header = headerUpdate(payload);
  // The record goes before the block: a crash in between leaves a block without a record (kept,
  // and reported as SAP's own: safe), never a record that outlives its block and would later
  // let this service lift a block SAP set itself (credit, fraud). A failed update puts the
  // record back so the retry lifts the block.
  if (lift) await forgetBlock(deps.pool, ref.businessPartner);
  try {
    await deps.sap.update(
      ref,
      lift ? { ...header, BusinessPartnerIsBlocked: false } : header,
      addressUpdate(payload)
    );
  } catch (error) {
    if (lift) await recordBlock(deps.pool, ref.businessPartner, account.Id);
    throw error;
  }
  if (ref.blocked !== true || lift) return { sapNumber: ref.businessPartner };
  deps.logger?.warn(
    { accountId: account.Id, sapNumber: ref.businessPartner },
    'account-sync: the partner is blocked in SAP, not by account sync; block left in place'
  );
  return {
    sapNumber: ref.businessPartner,
    note: `SAP business partner ${ref.businessPartner} is blocked in SAP by a block account sync did not set (e.g. credit or fraud): its data was updated, the block was left in place. Ask the SAP team to lift it if it should be.`
  };
}

/**
 * Blocks the service set (the Delete of an account) are recorded in account_sync_block, so an
 * upsert of the account (undeleted from the recycle bin: the AccountSyncUndelete trigger marks
 * it Pending and publishes an Update) lifts exactly those and forgets them. A block SAP set
 * itself - credit, fraud, a clerk - has no record and is never lifted by an account update.
 */
async function ownBlock(pool: pg.Pool, businessPartner: string, accountId: string) {
  const { rows } = await pool.query<{ account_id: string }>(
    'SELECT account_id FROM account_sync_block WHERE business_partner = $1',
    [businessPartner]
  );
  const owner = rows[0]?.account_id;
  return owner !== undefined && isSearchTermOf(owner, accountId);
}

async function recordBlock(pool: pg.Pool, businessPartner: string, accountId: string) {
  await pool.query(
    `INSERT INTO account_sync_block (business_partner, account_id) VALUES ($1, $2)
     ON CONFLICT (business_partner) DO NOTHING`,
    [businessPartner, searchTermFor(accountId)]
  );
}

async function forgetBlock(pool: pg.Pool, businessPartner: string) {
  await pool.query('DELETE FROM account_sync_block WHERE business_partner = $1', [businessPartner]);
}

/** What Salesforce says of an account a Delete event names (queryAll: the recycle bin too). */
interface DeletedState {
  Id: string;
  IsDeleted: boolean | string | null;
  SAP_Customer_Number__c?: string | null;
}

/**
 * Blocks the SAP customer of a deleted account, after checking what the event claims: a Delete
 * event is only a claim (anyone who can publish Account_Sync__e can send one), and blocking the
 * wrong customer stops a live account's business. Checked, in this order, before any change:
 *  1. Salesforce says the account is deleted (queryAll returns it with IsDeleted = true); a live
 *     account is skipped, and so is one queryAll does not return at all: that is an account the
 *     integration user cannot see (sharing: a Private model without View All) as much as one
 *     purged from the recycle bin, and the two cannot be told apart, so it is skipped and alerted
 *     (logged as an error, counted as not found), never blocked: an operator blocks a purged
 *     account's customer by hand (docs/account-sync.md, "Delete");
 *  2. the SAP number (the event's, else the deleted record's) is an SAP business partner number;
 *     anything else is skipped before any request to SAP;
 *  3. the partner's SearchTerm1 is that account (the service writes the account id there at
 *     create); a partner of another account is skipped.
 * A skip is an outcome with its reason (logged, counted in the metrics); SAP is not changed.
 */
async function deleteOne(
  deps: SyncDeps,
  change: CoalescedChange,
  state: DeletedState | undefined
): Promise<SyncOutcome> {
  const accountId = change.accountId;
  const skip = (reason: string): SyncOutcome => {
    deps.logger?.warn({ accountId, reason }, 'account-sync Delete event skipped');
    return { accountId, kind: 'skipped', reason };
  };
  if (state === undefined) return notFound(deps, accountId, 'delete');
  if (!(state.IsDeleted === true || state.IsDeleted === 'true'))
    return skip('Delete event for an account that is not deleted in Salesforce');
  const claimed = change.sapNumber || state.SAP_Customer_Number__c || undefined;
  const searchTerm = searchTermFor(state.Id);
  let ref: BusinessPartnerRef | undefined;
  if (claimed !== undefined) {
    if (!isSapBusinessPartnerNumber(claimed))
      return skip('the SAP number of the Delete event is not an SAP business partner number');
    ref = await deps.sap.get(claimed);
    if (ref === undefined)
      return { accountId, kind: 'skipped', reason: `SAP ${claimed} not found` };
  } else {
    ref = await deps.sap.findBySearchTerm(searchTerm);
    if (ref === undefined) return { accountId, kind: 'skipped', reason: 'never reached SAP' };
  }
  if (!ownedBy(ref, state.Id))
    return skip(`SAP ${ref.businessPartner} belongs to another account (SearchTerm1)`);
  // A partner already blocked is blocked by SAP (or by an earlier Delete, already recorded): it
  // is not recorded as the service's, so an undelete will not lift it. The record follows the
  // block: a crash between the two leaves a block that is not lifted (safe), never a record of
  // a block that SAP, not the service, set.
  if (ref.blocked !== true) {
    await deps.sap.blockRef(ref);
    await recordBlock(deps.pool, ref.businessPartner, state.Id);
  }
  return { accountId, kind: 'blocked', sapNumber: ref.businessPartner };
}

/**
 * An account Salesforce does not return even with queryAll: the integration user cannot see it
 * (a Private sharing model without View All on Account) or it was purged from the recycle bin.
 * Neither proves the account is gone, so nothing changes in SAP: skipped, logged as an error and
 * counted (notFound), for an operator to look at.
 */
function notFound(
  deps: Pick<SyncDeps, 'logger'>,
  accountId: string,
  operation: 'upsert' | 'delete'
): SyncOutcome {
  const reason =
    operation === 'delete'
      ? 'Delete event for an account Salesforce does not return (not visible to the integration user, or purged): not blocked'
      : 'account not returned by Salesforce (not visible to the integration user, or purged): not synced';
  deps.logger?.error(
    { accountId, operation, reason },
    "account-sync: account not found in Salesforce; check the integration user's access (View All on Account)"
  );
  return { accountId, kind: 'skipped', reason, notFound: operation };
}

export interface BatchResult {
  outcomes: SyncOutcome[];
  /** Transient failures, for the caller's retry queue. */
  transient: Array<Extract<SyncOutcome, { kind: 'transient' }>>;
}

export async function syncBatch(
  changes: readonly CoalescedChange[],
  deps: SyncDeps
): Promise<BatchResult> {
  const outcomes: SyncOutcome[] = [];
  const upserts = changes.filter((c) => c.action === 'upsert');
  const deletes = changes.filter((c) => c.action === 'delete');

  const records =
    upserts.length === 0
      ? []
      : await deps.rest.queryByIds<SalesforceAccount>(
          'Account',
          ACCOUNT_FIELDS,
          upserts.map((c) => c.accountId)
        );
  const byId = new Map(records.map((r) => [id15(r.Id), r]));
  // What Salesforce says of the accounts Delete events name (one queryAll for the batch).
  const deletedStates =
    deletes.length === 0
      ? []
      : await deps.rest.queryByIds<DeletedState>(
          'Account',
          ['Id', 'IsDeleted', 'SAP_Customer_Number__c'],
          deletes.map((c) => c.accountId),
          { queryAll: true }
        );
  const stateById = new Map(deletedStates.map((r) => [id15(r.Id), r]));
  // Upserts the query did not return: deleted (in the recycle bin: queryAll says IsDeleted), or
  // not found at all (invisible to the integration user, or purged) - one queryAll tells which.
  const missing = upserts.filter((c) => !byId.has(id15(c.accountId)));
  const missingStates =
    missing.length === 0
      ? []
      : await deps.rest.queryByIds<DeletedState>(
          'Account',
          ['Id', 'IsDeleted'],
          missing.map((c) => c.accountId),
          { queryAll: true }
        );
  const missingById = new Map(missingStates.map((r) => [id15(r.Id), r]));
  const work: Array<{ change: CoalescedChange; account: SalesforceAccount }> = [];
  for (const change of upserts) {
    const account = byId.get(id15(change.accountId));
    if (account === undefined) {
      const state = missingById.get(id15(change.accountId));
      outcomes.push(
        state === undefined
          ? notFound(deps, change.accountId, 'upsert')
          : {
              accountId: change.accountId,
              kind: 'skipped',
              reason: 'deleted in Salesforce'
            }
      );
    } else if (settled(account, deps.settledSince?.get(id15(account.Id))))
      outcomes.push({
        accountId: account.Id,
        kind: 'skipped',
        reason: 'already synced after the retry was queued'
      });
    else work.push({ change, account });
  }
  // An account with an SAP number is never created again: a create intent left behind for it
  // (a crash between the write-back and the intent's DELETE) goes now.
  await clearIntents(
    deps.pool,
    records.filter((r) => r.SAP_Customer_Number__c).map((r) => r.Id)
  );

  // Map and validate before calling SAP; write intents for the creates.
  const valid: Array<(typeof work)[number] & { payload: BusinessPartnerPayload }> = [];
  for (const item of work) {
    try {
      valid.push({ ...item, payload: toBusinessPartner(item.account) });
    } catch (error) {
      outcomes.push({ accountId: item.account.Id, kind: 'permanent', message: messageOf(error) });
    }
  }
  const suspects = await recordIntents(
    deps.pool,
    valid.filter((w) => !w.account.SAP_Customer_Number__c).map((w) => w.account.Id)
  );

  const tasks: Array<() => Promise<SyncOutcome>> = [
    ...valid.map(({ change, account, payload }) => async (): Promise<SyncOutcome> => {
      try {
        const done = await upsertOne(deps, account, payload, suspects.has(account.Id));
        return { accountId: account.Id, kind: 'success', ...done };
      } catch (error) {
        if (error instanceof PartnerOwnershipError)
          return {
            accountId: account.Id,
            kind: 'permanent',
            message: error.message,
            conflict: error.businessPartner
          };
        if (!isTransientSapError(error))
          return { accountId: account.Id, kind: 'permanent', message: messageOf(error) };
        return { accountId: account.Id, kind: 'transient', message: messageOf(error), change };
      }
    }),
    ...deletes.map((change) => async (): Promise<SyncOutcome> => {
      try {
        return await deleteOne(deps, change, stateById.get(id15(change.accountId)));
      } catch (error) {
        if (!isTransientSapError(error))
          return { accountId: change.accountId, kind: 'permanent', message: messageOf(error) };
        return {
          accountId: change.accountId,
          kind: 'transient',
          message: messageOf(error),
          change
        };
      }
    })
  ];
  await mapLimited(tasks, deps.concurrency, async (task) => {
    outcomes.push(await task());
  });

  await writeBack(deps, outcomes, new Set(deletes.map((d) => id15(d.accountId))));
  await reportConflicts(deps, outcomes);
  return {
    outcomes,
    transient: outcomes.filter(
      (o): o is Extract<SyncOutcome, { kind: 'transient' }> => o.kind === 'transient'
    )
  };
}

/**
 * Accounts whose SAP number names another account's partner: an error log line each, and one
 * Integration_Log__c per account (one sObject Collections call for the batch, only when there
 * is a conflict), so the account's log list in the Integration Console shows it next to the
 * Failed status. Best effort: a failed log write is logged, the batch goes on.
 */
async function reportConflicts(
  deps: Pick<SyncDeps, 'rest' | 'logger'>,
  outcomes: readonly SyncOutcome[]
): Promise<void> {
  const conflicts = outcomes.filter(
    (o): o is Extract<SyncOutcome, { kind: 'permanent' }> =>
      o.kind === 'permanent' && o.conflict !== undefined
  );
  if (conflicts.length === 0) return;
  for (const o of conflicts)
    deps.logger?.error(
      { accountId: o.accountId, sapNumber: o.conflict },
      'account-sync: the SAP number of the account names a partner of another account; SAP not updated'
    );
  const loggedAt = new Date().toISOString();
  try {
    const results = await deps.rest.createMany(
      'Integration_Log__c',
      conflicts.map((o) => ({
        Source__c: 'AccountSync',
        Severity__c: 'ERROR',
        Record_Id__c: o.accountId,
        Message__c: errorText(o.message),
        Logged_At__c: loggedAt
      })),
      { allOrNone: false }
    );
    const refused = results.filter((r) => !r.success);
    if (refused.length > 0)
      deps.logger?.warn(
        { errors: refused.flatMap((r) => r.errors) },
        'account-sync: integration log of partner conflicts refused'
      );
  } catch (error) {
    deps.logger?.warn({ err: error }, 'account-sync: integration log of partner conflicts failed');
  }
}

/** Sync_Error__c text: readable, within the field's length. */
export function errorText(message: string): string {
  return message.length > SYNC_ERROR_MAX ? `${message.slice(0, SYNC_ERROR_MAX - 1)}…` : message;
}

/** Writes Success / Failed back in one sObject Collections pass (200 per call, allOrNone false). */
export async function writeBack(
  deps: Pick<SyncDeps, 'rest' | 'pool' | 'logger'>,
  outcomes: readonly SyncOutcome[],
  deleted: ReadonlySet<string> = new Set()
): Promise<void> {
  for (const o of outcomes)
    if (o.kind === 'permanent' && deleted.has(id15(o.accountId)))
      // The account is gone: there is no record to show Failed on, so the log must.
      deps.logger?.error(
        { accountId: o.accountId, reason: o.message },
        'SAP refused to block the customer of a deleted account'
      );
  const now = new Date().toISOString();
  const updates: SfRecord[] = [];
  for (const o of outcomes) {
    if (deleted.has(id15(o.accountId))) continue;
    if (o.kind === 'success')
      updates.push({
        Id: o.accountId,
        SAP_Customer_Number__c: o.sapNumber,
        Sync_Status__c: 'Success',
        Sync_Error__c: o.note === undefined ? null : errorText(o.note),
        Last_Synced_At__c: now
      });
    else if (o.kind === 'permanent')
      updates.push({
        Id: o.accountId,
        Sync_Status__c: 'Failed',
        Sync_Error__c: errorText(o.message),
        Last_Synced_At__c: now
      });
  }
  if (updates.length === 0) return;
  const results = await deps.rest.updateMany('Account', updates, { allOrNone: false });
  const done: string[] = [];
  results.forEach((result, index) => {
    const record = updates[index] as SfRecord;
    if (result.success) {
      if (record.Sync_Status__c === 'Success') done.push(String(record.Id));
    } else
      deps.logger?.warn(
        { accountId: record.Id, errors: result.errors },
        'account-sync write-back failed for a record'
      );
  });
  await clearIntents(deps.pool, done);
}
