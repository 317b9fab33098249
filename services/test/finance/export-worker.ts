// An export in a process of its own, for the tests that kill it: the org and the database from
// the environment (FINANCE_TEST_ORG_URL, FINANCE_TEST_DATABASE_URL), small pages so that the
// kill lands between checkpoints. Prints the summary as JSON when it finishes.
import pg from 'pg';
import {
  FINANCE_CLIENT_ID,
  FINANCE_CLIENT_SECRET
} from '../../../simulators/salesforce/src/emulator.ts';
import { runExport } from '../../src/finance/export-job.ts';
import { prepareExport } from '../../src/finance/prepare.ts';
import { createLogger, createSalesforceClients } from '../../src/platform/index.ts';
import { MAPPING_FILE, TEST_SETTINGS } from './harness.ts';

const instanceUrl = process.env.FINANCE_TEST_ORG_URL ?? '';
const pool = new pg.Pool({ connectionString: process.env.FINANCE_TEST_DATABASE_URL, max: 6 });
const salesforce = createSalesforceClients({
  config: {
    flow: 'client_credentials',
    instanceUrl,
    // The Finance connected app: the export's own user, as in the lab.
    clientId: FINANCE_CLIENT_ID,
    clientSecret: FINANCE_CLIENT_SECRET
  },
  apiVersion: '65.0'
});
const { mapping, query } = await prepareExport(MAPPING_FILE);
const summary = await runExport({
  pool,
  salesforce,
  mapping,
  query,
  mappingFile: MAPPING_FILE,
  settings: {
    ...TEST_SETTINGS,
    pageSize: Number(process.env.FINANCE_TEST_PAGE_SIZE ?? 2_000),
    chunkSize: Number(process.env.FINANCE_TEST_CHUNK_SIZE ?? 100_000)
  },
  mode: 'incremental',
  trigger: 'manual',
  logger: createLogger({ level: 'warn' })
});
process.stdout.write(`${JSON.stringify(summary)}\n`);
salesforce.close();
await pool.end();
