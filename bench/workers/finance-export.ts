/**
 * One measured Finance export, in its own process so its peak RSS is its own: Billing_Account__c
 * from the org emulator at SF_INSTANCE_URL (another process) into the Finance tables of
 * DATABASE_URL, logged in as the Finance export's user (finance@emulator.local) with client credentials. Prints one JSON
 * result line.
 *
 *  * `ours`: runExport end to end (plan, Id-range jobs, raw pages COPYed into staging, merge into
 *    finance.billing_account) with the defaults a user gets (financeConfig), gzip off next to a
 *    local emulator and FINANCE_* overrides from the environment.
 *  * `jsforce`: the same export as a jsforce 3.10.16 user would write it: `bulk2.query` of the
 *    same SOQL (the shipped mapping's query composed for the same window with composeChunkQuery,
 *    queryAll as the mapping asks), its records into a staging table by COPY with csv-stringify,
 *    then the same merge into finance.billing_account, in one transaction.
 *
 *   node --import tsx bench/workers/finance-export.ts <ours|jsforce>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { financeConfig } from '../../services/src/finance/config.ts';
import { composeChunkQuery, parseExportQuery } from '../../services/src/finance/export-query.ts';
import { quoteName } from '../../services/src/finance/export-runs.ts';
import { columnsInQueryOrder, loadMapping } from '../../services/src/finance/mapping.ts';
import { trackPeakRss } from '../report.ts';

const mode = process.argv[2];
const instanceUrl = process.env.SF_INSTANCE_URL ?? '';
const clientId = process.env.SF_CLIENT_ID ?? '';
const clientSecret = process.env.SF_CLIENT_SECRET ?? '';
const databaseUrl = process.env.DATABASE_URL ?? '';
if (
  (mode !== 'ours' && mode !== 'jsforce') ||
  !instanceUrl ||
  !clientId ||
  !clientSecret ||
  !databaseUrl
) {
  console.error(
    'usage: SF_INSTANCE_URL=... SF_CLIENT_ID=... SF_CLIENT_SECRET=... DATABASE_URL=... finance-export.ts <ours|jsforce>'
  );
  process.exit(2);
}

/**
 * Resets the kernel's high-water mark of this process's RSS (Linux: `5` into clear_refs), so
 * VmHWM holds the peak of the export alone, not of loading the modules before it.
 */
function resetVmHwm(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** The kernel's high-water mark of this process's RSS (catches spikes between samples). */
function vmHwmMb(): number {
  const line = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return line ? Number(line[1]) / 1024 : Number.NaN;
}

// The defaults a user gets (docs/finance.md), with gzip off next to a local emulator.
const config = financeConfig.load({ FINANCE_GZIP: 'false', ...process.env });
const settings = config.export;
const mapping = await loadMapping(config.mappingFile);
const query = parseExportQuery(mapping.soql);

/** One side, its modules loaded and its pool made: `run` is what is measured. */
interface Side {
  run(): Promise<{ rows: number; detail: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** runExport as the service runs it: the platform's pool, clients and logger. */
async function ours(): Promise<Side> {
  const [{ runExport }, platform] = await Promise.all([
    import('../../services/src/finance/export-job.ts'),
    import('../../services/src/platform/index.ts')
  ]);
  const logger = platform.createLogger({ level: 'warn' });
  // The pool the service gets from the platform (10 connections).
  const pool = platform.createPool({ connectionString: databaseUrl, logger });
  const salesforce = platform.createSalesforceClients({
    config: { flow: 'client_credentials', instanceUrl, clientId, clientSecret },
    apiVersion: '65.0'
  });
  return {
    async run() {
      const summary = await runExport({
        pool,
        salesforce,
        mapping,
        query,
        mappingFile: config.mappingFile,
        settings,
        mode: 'full',
        trigger: 'manual',
        logger
      });
      const { chunkSize, concurrency, pageSize, gzip } = settings;
      return {
        rows: summary.merged,
        detail: {
          chunks: summary.chunks,
          pages: summary.pages,
          apiCalls: summary.apiCalls,
          settings: { chunkSize, concurrency, pageSize, gzip }
        }
      };
    },
    async close() {
      salesforce.close();
      await pool.end();
    }
  };
}

/**
 * The export as a jsforce user writes it: `bulk2.query` for the records, then COPY with
 * csv-stringify into a staging table and the same merge, in one transaction.
 */
async function withJsforce(): Promise<Side> {
  const [{ default: jsforce }, { default: pg }, { stringify }, { from: copyFrom }] =
    await Promise.all([
      import('jsforce'),
      import('pg'),
      import('csv-stringify'),
      import('pg-copy-streams')
    ]);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  return {
    async run() {
      // Our export's window for a full run: every row changed up to (now - lag), whole seconds.
      const until = new Date(Math.floor((Date.now() - settings.lagMs) / 1000) * 1000);
      const soql = composeChunkQuery(query, { until });
      const conn = new jsforce.Connection({
        instanceUrl,
        version: '65.0',
        oauth2: { clientId, clientSecret, loginUrl: instanceUrl }
      });
      await conn.authorize({ grant_type: 'client_credentials' });
      const fetched = (await (
        await conn.bulk2.query(soql, { scanAll: mapping.includeDeleted })
      ).toArray()) as Array<Record<string, string>>;
      // jsforce 3.10.16 turns the header line of every results page after the first into a
      // record (TOOLCHAIN.md): a user has to drop those before loading.
      const records = fetched.filter((r) => r.Id !== 'Id');
      const ordered = columnsInQueryOrder(mapping, query.columns, config.mappingFile);
      const names = ordered.map((c) => quoteName(c.column));
      const target = `${quoteName(mapping.target.schema)}.${quoteName(mapping.target.table)}`;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `CREATE TEMP TABLE stage ON COMMIT DROP AS SELECT ${names.join(', ')} FROM ${target} WITH NO DATA`
        );
        // jsforce gives '' for a null field: null to COPY (an unquoted empty field).
        const fields = query.columns;
        const lines = Readable.from(
          (function* () {
            for (const record of records)
              yield fields.map((f) => (record[f] === '' ? null : record[f]));
          })()
        );
        await pipeline(
          lines,
          stringify(),
          client.query(copyFrom(`COPY stage (${names.join(', ')}) FROM STDIN WITH (FORMAT csv)`))
        );
        const id = quoteName(mapping.idColumn);
        const modstamp = quoteName(mapping.modstampColumn);
        const updates = names.filter((n) => n !== id).map((n) => `${n} = EXCLUDED.${n}`);
        const merged = await client.query(
          `INSERT INTO ${target} AS t (${names.join(', ')}, exported_run_id, exported_at)
           SELECT DISTINCT ON (${id}) ${names.join(', ')}, 0, now()
             FROM stage ORDER BY ${id}, ${modstamp} DESC
           ON CONFLICT (${id}) DO UPDATE SET ${updates.join(', ')}
            WHERE t.${modstamp} <= EXCLUDED.${modstamp}`
        );
        await client.query('COMMIT');
        return {
          rows: merged.rowCount ?? 0,
          detail: { fetched: fetched.length, headerRecordsDropped: fetched.length - records.length }
        };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end()
  };
}

const side = mode === 'ours' ? await ours() : await withJsforce();
// The peak from here on: the export, not the loading of modules before it.
const startupPeakRssMb = vmHwmMb();
const hwmReset = resetVmHwm();
const baselineRssMb = process.memoryUsage.rss() / (1024 * 1024);
const rss = trackPeakRss(10);
const started = performance.now();
const { rows, detail } = await side.run();
const seconds = (performance.now() - started) / 1000;
const sampledPeakRssMb = rss.stop();
const peakRssMb = hwmReset ? Math.max(sampledPeakRssMb, vmHwmMb()) : sampledPeakRssMb;
await side.close();

process.stdout.write(
  `${JSON.stringify({
    mode,
    rows,
    seconds,
    rowsPerSecond: rows / seconds,
    startupPeakRssMb,
    baselineRssMb,
    sampledPeakRssMb,
    // Without the reset, VmHWM would be the start-up's peak: the sampled peak is all there is.
    peakRssMb,
    ...detail
  })}\n`
);
process.exit(0);
