// `npm run finance:export`: one Finance export now (docs/finance.md), with a progress bar on a
// terminal and the run's summary at the end.
//
// Against the org in SF_INSTANCE_URL as the export's own user (FINANCE_SF_CLIENT_ID / _SECRET, the
// Finance connected app; else SF_* holds that user's credentials), into the database in
// DATABASE_URL. Neither set (outside production): an org emulator in this process with
// FINANCE_DEMO_ROWS generated Billing Accounts, and the embedded PostgreSQL, so the command shows
// the whole flow on a fresh machine.
//
// Exit codes: 0 exported; 1 the run failed (Salesforce's reason printed, watermark unchanged) or
// an unexpected error; 2 bad usage, configuration, mapping or query (nothing was called);
// 3 another export holds the lease; 4 the kill switch is off; 5 interrupted (the run resumes next
// time).
import path from 'node:path';
import type { Writable } from 'node:stream';
import {
  FINANCE_CLIENT_ID,
  FINANCE_CLIENT_SECRET,
  startSalesforceEmulator,
  type RunningEmulator
} from '../../simulators/salesforce/src/emulator.ts';
import {
  booleanValue,
  parseCommandLine,
  UsageError,
  type CommandSpec
} from '../../toolkit/src/cli/args.ts';
import { ConfigError } from '../../toolkit/src/env.ts';
import { projectRoot } from '../../toolkit/src/project.ts';
import { financeService } from '../../services/src/finance/service.ts';
import { addDemoBillingAccounts } from './finance-demo-data.ts';
import {
  describeSummary,
  ExportBusyError,
  ExportConflictError,
  ExportFailedError,
  ExportSwitchedOffError,
  runExport
} from '../../services/src/finance/export-job.ts';
import { ExportQueryError } from '../../services/src/finance/export-query.ts';
import { endRun, findRunningRun, recentRuns } from '../../services/src/finance/export-runs.ts';
import { MappingError } from '../../services/src/finance/mapping.ts';
import { prepareExport, type PreparedExport } from '../../services/src/finance/prepare.ts';
import { createExportProgress } from '../../services/src/finance/progress.ts';
import {
  FinanceSalesforceConfigError,
  ownSalesforceClients
} from '../../services/src/finance/salesforce.ts';
import { TargetTableError } from '../../services/src/finance/target-table.ts';
import {
  acquireLease,
  createSalesforceClients,
  SalesforceError,
  loadProcessConfig,
  startPlatform,
  type Platform,
  type SalesforceClients
} from '../../services/src/platform/index.ts';

export const FINANCE_EXPORT_CLI: CommandSpec = {
  usage: 'npm run finance:export --',
  summary:
    'Exports the Billing Accounts changed since the last export from Salesforce to the Finance database with Bulk API 2.0 (or resumes the run that did not finish), then prints the run summary. Configuration: environment variables (docs/finance.md); without SF_INSTANCE_URL an org emulator with demo data stands in.',
  options: {
    full: {
      type: 'boolean',
      description: 'Export every row, not only the changes since the watermark (a full resync).'
    },
    check: {
      type: 'boolean',
      description:
        'Only read the mapping and check its query against what Bulk API 2.0 refuses; no API call.'
    },
    abandon: {
      type: 'boolean',
      description:
        'Drop the unfinished run (its staging and checkpoints) instead of resuming it; the watermark stays.'
    },
    status: { type: 'boolean', description: 'Show the last runs and exit.' }
  },
  examples: [
    'npm run finance:export',
    'npm run finance:export -- --full',
    'npm run finance:export -- --check'
  ],
  notes: [
    'Exit codes: 0 done; 1 failed (watermark unchanged); 2 usage, configuration, mapping or query refused before any call; 3 another export is running; 4 switched off (Integration_Setting__mdt FinanceExport); 5 interrupted (run again to resume).'
  ]
};

export const EXIT = { ok: 0, failed: 1, refused: 2, busy: 3, off: 4, interrupted: 5 } as const;

export interface FinanceExportIo {
  env?: Record<string, string | undefined>;
  stdout?: Writable & { isTTY?: boolean };
  stderr?: Writable;
  signal?: AbortSignal;
}

/** Demo rows the stand-in org holds when no org is configured. */
const DEFAULT_DEMO_ROWS = 10_000;

async function standInOrg(rows: number): Promise<RunningEmulator> {
  const emulator = await startSalesforceEmulator({
    projectDir: projectRoot(),
    httpPort: 0,
    grpcPort: 0
  });
  addDemoBillingAccounts(emulator, {
    rows,
    accounts: 20,
    accountName: (i) => `Demo Customer ${i + 1}`
  });
  return emulator;
}

export async function financeExportCommand(
  argv: readonly string[],
  io: FinanceExportIo = {}
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const say = (text: string) => stdout.write(`${text}\n`);
  const parsed = parseCommandLine(FINANCE_EXPORT_CLI, argv);
  if (parsed.help) {
    say(parsed.text);
    return EXIT.ok;
  }
  const flag = (name: string) => booleanValue(parsed.values, name);
  if ([flag('full'), flag('check'), flag('abandon'), flag('status')].filter(Boolean).length > 1) {
    throw new UsageError('--full, --check, --abandon and --status are alternatives: give one');
  }
  const env = { ...(io.env ?? process.env) };
  // The terminal shows the bar and the summary; the log is for warnings unless asked.
  env.LOG_LEVEL ??= 'warn';

  let emulator: RunningEmulator | undefined;
  let platform: Platform | undefined;
  try {
    let loaded: ReturnType<typeof loadProcessConfig>;
    try {
      loaded = loadProcessConfig(env, [financeService]);
    } catch (error) {
      if (error instanceof ConfigError) {
        stderr.write(`${error.message}\n`);
        return EXIT.refused;
      }
      throw error;
    }
    const config = loaded.services[0]?.config as Awaited<
      ReturnType<typeof financeService.config.load>
    >;

    let prepared: PreparedExport;
    try {
      prepared = await prepareExport(config.mappingFile);
    } catch (error) {
      if (error instanceof MappingError || error instanceof ExportQueryError) {
        stderr.write(`The export query was refused before any API call:\n${error.message}\n`);
        return EXIT.refused;
      }
      throw error;
    }
    const { mapping, query } = prepared;
    if (flag('check')) {
      say(`${config.mappingFile}: ${mapping.object} -> ${mapping.target.qualified}`);
      say(
        `  ${query.columns.length} columns, ${mapping.includeDeleted ? 'queryAll (deletions reach Finance)' : 'query'}`
      );
      say('  The query is one Bulk API 2.0 accepts and the export can split by Id.');
      return EXIT.ok;
    }

    const production = env.NODE_ENV?.trim() === 'production';
    if (!production && !env.SF_INSTANCE_URL?.trim()) {
      const rows = Number(env.FINANCE_DEMO_ROWS ?? DEFAULT_DEMO_ROWS);
      if (!Number.isSafeInteger(rows) || rows < 0 || rows > 10_000_000) {
        throw new UsageError('FINANCE_DEMO_ROWS must be a whole number from 0 to 10,000,000');
      }
      emulator = await standInOrg(rows);
      env.SF_INSTANCE_URL = emulator.instanceUrl;
      // The stand-in org's Finance connected app: the export runs as finance@emulator.local,
      // who holds exactly Finance_Export_Integration, as it would in an org.
      // The stand-in org's own Finance app, whatever a shell has set for a real org.
      env.SF_CLIENT_ID = FINANCE_CLIENT_ID;
      env.SF_CLIENT_SECRET = FINANCE_CLIENT_SECRET;
      delete env.FINANCE_SF_CLIENT_ID;
      delete env.FINANCE_SF_CLIENT_SECRET;
      env.FINANCE_GZIP ??= 'false';
      // The demo's Finance database is its own (the lab's embedded server may be running).
      if (!env.DATABASE_URL?.trim()) {
        env.EMBEDDED_PG_DIR ??= path.join(projectRoot(), '.data', 'finance-export-demo');
        env.EMBEDDED_PG_PORT ??= '0';
      }
      loaded = loadProcessConfig(env, [financeService]);
      say(
        `No SF_INSTANCE_URL: exporting from an org emulator in this process with ${rows.toLocaleString('en-US')} demo Billing Accounts (FINANCE_DEMO_ROWS).`
      );
    }
    const settings = (loaded.services[0]?.config as typeof config).export;

    platform = await startPlatform(loaded.platform, {
      name: 'finance-export',
      services: [],
      http: false,
      queue: false
    });
    const { pool } = platform.database;
    const logger = platform.logger.child({ component: 'finance-export' });

    if (flag('status')) {
      for (const run of await recentRuns(pool, mapping.target.qualified)) {
        say(
          `run ${run.id}  ${run.state.padEnd(9)} ${run.mode.padEnd(11)} ${run.startedAt.toISOString()}  ${run.records.toLocaleString('en-US')} rows  ${run.apiCalls} calls${run.error ? `  ${run.error}` : ''}`
        );
      }
      return EXIT.ok;
    }
    if (flag('abandon')) {
      // Under the export's lease: never under a run that is loading or merging right now.
      const lease = await acquireLease(pool, `finance-export:${mapping.target.qualified}`);
      if (!lease) {
        stderr.write(`${new ExportBusyError(mapping.target.qualified).message}\n`);
        return EXIT.busy;
      }
      try {
        const running = await findRunningRun(pool, mapping.target.qualified);
        const ended =
          running &&
          (await endRun(pool, mapping, running.id, 'abandoned', {
            error: 'abandoned by an operator'
          }));
        say(
          ended ? `Run ${running.id} abandoned; the watermark is unchanged.` : 'No unfinished run.'
        );
        return EXIT.ok;
      } finally {
        await lease.release();
      }
    }

    const salesforceLogger = logger.child({ component: 'salesforce' });
    const financeConfig = loaded.services[0]?.config as typeof config;
    let salesforce: SalesforceClients;
    try {
      salesforce =
        ownSalesforceClients(financeConfig, loaded.platform.salesforce, salesforceLogger) ??
        createSalesforceClients({ config: loaded.platform.salesforce, logger: salesforceLogger });
    } catch (error) {
      if (error instanceof FinanceSalesforceConfigError) {
        stderr.write(`${error.message}\n`);
        return EXIT.refused;
      }
      throw error;
    }
    try {
      const summary = await runExport({
        pool,
        salesforce,
        mapping,
        query,
        mappingFile: config.mappingFile,
        settings,
        mode: flag('full') ? 'full' : 'incremental',
        trigger: 'manual',
        logger,
        progress: createExportProgress(stdout),
        signal: io.signal
      });
      say(describeSummary(summary));
      return EXIT.ok;
    } catch (error) {
      if (error instanceof ExportFailedError) {
        stderr.write(`${error.message}\n`);
        return EXIT.failed;
      }
      if (error instanceof ExportBusyError) {
        stderr.write(`${error.message}\n`);
        return EXIT.busy;
      }
      if (error instanceof ExportSwitchedOffError) {
        stderr.write(`${error.message}\n`);
        return EXIT.off;
      }
      if (
        error instanceof ExportConflictError ||
        error instanceof TargetTableError ||
        error instanceof MappingError
      ) {
        stderr.write(`${error.message}\n`);
        return EXIT.refused;
      }
      if (io.signal?.aborted) {
        stderr.write(
          'Interrupted: the run keeps its checkpoints; run the export again to resume it.\n'
        );
        return EXIT.interrupted;
      }
      if (error instanceof SalesforceError) {
        // Salesforce unavailable or refusing (a field the user cannot read, an expired login):
        // an unfinished run keeps its checkpoints for the next try.
        stderr.write(`Salesforce: ${error.message}\n`);
        return EXIT.failed;
      }
      throw error;
    } finally {
      salesforce.close();
    }
  } finally {
    await platform?.stop();
    await emulator?.close();
  }
}
