// The export's bookkeeping in the Finance database: runs, their chunks and checkpoints, the
// staging table of a run, the merge that makes a run visible at once, and the watermark.
import type pg from 'pg';
import type { FinanceMapping, MappedColumn } from './mapping.ts';
import { recordSlot } from './schedule.ts';
import { RUN_COLUMNS } from './target-table.ts';

export type RunMode = 'incremental' | 'full';
export type RunTrigger = 'manual' | 'schedule';
export type RunState = 'running' | 'succeeded' | 'failed' | 'abandoned';

export interface ExportRun {
  id: number;
  target: string;
  object: string;
  mode: RunMode;
  operation: 'query' | 'queryAll';
  trigger: RunTrigger;
  scheduleSlot: Date | null;
  since: Date | null;
  until: Date;
  soql: string;
  mappingHash: string;
  state: RunState;
  startedAt: Date;
  finishedAt: Date | null;
  records: number;
  pages: number;
  merged: number | null;
  chunks: number;
  apiCalls: number;
  attempts: number;
  durationMs: number | null;
  error: string | null;
}

export interface ExportChunk {
  runId: number;
  chunkNo: number;
  idFrom: string | null;
  idTo: string | null;
  soql: string;
  expected: number;
  jobId: string | null;
  jobRecords: number | null;
  nextLocator: string | null;
  done: boolean;
  pages: number;
  records: number;
}

export interface NewChunk {
  idFrom?: string;
  idTo?: string;
  soql: string;
  expected: number;
}

interface RunRow {
  id: string;
  target: string;
  object: string;
  mode: RunMode;
  operation: 'query' | 'queryAll';
  trigger: RunTrigger;
  schedule_slot: Date | null;
  since: Date | null;
  until: Date;
  soql: string;
  mapping_hash: string;
  state: RunState;
  started_at: Date;
  finished_at: Date | null;
  records: string;
  pages: number;
  merged: string | null;
  chunks: number;
  api_calls: number;
  attempts: number;
  duration_ms: string | null;
  error: string | null;
}

function toRun(row: RunRow): ExportRun {
  return {
    id: Number(row.id),
    target: row.target,
    object: row.object,
    mode: row.mode,
    operation: row.operation,
    trigger: row.trigger,
    scheduleSlot: row.schedule_slot,
    since: row.since,
    until: row.until,
    soql: row.soql,
    mappingHash: row.mapping_hash,
    state: row.state,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    records: Number(row.records),
    pages: row.pages,
    merged: row.merged === null ? null : Number(row.merged),
    chunks: row.chunks,
    apiCalls: row.api_calls,
    attempts: row.attempts,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    error: row.error
  };
}

/** A quoted SQL name (mapping names are checked lower-case identifiers already). */
export const quoteName = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * The staging table of a run, in the target's schema. Named by the run alone: a name derived
 * from a long target name would be cut at PostgreSQL's 63 characters and could meet the target.
 */
export function stageTable(mapping: FinanceMapping, runId: number): string {
  return `${quoteName(mapping.target.schema)}.${quoteName(`export_stage_${runId}`)}`;
}

const targetTable = (mapping: FinanceMapping) =>
  `${quoteName(mapping.target.schema)}.${quoteName(mapping.target.table)}`;

export async function readWatermark(pool: pg.Pool, target: string): Promise<Date | undefined> {
  const { rows } = await pool.query<{ system_modstamp: Date }>(
    'SELECT system_modstamp FROM finance.export_watermarks WHERE target = $1',
    [target]
  );
  return rows[0]?.system_modstamp;
}

export async function findRunningRun(
  pool: pg.Pool,
  target: string
): Promise<ExportRun | undefined> {
  const { rows } = await pool.query<RunRow>(
    `SELECT * FROM finance.export_runs WHERE target = $1 AND state = 'running'`,
    [target]
  );
  return rows[0] ? toRun(rows[0]) : undefined;
}

export async function readRun(pool: pg.Pool, id: number): Promise<ExportRun | undefined> {
  const { rows } = await pool.query<RunRow>('SELECT * FROM finance.export_runs WHERE id = $1', [
    id
  ]);
  return rows[0] ? toRun(rows[0]) : undefined;
}

export async function recentRuns(pool: pg.Pool, target: string, limit = 10): Promise<ExportRun[]> {
  const { rows } = await pool.query<RunRow>(
    'SELECT * FROM finance.export_runs WHERE target = $1 ORDER BY started_at DESC, id DESC LIMIT $2',
    [target, limit]
  );
  return rows.map(toRun);
}

export interface NewRun {
  mapping: FinanceMapping;
  mode: RunMode;
  trigger: RunTrigger;
  scheduleSlot?: Date;
  since?: Date;
  until: Date;
  chunks: NewChunk[];
}

/** The run, its chunks and its (empty) staging table, in one transaction. */
export async function createRun(pool: pg.Pool, run: NewRun): Promise<ExportRun> {
  const { mapping } = run;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<RunRow>(
      `INSERT INTO finance.export_runs
         (target, object, mode, operation, trigger, schedule_slot, since, until, soql, chunks,
          mapping_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
      [
        mapping.target.qualified,
        mapping.object,
        run.mode,
        mapping.includeDeleted ? 'queryAll' : 'query',
        run.trigger,
        run.scheduleSlot ?? null,
        run.since ?? null,
        run.until,
        mapping.soql,
        run.chunks.length,
        mapping.hash
      ]
    );
    const created = toRun(rows[0] as RunRow);
    for (const [i, chunk] of run.chunks.entries()) {
      await client.query(
        `INSERT INTO finance.export_chunks (run_id, chunk_no, id_from, id_to, soql, expected)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [created.id, i, chunk.idFrom ?? null, chunk.idTo ?? null, chunk.soql, chunk.expected]
      );
    }
    const columns = mapping.columns.map((c) => quoteName(c.column)).join(', ');
    await client.query(
      `CREATE TABLE ${stageTable(mapping, created.id)} AS
         SELECT ${columns} FROM ${targetTable(mapping)} WITH NO DATA`
    );
    await client.query('COMMIT');
    return created;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

interface ChunkRow {
  run_id: string;
  chunk_no: number;
  id_from: string | null;
  id_to: string | null;
  soql: string;
  expected: string;
  job_id: string | null;
  job_records: string | null;
  next_locator: string | null;
  done: boolean;
  pages: number;
  records: string;
}

export async function readChunks(pool: pg.Pool, runId: number): Promise<ExportChunk[]> {
  const { rows } = await pool.query<ChunkRow>(
    'SELECT * FROM finance.export_chunks WHERE run_id = $1 ORDER BY chunk_no',
    [runId]
  );
  return rows.map((row) => ({
    runId: Number(row.run_id),
    chunkNo: row.chunk_no,
    idFrom: row.id_from,
    idTo: row.id_to,
    soql: row.soql,
    expected: Number(row.expected),
    jobId: row.job_id,
    jobRecords: row.job_records === null ? null : Number(row.job_records),
    nextLocator: row.next_locator,
    done: row.done,
    pages: row.pages,
    records: Number(row.records)
  }));
}

/**
 * Every write of a run's progress is made as its current attempt (`export_runs.attempts`, bumped
 * by each process that resumes the run): a process that lost its lease while another took the
 * run over writes nothing more. SQL for `$n` = the attempt, run id in `$1`.
 */
export const OWNS_RUN = (attemptParam: string) =>
  `(SELECT attempts FROM finance.export_runs WHERE id = $1) = ${attemptParam}`;

/** Another process took the run over (this one lost its lease): this one stops writing. */
export class RunTakenOverError extends Error {
  constructor(runId: number) {
    super(`Run ${runId} was taken over by another process: this one stops`);
    this.name = 'RunTakenOverError';
  }
}

/** Recorded before the job is waited for, so a restart finds the job instead of making another. */
export async function recordChunkJob(
  pool: pg.Pool,
  chunk: Pick<ExportChunk, 'runId' | 'chunkNo'>,
  jobId: string,
  attempt: number
): Promise<void> {
  const recorded = await pool.query(
    `UPDATE finance.export_chunks SET job_id = $3
      WHERE run_id = $1 AND chunk_no = $2 AND job_id IS NULL AND ${OWNS_RUN('$4')}`,
    [chunk.runId, chunk.chunkNo, jobId, attempt]
  );
  if (recorded.rowCount !== 1) throw new RunTakenOverError(chunk.runId);
}

export async function recordChunkJobRecords(
  pool: pg.Pool,
  chunk: Pick<ExportChunk, 'runId' | 'chunkNo'>,
  records: number,
  attempt: number
): Promise<void> {
  await pool.query(
    `UPDATE finance.export_chunks SET job_records = $3
      WHERE run_id = $1 AND chunk_no = $2 AND ${OWNS_RUN('$4')}`,
    [chunk.runId, chunk.chunkNo, records, attempt]
  );
}

/**
 * A chunk whose job's results are gone (deleted, or older than the 7 days Salesforce keeps them)
 * starts over with a new job. Rows it already staged stay: the merge keeps one row per Id.
 */
export async function restartChunk(
  pool: pg.Pool,
  chunk: Pick<ExportChunk, 'runId' | 'chunkNo' | 'jobId'>,
  attempt: number
): Promise<void> {
  // The run's counts lose what the chunk had loaded, in the same statement: its rows are
  // downloaded again (the staged copies dedupe at the merge).
  const restarted = await pool.query(
    `WITH old AS (
       UPDATE finance.export_chunks AS c
          SET job_id = NULL, job_records = NULL, next_locator = NULL, done = false,
              pages = 0, records = 0
         FROM finance.export_chunks AS before
        WHERE c.run_id = $1 AND c.chunk_no = $2 AND c.job_id IS NOT DISTINCT FROM $3
          AND before.run_id = c.run_id AND before.chunk_no = c.chunk_no AND ${OWNS_RUN('$4')}
        RETURNING before.pages, before.records)
     UPDATE finance.export_runs AS r
        SET pages = r.pages - old.pages, records = r.records - old.records
       FROM old WHERE r.id = $1`,
    [chunk.runId, chunk.chunkNo, chunk.jobId, attempt]
  );
  if (restarted.rowCount !== 1) throw new RunTakenOverError(chunk.runId);
}

/** This process takes the run over; its attempt number is the token of its writes. */
export async function addRunAttempt(pool: pg.Pool, runId: number): Promise<number> {
  const { rows } = await pool.query<{ attempts: number }>(
    'UPDATE finance.export_runs SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts',
    [runId]
  );
  return rows[0]?.attempts ?? 0;
}

const mergeSql = (mapping: FinanceMapping, stage: string): string => {
  const columns: MappedColumn[] = mapping.columns;
  const names = columns.map((c) => quoteName(c.column));
  const id = quoteName(mapping.idColumn);
  const modstamp = quoteName(mapping.modstampColumn);
  const updates = [...names, ...RUN_COLUMNS.map(quoteName)]
    .filter((name) => name !== id)
    .map((name) => `${name} = EXCLUDED.${name}`);
  // DISTINCT ON: a chunk that was restarted, or a record that moved between Id ranges... each
  // Id once, its newest version. The WHERE keeps a newer row Finance already has.
  return `INSERT INTO ${targetTable(mapping)} AS t (${names.join(', ')}, exported_run_id, exported_at)
    SELECT DISTINCT ON (${id}) ${names.join(', ')}, $1::bigint, now()
      FROM ${stage}
     ORDER BY ${id}, ${modstamp} DESC
    ON CONFLICT (${id}) DO UPDATE SET ${updates.join(', ')}
     WHERE t.${modstamp} <= EXCLUDED.${modstamp}`;
};

export interface MergeResult {
  merged: number;
  /** Rows a full run flagged deleted because Salesforce no longer returns them. */
  reconciled: number;
}

/**
 * After a full run with deletions mapped: the Finance rows the run did not receive. queryAll
 * returns deleted rows only while they are in the recycle bin, which is emptied by admins, after
 * 15 days, or early when it is full: a row purged before a night saw it is among these. So are
 * rows changed after the run's window and rows that left the mapping's filter, which is why the
 * caller asks Salesforce about each before flagging any (confirmedGone).
 */
export async function missingFromFullRun(
  pool: pg.Pool,
  mapping: FinanceMapping,
  run: ExportRun,
  limit: number
): Promise<string[]> {
  if (!mapping.deletedColumn) return [];
  const id = quoteName(mapping.idColumn);
  const { rows } = await pool.query<{ id: string }>(
    `SELECT t.${id} AS id FROM ${targetTable(mapping)} AS t
      WHERE NOT t.${quoteName(mapping.deletedColumn)}
        AND NOT EXISTS (SELECT 1 FROM ${stageTable(mapping, run.id)} AS s WHERE s.${id} = t.${id})
      LIMIT $1`,
    [limit]
  );
  return rows.map((row) => row.id);
}

const flagDeletedSql = (mapping: FinanceMapping, deletedColumn: string): string =>
  `UPDATE ${targetTable(mapping)}
      SET ${quoteName(deletedColumn)} = true, exported_run_id = $1, exported_at = now()
    WHERE ${quoteName(mapping.idColumn)} = ANY ($2::text[]) AND NOT ${quoteName(deletedColumn)}`;

/**
 * Staging into the Finance table, the watermark, the run's end and the staging table's drop, in
 * one transaction: Finance sees the whole night's changes at once or none of them.
 */
export async function mergeRun(
  pool: pg.Pool,
  mapping: FinanceMapping,
  run: ExportRun,
  apiCalls: number,
  durationMs: number,
  /** This process's attempt (the run's owner token). */
  attempt: number,
  /** Ids Salesforce confirmed gone (a full run's reconciliation): flagged deleted in Finance. */
  gone: readonly string[] = []
): Promise<MergeResult> {
  const stage = stageTable(mapping, run.id);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Locks the run row first: a process that took the run over cannot merge at the same time.
    const owned = await client.query(
      `SELECT 1 FROM finance.export_runs WHERE id = $1 AND state = 'running' AND attempts = $2
         FOR UPDATE`,
      [run.id, attempt]
    );
    if (owned.rowCount !== 1) throw new RunTakenOverError(run.id);
    const merged = await client.query(mergeSql(mapping, stage), [run.id]);
    const reconciled =
      gone.length > 0 && mapping.deletedColumn
        ? await client.query(flagDeletedSql(mapping, mapping.deletedColumn), [run.id, gone])
        : undefined;
    await client.query(
      `INSERT INTO finance.export_watermarks (target, object, system_modstamp, run_id)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (target) DO UPDATE
         SET system_modstamp = GREATEST(finance.export_watermarks.system_modstamp, EXCLUDED.system_modstamp),
             object = EXCLUDED.object, run_id = EXCLUDED.run_id, updated_at = now()`,
      [run.target, run.object, run.until, run.id]
    );
    if (run.scheduleSlot) {
      // The night is done in the same transaction: no other instance can run it again.
      await recordSlot(client, run.target, run.scheduleSlot);
    }
    const ended = await client.query(
      `UPDATE finance.export_runs
          SET state = 'succeeded', finished_at = now(), merged = $2,
              api_calls = api_calls + $3, duration_ms = COALESCE(duration_ms, 0) + $4
        WHERE id = $1 AND state = 'running'`,
      [run.id, merged.rowCount ?? 0, apiCalls, Math.round(durationMs)]
    );
    // Another process ended the run meanwhile (abandoned, or merged after taking it over).
    if (ended.rowCount !== 1) throw new Error(`Run ${run.id} is no longer running: not merged`);
    await client.query(`DROP TABLE ${stage}`);
    await client.query('COMMIT');
    return { merged: merged.rowCount ?? 0, reconciled: reconciled?.rowCount ?? 0 };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * A run that cannot succeed (a Failed job, a refused query): ended, staging dropped, watermark
 * kept. False when the run was not running any more (nothing changed).
 */
export async function endRun(
  pool: pg.Pool,
  mapping: FinanceMapping,
  runId: number,
  state: 'failed' | 'abandoned',
  details: { error?: string; apiCalls?: number; durationMs?: number } = {}
): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const ended = await client.query(
      `UPDATE finance.export_runs
          SET state = $2, finished_at = now(), error = $3, api_calls = api_calls + $4,
              duration_ms = COALESCE(duration_ms, 0) + $5
        WHERE id = $1 AND state = 'running'`,
      [
        runId,
        state,
        details.error ?? null,
        details.apiCalls ?? 0,
        Math.round(details.durationMs ?? 0)
      ]
    );
    if (ended.rowCount !== 1) {
      await client.query('ROLLBACK');
      return false;
    }
    await client.query(`DROP TABLE IF EXISTS ${stageTable(mapping, runId)}`);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** What an attempt that stopped without ending the run spent (it will be resumed). */
export async function addAttemptCosts(
  pool: pg.Pool,
  runId: number,
  costs: { apiCalls: number; durationMs: number }
): Promise<void> {
  await pool.query(
    `UPDATE finance.export_runs
        SET api_calls = api_calls + $2, duration_ms = COALESCE(duration_ms, 0) + $3
      WHERE id = $1`,
    [runId, costs.apiCalls, Math.round(costs.durationMs)]
  );
}
