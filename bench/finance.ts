/**
 * Scenario 5, the nightly Billing Account export to Finance: our export against the same export
 * written with jsforce 3.10.16 `bulk2.query`, and our export's memory as the data grows.
 *
 *  * throughput_ratio_vs_jsforce (goal >= 2) and rss_ratio_vs_jsforce (goal <= 0.5) at
 *    BENCH_FINANCE_ROWS (default 500,000) rows: runExport end to end (plan, Id-range jobs, pages
 *    COPYed raw into staging, merge into finance.billing_account) against jsforce's `bulk2.query`
 *    of the same SOQL (the shipped mapping's query composed for the same window) whose records
 *    are COPYed into a staging table with csv-stringify and merged into the same table
 *    (bench/workers/finance-export.ts). BENCH_FINANCE_ROUNDS (default 3) rounds in ABBA order
 *    (bench/rounds.ts); each round checks that both sides left the same Finance table (row count
 *    and a checksum of every mapped column), so a faster but wrong side fails the bench.
 *  * rss_ratio_5m_vs_1m (goal <= 1.2): our export's peak RSS at BENCH_FINANCE_LARGE_ROWS
 *    (5,000,000) over BENCH_FINANCE_SMALL_ROWS (1,000,000), BENCH_FINANCE_SCALE_ROUNDS (default
 *    2) rounds, interleaved (ABBA).
 *
 * Every measured side runs in a process of its own, which loads only its own modules; its peak
 * RSS is the kernel's high-water mark of that process (/proc/self/status VmHWM, reset once the
 * modules are loaded, so the transient peak of loading them is left out); the org emulator runs in another
 * (bench/workers/finance-org.ts), both sides log in to it as the Finance export's user (finance@emulator.local) with client
 * credentials. Our export runs with the defaults a user gets (chunk size 100,000, concurrency 4,
 * page size 50,000) and gzip off, as jsforce, next to a local emulator. The Finance database is
 * the services tests' (TEST_DATABASE_URL / DATABASE_URL, else an embedded PostgreSQL), migrated
 * once; its tables are truncated before every measurement.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../toolkit/src/project.ts';
import { FINANCE_CLIENT_ID, FINANCE_CLIENT_SECRET } from '../simulators/salesforce/src/emulator.ts';
import { createLogger } from '../services/src/platform/index.ts';
import { migrate } from '../services/src/platform/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../services/test/helpers/database.ts';
import { clearFinance } from '../services/test/finance/finance-tables.ts';
import { progress, report } from './report.ts';
import { alternateRounds, envInt, machineLoad, median, reportMedian, sig } from './rounds.ts';

const BENCH = 'finance';
const ROWS = envInt('BENCH_FINANCE_ROWS', 500_000);
const ROUNDS = envInt('BENCH_FINANCE_ROUNDS', 3);
/**
 * The size compared when jsforce does not complete ROWS: below the emulator's 64 MB results set
 * (about 320,000 rows of this mapping), so jsforce reads one page (see benchVersusJsforce).
 */
const FALLBACK_ROWS = envInt('BENCH_FINANCE_JSFORCE_FALLBACK_ROWS', 300_000);
const SMALL_ROWS = envInt('BENCH_FINANCE_SMALL_ROWS', 1_000_000);
const LARGE_ROWS = envInt('BENCH_FINANCE_LARGE_ROWS', 5_000_000);
const SCALE_ROUNDS = envInt('BENCH_FINANCE_SCALE_ROUNDS', 2);

/** The Finance table's mapped columns (the run columns left out), as text. */
const FINANCE_COLUMNS = `salesforce_id, system_modstamp, is_deleted, account_number, name,
  account_id, account_name, status, balance::text, credit_limit::text, currency_code, billing_cycle,
  payment_terms, last_invoice_date::text, next_invoice_date::text, billing_email, tax_id,
  cost_center, finance_notes`;

interface ExportResult {
  mode: 'ours' | 'jsforce';
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  baselineRssMb: number;
  sampledPeakRssMb: number;
  peakRssMb: number;
  chunks?: number;
  pages?: number;
  apiCalls?: number;
  headerRecordsDropped?: number;
}

interface FinanceTable {
  rows: number;
  checksum: string;
}

interface Measured extends ExportResult {
  table: FinanceTable;
}

function node(script: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot(), script), ...args], {
    cwd: projectRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit']
  });
}

/** The org emulator with `rows` billing accounts, in its own process; resolves with its URL. */
async function startOrg(rows: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = node('bench/workers/finance-org.ts', [String(rows)]);
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the org process exited (${String(code)}) before it listened`);
  });
  const line = new Promise<string>((resolve) => lines.once('line', resolve));
  const url = (JSON.parse(await Promise.race([line, exited])) as { url: string }).url;
  child.stdout?.resume();
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), sleep(5000).then(() => child.kill('SIGKILL'))]);
    }
  };
}

/** Empty Finance tables (and no staging left over), as before a first export. */
const resetFinance = (db: TestDatabase) => clearFinance(db.pool);

/** Row count and a checksum of every mapped column (the run columns left out), in Id order. */
async function financeTable(db: TestDatabase, checksum: boolean): Promise<FinanceTable> {
  const { rows } = await db.pool.query<{ n: number; sum: string | null }>(
    checksum
      ? `SELECT count(*)::int AS n, md5(string_agg(md5(t::text), '' ORDER BY t.salesforce_id)) AS sum
           FROM (SELECT ${FINANCE_COLUMNS} FROM finance.billing_account) t`
      : `SELECT count(*)::int AS n, NULL AS sum FROM finance.billing_account`
  );
  return { rows: rows[0]?.n ?? 0, checksum: rows[0]?.sum ?? '' };
}

async function runExportWorker(
  mode: 'ours' | 'jsforce',
  url: string,
  db: TestDatabase
): Promise<ExportResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot(), 'bench/workers/finance-export.ts'), mode],
    {
      cwd: projectRoot(),
      env: {
        ...process.env,
        SF_INSTANCE_URL: url,
        SF_CLIENT_ID: FINANCE_CLIENT_ID,
        SF_CLIENT_SECRET: FINANCE_CLIENT_SECRET,
        DATABASE_URL: db.url
      },
      stdio: ['ignore', 'pipe', 'pipe']
    }
  );
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (out += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (err += text));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) {
    // The error's first line (the worker's full output follows on stderr).
    const line = err.split('\n').find((l) => /^\w*Error\b|^Error:/.test(l.trim())) ?? '';
    process.stderr.write(err);
    throw new Error(`the ${mode} export exited with ${String(code)}: ${line.trim()}`);
  }
  return JSON.parse(out.trim().split('\n').pop() ?? '') as ExportResult;
}

/** One export into empty Finance tables, then what it left there. */
async function measure(
  mode: 'ours' | 'jsforce',
  rows: number,
  url: string,
  db: TestDatabase,
  checksum: boolean
): Promise<Measured> {
  await resetFinance(db);
  progress(`finance: ${mode} exporting ${rows.toLocaleString('en-US')} rows`);
  const result = await runExportWorker(mode, url, db);
  const table = await financeTable(db, checksum);
  if (result.rows !== rows || table.rows !== rows) {
    throw new Error(
      `${mode} landed ${table.rows} rows in Finance (reported ${result.rows}), not ${rows}`
    );
  }
  progress(
    `  ${mode}: ${result.rowsPerSecond.toFixed(0)} rows/s (${result.seconds.toFixed(1)} s), peak RSS ${result.peakRssMb.toFixed(0)} MB`
  );
  return { ...result, table };
}

const medianOf = (values: number[]) => sig(median(values));

/**
 * The size jsforce completes: ROWS if a first try at it lands every row, else FALLBACK_ROWS
 * (with the reason). jsforce 3.10.16 `result()` pipes every results page into one stream and
 * asks for the next locator as soon as a page's request resolves, so the pages of a job of more
 * than one page can reach its CSV parser interleaved.
 */
async function jsforceSize(db: TestDatabase): Promise<{ rows: number; failure?: string }> {
  const org = await startOrg(ROWS);
  try {
    await measure('jsforce', ROWS, org.url, db, false);
    return { rows: ROWS };
  } catch (error) {
    const failure = (error as Error).message;
    progress(`finance: jsforce did not complete ${ROWS} rows (${failure})`);
    return { rows: Math.min(ROWS, FALLBACK_ROWS), failure };
  } finally {
    await org.stop();
  }
}

async function benchVersusJsforce(db: TestDatabase): Promise<void> {
  const machine = machineLoad();
  const size = await jsforceSize(db);
  const rows = size.rows;
  const org = await startOrg(rows);
  let rounds;
  try {
    rounds = await alternateRounds({
      rounds: ROUNDS,
      baseline: () => measure('jsforce', rows, org.url, db, true),
      subject: () => measure('ours', rows, org.url, db, true),
      onRound: (r) => {
        // Honest comparison: both sides left the same Finance table.
        if (r.subject.table.checksum !== r.baseline.table.checksum) {
          throw new Error(
            `round ${r.round + 1}: the Finance tables differ (ours ${r.subject.table.checksum}, jsforce ${r.baseline.table.checksum})`
          );
        }
        progress(
          `  round ${r.round + 1}/${ROUNDS}: throughput x${sig(r.subject.rowsPerSecond / r.baseline.rowsPerSecond)}, RSS x${sig(r.subject.peakRssMb / r.baseline.peakRssMb)}`
        );
      }
    });
  } finally {
    await org.stop();
  }
  const ours = rounds.map((r) => r.subject);
  const theirs = rounds.map((r) => r.baseline);
  const detail = {
    rows,
    ...(size.failure
      ? {
          jsforceAtRequestedRows: `jsforce 3.10.16 did not complete ${ROWS} rows (${size.failure}); compared at ${rows}, the largest size tried that it completes (one results page)`
        }
      : {}),
    baseline:
      'jsforce 3.10.16 bulk2.query (queryAll) of the same SOQL, records toArray(), header records of later pages dropped, COPY into a temp staging table with csv-stringify, the same merge',
    settings:
      'ours: the defaults (chunk size 100,000, concurrency 4, page size 50,000); gzip off for both next to a local emulator',
    sameRows: `every round: ${rows} rows, checksum ${rounds[0]?.subject.table.checksum ?? ''} on both sides`,
    oursRowsPerSecond: medianOf(ours.map((r) => r.rowsPerSecond)),
    jsforceRowsPerSecond: medianOf(theirs.map((r) => r.rowsPerSecond)),
    oursSeconds: medianOf(ours.map((r) => r.seconds)),
    jsforceSeconds: medianOf(theirs.map((r) => r.seconds)),
    oursPeakRssMb: medianOf(ours.map((r) => r.peakRssMb)),
    jsforcePeakRssMb: medianOf(theirs.map((r) => r.peakRssMb)),
    // RSS once the side's modules are loaded, before it starts (part of its peak).
    oursLoadedRssMb: medianOf(ours.map((r) => r.baselineRssMb)),
    jsforceLoadedRssMb: medianOf(theirs.map((r) => r.baselineRssMb)),
    oursJobs: ours[0]?.chunks,
    oursPages: ours[0]?.pages,
    jsforceHeaderRecordsDropped: theirs[0]?.headerRecordsDropped,
    machine: machine()
  };
  reportMedian(
    { bench: BENCH, metric: 'throughput_ratio_vs_jsforce', unit: 'x' },
    rounds.map((r) => r.subject.rowsPerSecond / r.baseline.rowsPerSecond),
    { ...detail, goal: '>= 2' }
  );
  reportMedian(
    { bench: BENCH, metric: 'rss_ratio_vs_jsforce', unit: 'x' },
    rounds.map((r) => r.subject.peakRssMb / r.baseline.peakRssMb),
    { ...detail, goal: '<= 0.5' }
  );
}

async function benchScale(db: TestDatabase): Promise<void> {
  const machine = machineLoad();
  const small: Measured[] = [];
  const large: Measured[] = [];
  // Two orgs, one per size, started once; rounds alternate the sizes (ABBA).
  const smallOrg = await startOrg(SMALL_ROWS);
  const largeOrg = await startOrg(LARGE_ROWS);
  try {
    await alternateRounds({
      rounds: SCALE_ROUNDS,
      baseline: async () => {
        const m = await measure('ours', SMALL_ROWS, smallOrg.url, db, false);
        small.push(m);
        return m;
      },
      subject: async () => {
        const m = await measure('ours', LARGE_ROWS, largeOrg.url, db, false);
        large.push(m);
        return m;
      }
    });
  } finally {
    await smallOrg.stop();
    await largeOrg.stop();
  }
  reportMedian(
    { bench: BENCH, metric: 'rss_ratio_5m_vs_1m', unit: 'x' },
    large.map((l, i) => l.peakRssMb / (small[i] as Measured).peakRssMb),
    {
      goal: '<= 1.2',
      smallRows: SMALL_ROWS,
      largeRows: LARGE_ROWS,
      smallPeakRssMb: small.map((m) => sig(m.peakRssMb)),
      largePeakRssMb: large.map((m) => sig(m.peakRssMb)),
      // RSS once the modules are loaded, before the export starts: the peak above it is the export's.
      smallLoadedRssMb: small.map((m) => sig(m.baselineRssMb)),
      largeLoadedRssMb: large.map((m) => sig(m.baselineRssMb)),
      smallSeconds: small.map((m) => sig(m.seconds)),
      largeSeconds: large.map((m) => sig(m.seconds)),
      smallRowsPerSecond: small.map((m) => sig(m.rowsPerSecond)),
      largeRowsPerSecond: large.map((m) => sig(m.rowsPerSecond)),
      largeJobs: large[0]?.chunks,
      largePages: large[0]?.pages,
      settings: 'the defaults (chunk size 100,000, concurrency 4, page size 50,000), gzip off',
      machine: machine()
    }
  );
  report({
    bench: BENCH,
    metric: 'rows_per_s_5m',
    value: medianOf(large.map((m) => m.rowsPerSecond)),
    unit: 'rows/s',
    detail: { rows: LARGE_ROWS, seconds: large.map((m) => sig(m.seconds)) }
  });
}

export async function run(): Promise<void> {
  const db = await createTestDatabase();
  try {
    await migrate(db.pool, { logger: createLogger({ level: 'silent' }) });
    await benchVersusJsforce(db);
    await benchScale(db);
  } finally {
    await db.drop();
  }
}
