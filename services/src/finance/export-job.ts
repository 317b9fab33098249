// One export of a mapping's rows from Salesforce to Finance (Batch Data Synchronization):
//
//   lease (one run at a time) -> resume the unfinished run, or plan a new one: the window
//   (watermark, now - lag], Id ranges by COUNT() bisection -> per chunk, in parallel: create the
//   Bulk API 2.0 query job (id recorded first), poll with backoff, COPY each results page into
//   staging with its checkpoint -> merge staging, move the watermark and end the run in one
//   transaction -> summary (Finance database, log, Integration_Log__c).
//
// What ends a run and what leaves it to be resumed: a job Salesforce reports Failed or Aborted,
// or a query it refuses, cannot succeed by trying again, so the run is marked failed (staging
// dropped, watermark unchanged) and the next run starts over from the same watermark. Anything
// else (the network, Salesforce or the database unavailable, the process killed) leaves the run
// `running`: the next invocation resumes it with the same window and the same jobs, from each
// chunk's first page not loaded.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  acquireLease,
  BulkJobFailedError,
  isTransientError,
  readKillSwitch,
  SalesforceError,
  writeIntegrationLog,
  type Logger,
  type SalesforceClients
} from '../platform/index.ts';
import { composeChunkQuery, composeCondition, type ExportQuery } from './export-query.ts';
import {
  addAttemptCosts,
  addRunAttempt,
  createRun,
  endRun,
  findRunningRun,
  mergeRun,
  missingFromFullRun,
  quoteName,
  readChunks,
  readRun,
  readWatermark,
  recordChunkJob,
  recordChunkJobRecords,
  restartChunk,
  RunTakenOverError,
  stageTable,
  type ExportChunk,
  type ExportRun,
  type NewChunk,
  type RunMode,
  type RunTrigger
} from './export-runs.ts';
import { planIdRanges } from './id-ranges.ts';
import { columnsInQueryOrder, type FinanceMapping } from './mapping.ts';
import { loadPage, PageLoadError } from './page-loader.ts';
import type { ExportProgress } from './progress.ts';
import { isDataError, refusedRecordId, RowRefusedError } from './refused-row.ts';
import { readLastSlot } from './schedule.ts';
import { checkTargetTable } from './target-table.ts';

/** Integration_Setting__mdt record (kill switch) and Integration_Log__c source of the export. */
export const FINANCE_SCENARIO = 'FinanceExport';

export interface ExportSettings {
  /** Most rows per Id-range job (PK chunking's chunk size: default 100,000, max 250,000). */
  chunkSize: number;
  /** Jobs read at once. */
  concurrency: number;
  /** `maxRecords` per results page. */
  pageSize: number;
  gzip: boolean;
  /** The window ends this long before now: transactions still committing are left for the next run. */
  lagMs: number;
  /** Re-reads of one page after a transient failure. */
  pageRetries: number;
  poll?: { initialDelayMs: number; maxDelayMs: number; factor: number; timeoutMs: number };
}

export interface ExportJobOptions {
  pool: pg.Pool;
  salesforce: Pick<SalesforceClients, 'bulkQuery' | 'rest' | 'meter'>;
  mapping: FinanceMapping;
  /** The mapping's query, parsed and checked (parseExportQuery). */
  query: ExportQuery;
  /** The mapping file, for errors. */
  mappingFile: string;
  settings: ExportSettings;
  mode: RunMode;
  trigger: RunTrigger;
  scheduleSlot?: Date;
  logger: Logger;
  progress?: ExportProgress;
  signal?: AbortSignal;
}

export interface ExportSummary {
  runId: number;
  state: 'succeeded';
  mode: RunMode;
  resumed: boolean;
  since: Date | null;
  until: Date;
  chunks: number;
  records: number;
  merged: number;
  /** Finance rows a full run flagged deleted (no longer returned by Salesforce). */
  reconciled: number;
  pages: number;
  apiCalls: number;
  durationMs: number;
  attempts: number;
}

/** Another process holds the export's lease. */
export class ExportBusyError extends Error {
  constructor(target: string) {
    super(`Another export of ${target} is running (it holds the lease); this one did not start`);
    this.name = 'ExportBusyError';
  }
}

/** A scheduled night another instance finished while this one waited for the lease. */
export class ExportSlotDoneError extends Error {
  constructor(slot: Date) {
    super(`The night of ${slot.toISOString()} was exported already`);
    this.name = 'ExportSlotDoneError';
  }
}

/** The kill switch (Integration_Setting__mdt FinanceExport) is off. */
export class ExportSwitchedOffError extends Error {
  constructor() {
    super(
      `The Finance export is switched off (Integration_Setting__mdt ${FINANCE_SCENARIO}.Enabled__c, else Default): nothing was exported`
    );
    this.name = 'ExportSwitchedOffError';
  }
}

/** An unfinished run stands in the way of what was asked. */
export class ExportConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportConflictError';
  }
}

/** The run ended failed: Salesforce's reason, the watermark unchanged. */
export class ExportFailedError extends Error {
  constructor(
    readonly runId: number,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options);
    this.name = 'ExportFailedError';
  }
}

/** Errors that trying again cannot fix: the run ends failed. */
function isFinal(error: unknown): boolean {
  if (error instanceof BulkJobFailedError) return true;
  // Results whose columns are not the query's: the same on every try.
  if (error instanceof PageLoadError && !error.retryable) return true;
  // A value the Finance table refuses: the same page fails the same way every time, so the run
  // ends with PostgreSQL's message (column, value, line) and the record it is about.
  if (isDataError(error)) return true;
  // A query job refused at creation (400 INVALIDJOB / MALFORMED_QUERY / API_ERROR...).
  return error instanceof SalesforceError && error.status === 400;
}

/** The results of a job Salesforce no longer has (deleted, or past the 7 days it keeps them). */
function isGone(error: unknown): boolean {
  return error instanceof SalesforceError && error.status === 404;
}

const SECOND = 1000;

/** Windows are whole seconds: SOQL datetime literals have no fraction in every API version. */
const floorToSecond = (date: Date) => new Date(Math.floor(date.getTime() / SECOND) * SECOND);

export async function runExport(options: ExportJobOptions): Promise<ExportSummary> {
  const { mapping, logger } = options;
  const target = mapping.target.qualified;
  const lease = await acquireLease(options.pool, `finance-export:${target}`, { logger });
  if (!lease) throw new ExportBusyError(target);
  const signal = options.signal ? AbortSignal.any([options.signal, lease.signal]) : lease.signal;
  // A pool of the run's own: each chunk in flight holds a connection for the whole download of a
  // page (COPY streams it), so the pool must have one per chunk whatever the service's pool size.
  const settings = options.pool.options as pg.PoolConfig;
  const pool = new pg.Pool({
    ...settings,
    // pg-pool keeps the password out of its enumerable options: copied explicitly.
    password: settings.password,
    max: options.settings.concurrency + 2,
    application_name: 'finance-export'
  });
  pool.on('error', (error) => logger.warn({ err: error }, 'finance export: idle connection lost'));
  try {
    return await exportUnderLease({ ...options, pool, signal });
  } finally {
    await lease.release();
    await pool.end();
  }
}

async function exportUnderLease(options: ExportJobOptions): Promise<ExportSummary> {
  const { pool, mapping, salesforce, logger } = options;
  const started = performance.now();
  const callsBefore = salesforce.meter.total();
  const spentCalls = () => salesforce.meter.total() - callsBefore;
  // Columns in the query's order = the CSV's order (and the mapping covers exactly them).
  const ordered = columnsInQueryOrder(mapping, options.query.columns, options.mappingFile);
  if (options.scheduleSlot) {
    // Checked under the lease: the run that finished the night recorded it in its merge.
    const last = await readLastSlot(pool, mapping.target.qualified);
    if (last && last.getTime() >= options.scheduleSlot.getTime()) {
      throw new ExportSlotDoneError(options.scheduleSlot);
    }
  }
  await checkTargetTable(pool, mapping);
  if (!(await readKillSwitch(salesforce.rest, FINANCE_SCENARIO)))
    throw new ExportSwitchedOffError();

  let run = await findRunningRun(pool, mapping.target.qualified);
  const resumed = run !== undefined;
  if (run) {
    if (run.mappingHash !== mapping.hash) {
      throw new ExportConflictError(
        `Run ${run.id} was started with another mapping (query, columns, types or deletions changed since): restore the mapping to finish it, or abandon it (npm run finance:export -- --abandon)`
      );
    }
    if (options.trigger === 'manual' && options.mode === 'full' && run.mode !== 'full') {
      throw new ExportConflictError(
        `Run ${run.id} (${run.mode}, started ${run.startedAt.toISOString()}) is unfinished: run the export without --full to finish it, or abandon it (--abandon), then ask for the full run`
      );
    }
    // This process owns the run from now on; its attempt number guards every write.
    run = { ...run, attempts: await addRunAttempt(pool, run.id) };
    logger.info({ runId: run.id, mode: run.mode }, 'finance export: resuming the unfinished run');
  } else {
    run = await planRun(options);
  }

  try {
    const columns = ordered.map((c) => quoteName(c.column));
    // Every column: Salesforce has no empty strings, so an empty field is null quoted or not.
    await loadChunks(options, run, { columns, forceNull: columns });
    const gone = run.mode === 'full' ? await confirmedGone(options, run) : [];
    options.signal?.throwIfAborted();
    const { merged, reconciled } = await mergeRun(
      pool,
      mapping,
      run,
      spentCalls(),
      performance.now() - started,
      run.attempts,
      gone
    );
    const done = (await readRun(pool, run.id)) as ExportRun;
    const summary: ExportSummary = {
      runId: done.id,
      state: 'succeeded',
      mode: done.mode,
      resumed,
      since: done.since,
      until: done.until,
      chunks: done.chunks,
      records: done.records,
      merged,
      reconciled,
      pages: done.pages,
      apiCalls: done.apiCalls,
      durationMs: done.durationMs ?? Math.round(performance.now() - started),
      attempts: done.attempts
    };
    logger.info(summary, 'finance export: run succeeded');
    await writeIntegrationLog(
      salesforce.rest,
      FINANCE_SCENARIO,
      [{ severity: 'INFO', reference: `finance-run-${run.id}`, message: describeSummary(summary) }],
      logger
    );
    return summary;
  } catch (error) {
    const durationMs = performance.now() - started;
    // Another process owns the run now: nothing more is written from here.
    if (error instanceof RunTakenOverError) throw error;
    if (!isFinal(error)) {
      // Resumable: the run stays `running` with its checkpoints.
      await addAttemptCosts(pool, run.id, { apiCalls: spentCalls(), durationMs }).catch(
        () => undefined
      );
      throw error;
    }
    const reason = describeError(error);
    const message = `Finance export run ${run.id} failed: ${reason}. The watermark is unchanged; the next run starts over from it.`;
    await endRun(pool, mapping, run.id, 'failed', {
      error: reason,
      apiCalls: spentCalls(),
      durationMs
    });
    logger.error({ runId: run.id, err: error }, 'finance export: run failed');
    await writeIntegrationLog(
      salesforce.rest,
      FINANCE_SCENARIO,
      [
        {
          severity: 'ERROR',
          reference: `finance-run-${run.id}`,
          message,
          ...(error instanceof RowRefusedError && error.recordId
            ? { recordId: error.recordId }
            : {})
        }
      ],
      logger
    );
    throw new ExportFailedError(run.id, message, { cause: error });
  }
}

/** The error's message, with PostgreSQL's context (`COPY ..., line 2, column x: "..."`). */
function describeError(error: unknown): string {
  const where = (error as { where?: unknown }).where;
  const message = error instanceof Error ? error.message : String(error);
  return typeof where === 'string' && where !== '' ? `${message} (${where})` : message;
}

export function describeSummary(summary: ExportSummary): string {
  const window = summary.since
    ? `changes after ${summary.since.toISOString()} up to ${summary.until.toISOString()}`
    : `every row up to ${summary.until.toISOString()}`;
  return [
    `Finance export run ${summary.runId} (${summary.mode}${summary.resumed ? ', resumed' : ''}) succeeded: ${window}.`,
    `${summary.records.toLocaleString('en-US')} rows in ${summary.pages} pages of ${summary.chunks} Bulk API 2.0 job(s); ${summary.merged.toLocaleString('en-US')} rows written to Finance${summary.reconciled > 0 ? `, ${summary.reconciled.toLocaleString('en-US')} no longer in Salesforce flagged deleted` : ''}.`,
    `${summary.apiCalls} API calls, ${(summary.durationMs / 1000).toFixed(1)} s, ${summary.attempts} attempt(s).`
  ].join(' ');
}

/** Most Finance rows a full run asks Salesforce about (more: a filter change, not deletions). */
const RECONCILE_LIMIT = 50_000;

/**
 * Finance rows a full run did not receive that Salesforce no longer has (queryAll by Id does
 * not return them, or returns them deleted). Rows it does return alive (changed after the
 * window, or outside the mapping's filter now) are left alone.
 */
async function confirmedGone(options: ExportJobOptions, run: ExportRun): Promise<string[]> {
  const { pool, mapping, salesforce, logger } = options;
  const missing = await missingFromFullRun(pool, mapping, run, RECONCILE_LIMIT + 1);
  if (missing.length === 0) return [];
  if (missing.length > RECONCILE_LIMIT) {
    logger.warn(
      { runId: run.id, limit: RECONCILE_LIMIT },
      'finance export: more Finance rows missing from the full run than it reconciles; none flagged (did the mapping filter change?)'
    );
    return [];
  }
  let found: Array<{ Id: string; IsDeleted: boolean | string }>;
  try {
    found = await salesforce.rest.queryByIds(mapping.object, ['Id', 'IsDeleted'], missing, {
      queryAll: true
    });
  } catch (error) {
    // The night's rows are loaded: a reconciliation that cannot ask is skipped, not fatal.
    logger.warn({ runId: run.id, err: error }, 'finance export: reconciliation skipped');
    return [];
  }
  const alive = new Set(
    found
      .filter((r) => !(r.IsDeleted === true || r.IsDeleted === 'true'))
      .map((r) => r.Id.slice(0, 15))
  );
  return missing.filter((id) => !alive.has(id.slice(0, 15)));
}

/** A new run: the window, the Id ranges, the jobs' queries. */
async function planRun(options: ExportJobOptions): Promise<ExportRun> {
  const { pool, mapping, query, salesforce, settings } = options;
  // The window is cut on Salesforce's clock (the Date of its last answer: the kill switch read
  // just before), not this machine's: a service clock running ahead of the org's by more than
  // the lag would put rows still to change inside this window, and the next run would start
  // after them.
  const now = salesforce.rest.connection.serverTime() ?? new Date();
  const end = floorToSecond(new Date(now.getTime() - settings.lagMs));
  const watermark =
    options.mode === 'incremental'
      ? await readWatermark(pool, mapping.target.qualified)
      : undefined;
  // No watermark yet: the first run is a full one.
  const mode: RunMode = watermark ? 'incremental' : 'full';
  const since = watermark ? floorToSecond(watermark) : undefined;
  // Never before the watermark (a run right after another, or a lag made longer): an empty
  // window, not a backwards one.
  const until = since && end < since ? since : end;
  const window = { since, until };

  const queryAll = mapping.includeDeleted;
  const condition = (idFrom?: string, idTo?: string) =>
    composeCondition(query, { ...window, idFrom, idTo });
  const count = (idFrom?: string, idTo?: string) =>
    salesforce.rest.queryCount(
      `SELECT COUNT() FROM ${query.object} WHERE ${condition(idFrom, idTo)}`,
      {
        queryAll
      }
    );
  const edge = async (idFrom: string, idTo: string, which: 'first' | 'last') => {
    const order = which === 'first' ? 'ASC' : 'DESC';
    for await (const row of salesforce.rest.query<{ Id: string }>(
      `SELECT Id FROM ${query.object} WHERE ${condition(idFrom, idTo)} ORDER BY Id ${order} LIMIT 1`,
      { queryAll }
    ))
      return row.Id;
    throw new Error(`No ${query.object} row between ${idFrom} and ${idTo} any more`);
  };

  const total = await count();
  let chunks: NewChunk[];
  if (total <= settings.chunkSize) {
    chunks = [{ soql: composeChunkQuery(query, window), expected: total }];
  } else {
    const minId = await edgeOfAll(salesforce, query, condition(), queryAll, 'ASC');
    const maxId = await edgeOfAll(salesforce, query, condition(), queryAll, 'DESC');
    const ranges = await planIdRanges({
      total,
      minId,
      maxId,
      chunkSize: settings.chunkSize,
      count: (from, to) => count(from, to),
      edge
    });
    chunks = ranges.map((range) => ({
      idFrom: range.from,
      idTo: range.to,
      soql: composeChunkQuery(query, { ...window, idFrom: range.from, idTo: range.to }),
      expected: range.expected
    }));
  }
  const run = await createRun(pool, {
    mapping,
    mode,
    trigger: options.trigger,
    scheduleSlot: options.scheduleSlot,
    since,
    until,
    chunks
  });
  options.logger.info(
    { runId: run.id, mode, since, until, rows: total, chunks: chunks.length },
    'finance export: run planned'
  );
  return run;
}

async function edgeOfAll(
  salesforce: ExportJobOptions['salesforce'],
  query: ExportQuery,
  condition: string,
  queryAll: boolean,
  order: 'ASC' | 'DESC'
): Promise<string> {
  for await (const row of salesforce.rest.query<{ Id: string }>(
    `SELECT Id FROM ${query.object} WHERE ${condition} ORDER BY Id ${order} LIMIT 1`,
    { queryAll }
  ))
    return row.Id;
  throw new Error(`No ${query.object} row matches the export any more`);
}

/** Every chunk not done, `concurrency` at a time; the first failure stops the others. */
/** The staging table's columns in the CSV's order, and those COPY reads empty as NULL. */
interface StageColumns {
  columns: string[];
  forceNull: string[];
}

async function loadChunks(
  options: ExportJobOptions,
  run: ExportRun,
  stageColumns: StageColumns
): Promise<void> {
  const chunks = await readChunks(options.pool, run.id);
  options.progress?.start({
    runId: run.id,
    expected: chunks.reduce((sum, c) => sum + (c.jobRecords ?? c.expected), 0),
    loaded: chunks.reduce((sum, c) => sum + c.records, 0)
  });
  const pending = chunks.filter((c) => !c.done);
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let failure: unknown;
  const worker = async () => {
    for (let chunk = pending.shift(); chunk && !signal.aborted; chunk = pending.shift()) {
      try {
        await loadChunk(options, run, chunk, stageColumns, signal);
      } catch (error) {
        failure ??= error;
        stop.abort(error);
      }
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(options.settings.concurrency, pending.length) }, worker)
    );
  } finally {
    options.progress?.stop();
  }
  if (failure) throw failure;
  options.signal?.throwIfAborted();
  // Every chunk holds exactly the rows its job reported, or the merge would publish a hole.
  for (const chunk of await readChunks(options.pool, run.id)) {
    if (!chunk.done || chunk.records !== chunk.jobRecords) {
      throw new PageLoadError(
        `Chunk ${chunk.chunkNo} loaded ${chunk.records} rows${chunk.done ? '' : ' and is not done'} where its job ${chunk.jobId ?? '(none)'} reported ${chunk.jobRecords ?? 'nothing'}`,
        false
      );
    }
  }
}

async function loadChunk(
  options: ExportJobOptions,
  run: ExportRun,
  chunk: ExportChunk,
  stageColumns: StageColumns,
  signal: AbortSignal
): Promise<void> {
  const { pool, salesforce, settings, logger } = options;
  const bulk = salesforce.bulkQuery;
  const stage = stageTable(options.mapping, run.id);
  let restarted = false;
  const refused = async (
    error: Error & { code: string; where?: string },
    jobId: string,
    locator: string | undefined
  ) => {
    const recordId = await refusedRecordId(
      pool,
      bulk,
      jobId,
      { locator, maxRecords: settings.pageSize, gzip: settings.gzip },
      { stage, ...stageColumns }
    ).catch(() => undefined);
    return new RowRefusedError(error, recordId);
  };
  for (;;) {
    try {
      let jobId = chunk.jobId;
      if (!jobId) {
        if (!(await readKillSwitch(salesforce.rest, FINANCE_SCENARIO))) {
          throw new ExportSwitchedOffError();
        }
        const job = await bulk.createJob(chunk.soql, { operation: run.operation, signal });
        jobId = job.id;
        await recordChunkJob(pool, chunk, jobId, run.attempts);
        chunk = { ...chunk, jobId };
      }
      const info = await bulk.waitForJob(jobId, { poll: settings.poll, signal });
      const jobRecords = Number(info.numberRecordsProcessed ?? 0);
      if (chunk.jobRecords !== jobRecords) {
        await recordChunkJobRecords(pool, chunk, jobRecords, run.attempts);
        options.progress?.expect(jobRecords - (chunk.jobRecords ?? chunk.expected));
        chunk = { ...chunk, jobRecords };
      }
      let locator = chunk.nextLocator ?? undefined;
      let failures = 0;
      while (!chunk.done) {
        signal.throwIfAborted();
        try {
          const page = await bulk.fetchRawPage(jobId, {
            fromLocator: locator,
            maxRecords: settings.pageSize,
            gzip: settings.gzip,
            signal
          });
          const { rows } = await loadPage(pool, page, {
            stage,
            columns: stageColumns.columns,
            forceNull: stageColumns.forceNull,
            header: options.query.columns,
            runId: run.id,
            chunkNo: chunk.chunkNo,
            jobId,
            attempt: run.attempts
          });
          options.progress?.advance(rows);
          locator = page.nextLocator;
          chunk = { ...chunk, nextLocator: locator ?? null, done: locator === undefined };
          failures = 0;
        } catch (error) {
          if (isDataError(error)) throw await refused(error, jobId, locator);
          // The page's transaction rolled back: read it again from its locator.
          if (signal.aborted || isGone(error) || !isRetryable(error)) throw error;
          if (++failures > settings.pageRetries) {
            // Rows that never add up however often the page is read: not the network.
            if (error instanceof PageLoadError) {
              throw new PageLoadError(`${error.message} (on every re-read)`, false);
            }
            throw error;
          }
          logger.warn(
            { runId: run.id, chunk: chunk.chunkNo, locator, err: error },
            'finance export: page not loaded; reading it again'
          );
          await sleep(Math.min(250 * 2 ** failures, 5_000), undefined, { signal });
        }
      }
      return;
    } catch (error) {
      if (!isGone(error) || restarted) throw error;
      // Results gone: the chunk starts over with a new job (staged rows dedupe at the merge).
      logger.warn(
        { runId: run.id, chunk: chunk.chunkNo, jobId: chunk.jobId },
        'finance export: job results no longer available; running the chunk again'
      );
      await restartChunk(pool, chunk, run.attempts);
      chunk = { ...chunk, jobId: null, jobRecords: null, nextLocator: null, done: false };
      restarted = true;
    }
  }
}

/** Network and 5xx trouble, and a page body cut short, are worth a page re-read. */
function isRetryable(error: unknown): boolean {
  if (error instanceof SalesforceError) return isTransientError(error);
  const code = (error as { code?: string }).code;
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    code === 'ECONNREFUSED' ||
    (error instanceof PageLoadError && error.retryable)
  );
}
