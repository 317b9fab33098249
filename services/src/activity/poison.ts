// Isolating the readings PostgreSQL refuses, so that one bad row never halts ingestion.
//
// A batch is one statement: a single reading the database refuses (a value out of a column
// type's range, a time zone of its user that PostgreSQL does not know, no partition that can
// hold its day) fails the whole batch. Retried as a whole it would fail forever, unacknowledged,
// and the broker would redeliver it forever. So a failure that is the data's, not the
// database's, is bisected: halves are written on their own until the failing readings stand
// alone; those are refused (counted `db_refused`, logged), the rest is committed. Halves that
// committed before a later failure are harmless on a retry: their readings are duplicates then.
import type { Reading } from './readings.ts';
import type { BatchResult } from './rollup-writer.ts';

/**
 * transient: the database or the connection, not the batch (retry the whole batch, wait);
 * data: the batch's rows (SQLSTATE class 22 data exception, 23 integrity violation);
 * other: an error the server raised for another reason (bisected only when it repeats).
 */
export type WriteErrorKind = 'transient' | 'data' | 'other';

/** Classes the database raises when it, not the statement's rows, is the problem. */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '55', '57', '58']);

export function classifyWriteError(error: unknown): WriteErrorKind {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  // No SQLSTATE (ECONNREFUSED, a connection that ended): the server never judged the rows.
  if (typeof severity !== 'string' || typeof code !== 'string' || code.length !== 5)
    return 'transient';
  const sqlClass = code.slice(0, 2);
  if (TRANSIENT_CLASSES.has(sqlClass)) return 'transient';
  if (sqlClass === '22' || sqlClass === '23') return 'data';
  return 'other';
}

export interface RefusedReading {
  reading: Reading;
  /** SQLSTATE of the statement that failed with this reading alone. */
  code: string;
  message: string;
}

export interface IsolatedWrite {
  result: BatchResult;
  refused: RefusedReading[];
}

const EMPTY: BatchResult = {
  received: 0,
  stored: 0,
  duplicates: 0,
  unknownDevices: 0,
  goalsReached: 0,
  capped: 0
};

function add(a: BatchResult, b: BatchResult): BatchResult {
  return {
    received: a.received + b.received,
    stored: a.stored + b.stored,
    duplicates: a.duplicates + b.duplicates,
    unknownDevices: a.unknownDevices + b.unknownDevices,
    goalsReached: a.goalsReached + b.goalsReached,
    capped: a.capped + b.capped
  };
}

/**
 * Writes `readings` by halves until each failing reading stands alone, and refuses those.
 * Throws (nothing refused) on a transient error, and when any reading failed for a reason that is
 * not a data error: that is the database failing, not the readings (a missing column after a bad
 * deploy, a permission on one new partition), so the batch is held, never dropped in part.
 */
export async function writeIsolating(
  write: (readings: readonly Reading[]) => Promise<BatchResult>,
  readings: readonly Reading[]
): Promise<IsolatedWrite> {
  const refused: RefusedReading[] = [];
  let firstError: unknown;
  const run = async (part: readonly Reading[]): Promise<BatchResult> => {
    try {
      const result = await write(part);
      return result;
    } catch (error) {
      if (classifyWriteError(error) === 'transient') throw error;
      firstError ??= error;
      if (part.length === 1) {
        const { code, message } = error as { code: string; message?: string };
        refused.push({ reading: part[0]!, code, message: String(message ?? '') });
        return EMPTY;
      }
      const middle = Math.ceil(part.length / 2);
      const first = await run(part.slice(0, middle));
      return add(first, await run(part.slice(middle)));
    }
  };
  const result = await run(readings);
  // Only the data's own fault (SQLSTATE class 22 data exception, 23 integrity) drops a reading:
  // a failure of the database (a permission on a new partition, corruption) holds the whole batch
  // for redelivery, even when other halves were written (their keys make the redelivery harmless).
  if (refused.some((r) => !/^2[23]/.test(r.code))) throw firstError;
  return { result: { ...result, received: readings.length }, refused };
}
