// Which record a refused page was refused for, so the failure can be logged on the record's own
// page in Salesforce (Integration_Log__c.Record_Id__c), where whoever fixes the value looks.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { BulkQueryReader } from '../platform/index.ts';

/** A value the Finance table refused (SQLSTATE class 22 data exception, 23 constraint). */
export function isDataError(error: unknown): error is Error & { code: string; where?: string } {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/** The run's failure, with the record it is about when it could be found. */
export class RowRefusedError extends Error {
  constructor(
    readonly refusal: Error & { code: string; where?: string },
    readonly recordId: string | undefined
  ) {
    super(refusal.message, { cause: refusal });
    this.name = 'RowRefusedError';
  }

  get code(): string {
    return this.refusal.code;
  }

  get where(): string | undefined {
    const where = this.refusal.where;
    return this.recordId && where ? `${where}; record ${this.recordId}` : where;
  }
}

/**
 * The Id of the first record of a page that the staging table refuses, found by bisection: the
 * page is read again (one API call, only when a run is about to fail), and halves of its records
 * are COPYed inside savepoints of a transaction that is rolled back, about 2 x log2(rows) COPYs.
 * (PostgreSQL's "line N" cannot be used: in CSV mode it does not count the line breaks inside
 * quoted values consistently.) Undefined when it cannot be told (no Id column, the read failed,
 * no single record fails).
 */
export async function refusedRecordId(
  pool: pg.Pool,
  bulk: Pick<BulkQueryReader, 'fetchRawPage'>,
  jobId: string,
  page: { locator: string | undefined; maxRecords: number; gzip: boolean },
  copy: { stage: string; columns: readonly string[]; forceNull: readonly string[] }
): Promise<string | undefined> {
  const records: Array<{ id: string; raw: string }> = [];
  const raw = await bulk.fetchRawPage(jobId, {
    fromLocator: page.locator,
    maxRecords: page.maxRecords,
    gzip: page.gzip
  });
  try {
    let idIndex = -1;
    const source = Readable.from(raw.body).pipe(parse({ bom: true, raw: true }));
    for await (const entry of source as AsyncIterable<{ record: string[]; raw: string }>) {
      if (idIndex < 0) {
        idIndex = entry.record.findIndex((name) => name.toLowerCase() === 'id');
        if (idIndex < 0) return undefined;
        continue;
      }
      records.push({ id: entry.record[idIndex] ?? '', raw: entry.raw });
    }
  } catch {
    return undefined;
  } finally {
    raw.release();
  }

  const forceNull = copy.forceNull.length ? `, FORCE_NULL (${copy.forceNull.join(', ')})` : '';
  const sql = `COPY ${copy.stage} (${copy.columns.join(', ')}) FROM STDIN WITH (FORMAT csv${forceNull})`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const fails = async (from: number, to: number): Promise<boolean> => {
      await client.query('SAVEPOINT probe');
      try {
        const lines = records
          .slice(from, to)
          .map((r) => (r.raw.endsWith('\n') ? r.raw : `${r.raw}\n`));
        await pipeline(Readable.from(lines), client.query(copyFrom(sql)));
        return false;
      } catch (error) {
        if (!isDataError(error)) throw error;
        return true;
      } finally {
        await client.query('ROLLBACK TO SAVEPOINT probe');
      }
    };
    let [from, to] = [0, records.length];
    if (to === 0 || !(await fails(from, to))) return undefined;
    while (to - from > 1) {
      const middle = from + Math.floor((to - from) / 2);
      if (await fails(from, middle)) to = middle;
      else from = middle;
    }
    return records[from]?.id || undefined;
  } catch {
    return undefined;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}
