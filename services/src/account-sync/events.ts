// Account_Sync__e as the service reads it: the topic, and a delivered payload -> an inbox event.
// The flows publish it; anything else on the topic that does not name an account id and a known
// operation is unusable and dropped (logged), never retried forever.
import { isSalesforceId } from '../../../toolkit/src/salesforce-id.ts';
import { parseOperation, type AccountSyncEvent } from './coalescer.ts';

export const TOPIC = '/event/Account_Sync__e';
/** The subscriber's name: the key of its stored replay position and of its lease. */
export const SUBSCRIBER = 'account-sync';

export function eventFromPayload(payload: Record<string, unknown>): AccountSyncEvent | undefined {
  const accountId = payload.Account_Id__c;
  const operation = parseOperation(payload.Operation__c);
  if (!isSalesforceId(accountId) || operation === undefined) return undefined;
  const changed = payload.Changed_At__c;
  const sap = payload.SAP_Customer_Number__c;
  return {
    accountId,
    operation,
    changedAt: typeof changed === 'number' ? changed : undefined,
    sapNumber: typeof sap === 'string' && sap !== '' ? sap : undefined
  };
}
