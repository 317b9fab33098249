// Account_Sync__e as the service reads it: the topic, and a delivered payload -> an inbox event.
// The flows publish it; anything else on the topic that does not name an account id and a known
// operation is unusable and dropped (logged), never retried forever.
//
// The event's moment (changedAt, which moves the replay-gap checkpoint) is its CreatedDate,
// which the event bus stamps when the event is published: Changed_At__c is set by the publisher,
// and anyone who can publish Account_Sync__e could send a date in the future and so hide every
// later change from the replay-gap reconciliation. A payload without CreatedDate (not one the
// Pub/Sub API delivers) falls back to Changed_At__c, capped at the moment of receipt.
import { isSalesforceId } from '../../../toolkit/src/salesforce-id.ts';
import { parseOperation, type AccountSyncEvent } from './coalescer.ts';

export const TOPIC = '/event/Account_Sync__e';
/** The subscriber's name: the key of its stored replay position and of its lease. */
export const SUBSCRIBER = 'account-sync';

/** The event's moment on the org's clock: CreatedDate (set by Salesforce), else see above. */
function eventTime(payload: Record<string, unknown>, receivedAt: number): number | undefined {
  const created = payload.CreatedDate;
  if (typeof created === 'number' && created > 0) return created;
  const changed = payload.Changed_At__c;
  return typeof changed === 'number' ? Math.min(changed, receivedAt) : undefined;
}

export function eventFromPayload(
  payload: Record<string, unknown>,
  receivedAt = Date.now()
): AccountSyncEvent | undefined {
  const accountId = payload.Account_Id__c;
  const operation = parseOperation(payload.Operation__c);
  if (!isSalesforceId(accountId) || operation === undefined) return undefined;
  const sap = payload.SAP_Customer_Number__c;
  return {
    accountId,
    operation,
    changedAt: eventTime(payload, receivedAt),
    sapNumber: typeof sap === 'string' && sap !== '' ? sap : undefined
  };
}
