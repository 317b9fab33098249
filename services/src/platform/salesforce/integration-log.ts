// Service failures surfaced in Salesforce: Integration_Log__c records that the Integration Console
// lists (and a record page's integrationLogList, through Record_Id__c). One record per run or
// batch that had failures, never one per refused row (a missing Contact would otherwise write a
// log for every day of every unknown user), written best effort: a refused log write is logged
// here and the work goes on.
import type { Logger } from '../logger.ts';
import type { RestClient } from './rest-client.ts';

const MESSAGE_MAX = 32_768;
const REFERENCE_MAX = 36;

export interface IntegrationLogEntry {
  severity: 'INFO' | 'WARN' | 'ERROR';
  message: string;
  /** A job id, run or batch reference (36 characters at most). */
  reference?: string;
  /** The record the entry is about (shown on that record's page). */
  recordId?: string;
}

/**
 * One sObject Collections call for `entries` of `source` (the Source__c picklist value of the
 * scenario: `Activity`, `Finance`...); true when every entry was written. Never throws.
 */
export async function writeIntegrationLog(
  rest: Pick<RestClient, 'createMany'>,
  source: string,
  entries: readonly IntegrationLogEntry[],
  logger?: Logger
): Promise<boolean> {
  if (entries.length === 0) return true;
  const loggedAt = new Date().toISOString();
  try {
    const results = await rest.createMany(
      'Integration_Log__c',
      entries.map((entry) => ({
        Source__c: source,
        Severity__c: entry.severity,
        Message__c:
          entry.message.length > MESSAGE_MAX
            ? `${entry.message.slice(0, MESSAGE_MAX - 1)}…`
            : entry.message,
        ...(entry.reference ? { Reference__c: entry.reference.slice(0, REFERENCE_MAX) } : {}),
        ...(entry.recordId ? { Record_Id__c: entry.recordId } : {}),
        Logged_At__c: loggedAt
      })),
      { allOrNone: false }
    );
    const refused = results.filter((r) => !r.success);
    if (refused.length === 0) return true;
    logger?.warn({ source, errors: refused.flatMap((r) => r.errors) }, 'integration log refused');
  } catch (error) {
    logger?.warn({ source, err: error }, 'integration log failed');
  }
  return false;
}
