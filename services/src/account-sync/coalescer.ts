// Events -> one pending change per account. Account_Sync__e is delivered at least once and a burst
// holds many events per account; the batch needs only the latest state of each account, because
// the sync reads the account's current data anyway. Rules, in delivery order per account:
//  * every event of an account collapses into one change, duplicates and redeliveries included
//    (events carry no id here, and none is needed: the latest state wins);
//  * Create/Update -> 'upsert' (create in SAP when there is no SAP number yet, else update);
//  * a Delete wins over what came before it; it keeps the SAP number of any event that had one;
//  * an upsert after a Delete (undelete) is an upsert again.
import { id15 } from '../../../toolkit/src/salesforce-id.ts';

export type Operation = 'Create' | 'Update' | 'Delete';

export interface AccountSyncEvent {
  accountId: string;
  operation: Operation;
  /** Epoch ms of the event on the org's clock (its CreatedDate: events.ts). */
  changedAt?: number | undefined;
  /** Known SAP number (needed for a Delete: the record is gone). */
  sapNumber?: string | undefined;
}

export interface CoalescedChange {
  accountId: string;
  action: 'upsert' | 'delete';
  sapNumber?: string | undefined;
  /** Latest event moment (CreatedDate) seen for the account. */
  changedAt?: number | undefined;
  /** Events that collapsed into this change. */
  events: number;
}

export function coalesce(events: Iterable<AccountSyncEvent>): CoalescedChange[] {
  const byAccount = new Map<string, CoalescedChange>();
  for (const event of events) {
    const k = id15(event.accountId);
    const previous = byAccount.get(k);
    const sapNumber = event.sapNumber || previous?.sapNumber;
    const changedAt =
      previous?.changedAt === undefined
        ? event.changedAt
        : Math.max(previous.changedAt, event.changedAt ?? 0);
    const next: CoalescedChange = {
      accountId:
        event.accountId.length === 18 ? event.accountId : (previous?.accountId ?? event.accountId),
      action: event.operation === 'Delete' ? 'delete' : 'upsert',
      sapNumber,
      changedAt,
      events: (previous?.events ?? 0) + 1
    };
    // Map insertion order = order of first appearance: keeps batches deterministic.
    byAccount.set(k, next);
  }
  return [...byAccount.values()];
}

export function parseOperation(value: unknown): Operation | undefined {
  return value === 'Create' || value === 'Update' || value === 'Delete' ? value : undefined;
}
