/**
 * The org of the finance benchmark, in a process of its own so that neither measured side pays
 * for it: the org emulator (schema and permission sets from force-app; client credentials log in
 * as the integration user, who holds exactly Integration_Service_User) with `rows` generated
 * Billing_Account__c rows spread over a few Accounts, every one changed over the last week so the
 * export's window (which ends FINANCE_WINDOW_LAG_SECONDS before now) holds them all. Prints
 * `{"url": ...}` once it listens; stops on SIGTERM.
 *
 *   node --import tsx bench/workers/finance-org.ts <rows>
 */
import { startSalesforceEmulator } from '../../simulators/salesforce/src/emulator.ts';
import { projectRoot } from '../../toolkit/src/project.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const ACCOUNTS = 10;

const rows = Number(process.argv[2] ?? '');
if (!Number.isSafeInteger(rows) || rows < 1) {
  console.error('usage: finance-org.ts <rows>');
  process.exit(2);
}

const emulator = await startSalesforceEmulator({
  projectDir: projectRoot(),
  httpPort: 0,
  grpcPort: 0
});
const { store, adminUser } = emulator.ctx;
const accounts = Array.from(
  { length: ACCOUNTS },
  (_, i) => store.insert('Account', { Name: `Customer ${i + 1}` }, adminUser).Id as string
);
const statuses = ['Active', 'Active', 'Active', 'Suspended', 'Closed'];
const cycles = ['Monthly', 'Quarterly', 'Annual'];
// Values of every kind the mapping carries, nulls, and one note in ten with a line break and
// quotes: both sides must get the CSV right for the Finance tables to compare equal.
store.addGeneratedDataset(
  'Billing_Account__c',
  rows,
  (i) => ({
    Name: `Billing ${i + 1}`,
    Account__c: accounts[i % ACCOUNTS],
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

process.stdout.write(`${JSON.stringify({ url: emulator.instanceUrl })}\n`);
process.on('SIGTERM', () => {
  void emulator.close().then(() => process.exit(0));
});
