/**
 * The values of an event published over Pub/Sub, checked the way the record API checks them
 * (text lengths, number ranges, restricted picklists, email addresses), so that Pub/Sub refuses
 * what a REST publish refuses. Required fields are not enforced: the Publish and PublishStream
 * RPC references say the publish succeeds and the event arrives with the field null.
 */
import { SalesforceApiError, type SObjectDescribe } from '../model.ts';
import { coerceValue } from '../store/index.ts';

/** The first field of `payload` REST would refuse, as the error REST would answer. */
export function invalidEventValue(
  object: SObjectDescribe,
  payload: Record<string, unknown>
): SalesforceApiError | undefined {
  for (const field of object.fields) {
    const value = payload[field.name];
    if (!field.custom || value === null || value === undefined) continue;
    try {
      coerceValue(field, value);
    } catch (error) {
      if (error instanceof SalesforceApiError) return error;
      throw error;
    }
  }
  return undefined;
}
