// Billing accounts for an org emulator that stands in for a real org: the demo of
// `npm run finance:export` and the finance benchmark's org. Values of every kind the mapping
// carries, nulls, and one note in ten with a line break and quotes (so a CSV mistake shows),
// every row changed over the last week so that an export's window (which ends
// FINANCE_WINDOW_LAG_SECONDS before now) holds them all. Generated rows cost no memory per row.
import type { RunningEmulator } from '../../simulators/salesforce/src/emulator.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface DemoBillingAccounts {
  rows: number;
  /** Accounts the rows are spread over. */
  accounts: number;
  accountName?: (index: number) => string;
}

export function addDemoBillingAccounts(emulator: RunningEmulator, demo: DemoBillingAccounts): void {
  const { store, adminUser } = emulator.ctx;
  const accountName = demo.accountName ?? ((i: number) => `Customer ${i + 1}`);
  const accounts = Array.from(
    { length: demo.accounts },
    (_, i) => store.insert('Account', { Name: accountName(i) }, adminUser).Id as string
  );
  const statuses = ['Active', 'Active', 'Active', 'Suspended', 'Closed'];
  const cycles = ['Monthly', 'Quarterly', 'Annual'];
  store.addGeneratedDataset(
    'Billing_Account__c',
    demo.rows,
    (i) => ({
      Name: `Billing ${i + 1}`,
      Account__c: accounts[i % accounts.length],
      Billing_Account_Number__c: `BA-${String(i + 1).padStart(8, '0')}`,
      Status__c: statuses[i % statuses.length],
      Balance__c: ((i * 37) % 100_000) / 100,
      Credit_Limit__c: 5_000,
      Currency_Code__c: i % 3 === 0 ? 'EUR' : 'USD',
      Billing_Cycle__c: cycles[i % cycles.length],
      Payment_Terms__c: 'Net 30',
      Last_Invoice_Date__c: '2026-11-30',
      Billing_Email__c: i % 4 === 0 ? null : `billing${i}@example.com`,
      Finance_Notes__c: i % 10 === 0 ? `Line one of ${i}\nline two, "quoted" é` : null
    }),
    {
      modstamps: {
        from: new Date(Date.now() - 7 * DAY_MS),
        to: new Date(Date.now() - 10 * MINUTE_MS)
      }
    }
  );
}
