// Call-in failures surfaced in Salesforce: an Integration_Log__c (Source__c Activity) that the
// Integration Console lists, as account sync writes its conflicts. One record per run or batch
// that had failures (never one per refused row: a missing Contact would otherwise write a log
// record for every day of every unknown user), written best effort: a refused log write is
// logged here and the work goes on.
import type { Logger, RestClient } from '../../platform/index.ts';

export const LOG_SOURCE = 'Activity';
const MESSAGE_MAX = 32_768;
const REFERENCE_MAX = 36;

export interface CallInLogEntry {
  severity: 'INFO' | 'WARN' | 'ERROR';
  message: string;
  /** A job id or batch reference (36 characters at most). */
  reference?: string;
}

/** One Collections call; never throws. */
export async function writeIntegrationLog(
  rest: Pick<RestClient, 'createMany'>,
  entries: readonly CallInLogEntry[],
  logger?: Logger
): Promise<boolean> {
  if (entries.length === 0) return true;
  const loggedAt = new Date().toISOString();
  try {
    const results = await rest.createMany(
      'Integration_Log__c',
      entries.map((entry) => ({
        Source__c: LOG_SOURCE,
        Severity__c: entry.severity,
        Message__c:
          entry.message.length > MESSAGE_MAX
            ? `${entry.message.slice(0, MESSAGE_MAX - 1)}…`
            : entry.message,
        ...(entry.reference ? { Reference__c: entry.reference.slice(0, REFERENCE_MAX) } : {}),
        Logged_At__c: loggedAt
      })),
      { allOrNone: false }
    );
    const refused = results.filter((r) => !r.success);
    if (refused.length === 0) return true;
    logger?.warn(
      { errors: refused.flatMap((r) => r.errors) },
      'activity call-in: integration log refused'
    );
  } catch (error) {
    logger?.warn({ err: error }, 'activity call-in: integration log failed');
  }
  return false;
}
