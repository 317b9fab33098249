/**
 * The org of the finance benchmark, in a process of its own so that neither measured side pays
 * for it: the org emulator (schema and permission sets from force-app; the Finance app's client
 * credentials log in as finance@emulator.local, who holds exactly Finance_Export_Integration) with
 * `rows` demo Billing_Account__c rows (lab/src/finance-demo-data.ts) over a few Accounts. Prints
 * `{"url": ...}` once it listens; stops on SIGTERM.
 *
 *   node --import tsx bench/workers/finance-org.ts <rows>
 */
import { startSalesforceEmulator } from '../../simulators/salesforce/src/emulator.ts';
import { projectRoot } from '../../toolkit/src/project.ts';
import { addDemoBillingAccounts } from '../../lab/src/finance-demo-data.ts';

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
addDemoBillingAccounts(emulator, { rows, accounts: ACCOUNTS });

process.stdout.write(`${JSON.stringify({ url: emulator.instanceUrl })}\n`);
process.on('SIGTERM', () => {
  void emulator.close().then(() => process.exit(0));
});
