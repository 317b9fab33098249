// Set-up of the Finance export tests: the org emulator (schema and permission sets from
// force-app; the export logged in with the Finance connected app as finance@emulator.local,
// holding exactly the shipped Finance_Export_Integration), a real PostgreSQL database of its own with the migrations applied,
// the shipped mapping, and the FinanceExport kill switch. Nothing is mocked.
import path from 'node:path';
import {
  FINANCE_CLIENT_ID,
  FINANCE_CLIENT_SECRET
} from '../../../simulators/salesforce/src/emulator.ts';
import { projectRoot } from '../../../toolkit/src/project.ts';
import { DEFAULT_MAPPING_FILE } from '../../src/finance/config.ts';
import {
  FINANCE_SCENARIO,
  runExport,
  type ExportJobOptions,
  type ExportSettings,
  type ExportSummary
} from '../../src/finance/export-job.ts';
import type { ExportQuery } from '../../src/finance/export-query.ts';
import type { FinanceMapping } from '../../src/finance/mapping.ts';
import { prepareExport } from '../../src/finance/prepare.ts';
import { createLogger, migrate, type SalesforceClients } from '../../src/platform/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { clearFinance } from './finance-tables.ts';
import { scenarioSwitch } from '../helpers/kill-switch.ts';
import { startTestOrg, type TestOrg } from '../platform/salesforce-test-org.ts';

export const MAPPING_FILE = path.join(projectRoot(), DEFAULT_MAPPING_FILE);

export const TEST_SETTINGS: ExportSettings = {
  chunkSize: 100_000,
  concurrency: 2,
  pageSize: 2_000,
  gzip: true,
  lagMs: 0,
  pageRetries: 2,
  poll: { initialDelayMs: 20, maxDelayMs: 200, factor: 1.5, timeoutMs: 60_000 }
};

/** The Finance table as the tests compare it (the run columns left out). */
export const FINANCE_COLUMNS = `salesforce_id, system_modstamp, is_deleted, account_number, name,
  account_id, account_name, status, balance::text, credit_limit::text, currency_code, billing_cycle,
  payment_terms, last_invoice_date::text, next_invoice_date::text, billing_email, tax_id,
  cost_center, finance_notes`;

export interface FinanceLab {
  org: TestOrg;
  db: TestDatabase;
  /** The export's clients: the integration user (client credentials). */
  salesforce: SalesforceClients;
  /** A System Administrator: the test's own writes and reads. */
  admin: SalesforceClients;
  mapping: FinanceMapping;
  query: ExportQuery;
  /** Accounts (driver fixtures) the generated billing accounts hang off. */
  accounts(count: number): Promise<string[]>;
  /** `count` generated Billing Accounts spread over `accountIds` ({i} = row index). */
  billingAccounts(count: number, accountIds: readonly string[]): Promise<void>;
  export(
    overrides?: Omit<Partial<ExportJobOptions>, 'settings'> & { settings?: Partial<ExportSettings> }
  ): Promise<ExportSummary>;
  /** Finance's rows, ordered by Id. */
  financeRows(): Promise<Array<Record<string, unknown>>>;
  setSwitch(enabled: boolean): void;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startFinanceLab(): Promise<FinanceLab> {
  const org = await startTestOrg();
  const db = await createTestDatabase();
  await migrate(db.pool, {});
  const { mapping, query } = await prepareExport(MAPPING_FILE);
  const salesforce = org.clients({
    config: {
      flow: 'client_credentials',
      instanceUrl: org.emulator.instanceUrl,
      clientId: FINANCE_CLIENT_ID,
      clientSecret: FINANCE_CLIENT_SECRET
    }
  });
  const admin = org.adminClients();
  const logger = createLogger({ level: 'silent' });
  let set = scenarioSwitch(() => org.emulator.ctx, FINANCE_SCENARIO);
  return {
    org,
    db,
    salesforce,
    admin,
    mapping,
    query,
    async accounts(count) {
      return org.fixtures(
        'Account',
        Array.from({ length: count }, (_, i) => ({ Name: `Customer ${i + 1}` }))
      );
    },
    async billingAccounts(count, accountIds) {
      // One dataset per account keeps the template static ({i} is the row index).
      const per = Math.ceil(count / accountIds.length);
      for (const [a, accountId] of accountIds.entries()) {
        const rows = Math.min(per, count - a * per);
        if (rows <= 0) break;
        await org.dataset('Billing_Account__c', rows, {
          Name: `Billing ${a}-{i}`,
          Account__c: accountId,
          Billing_Account_Number__c: `BA-${a}-{i}`,
          Status__c: 'Active',
          Balance__c: 125.5,
          Credit_Limit__c: 1000,
          Currency_Code__c: 'EUR',
          Billing_Cycle__c: 'Monthly',
          Payment_Terms__c: 'Net 30',
          Last_Invoice_Date__c: '2026-11-30',
          Finance_Notes__c: 'Row {i}'
        });
      }
    },
    async export(overrides = {}) {
      const { settings, ...rest } = overrides;
      return runExport({
        pool: db.pool,
        salesforce,
        mapping,
        query,
        mappingFile: MAPPING_FILE,
        mode: 'incremental',
        trigger: 'manual',
        logger,
        ...rest,
        settings: { ...TEST_SETTINGS, ...settings }
      });
    },
    async financeRows() {
      const { rows } = await db.pool.query(
        `SELECT ${FINANCE_COLUMNS} FROM finance.billing_account ORDER BY salesforce_id`
      );
      return rows;
    },
    setSwitch(enabled) {
      set(enabled);
    },
    async reset() {
      await org.reset();
      set = scenarioSwitch(() => org.emulator.ctx, FINANCE_SCENARIO);
      await clearFinance(db.pool);
    },
    async close() {
      salesforce.close();
      admin.close();
      await org.close();
      await db.drop();
    }
  };
}
