/**
 * One measured Bulk API 2.0 read, in its own process so its RSS is its own: the org emulator
 * serves a generated Account dataset and either the platform's streaming reader or jsforce's
 * `bulk2.query` (the baseline) reads every row in the same process. Prints one JSON result.
 *
 *   node --import tsx bench/workers/bulk-query.ts <reader|jsforce> <rows>
 */
import jsforce from 'jsforce';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  startSalesforceEmulator
} from '../../simulators/salesforce/src/emulator.ts';
import { ADMIN_USERNAME } from '../../simulators/salesforce/src/context.ts';
import { projectRoot } from '../../toolkit/src/project.ts';
import { createSalesforceClients } from '../../services/src/platform/salesforce/index.ts';
import { trackPeakRss } from '../report.ts';

const SOQL = 'SELECT Id, Name, AccountNumber, BillingCity, Description FROM Account';
const [mode = 'reader', rowsArg = '100000'] = process.argv.slice(2);
const rows = Number(rowsArg);
if (!['reader', 'jsforce'].includes(mode) || !Number.isSafeInteger(rows) || rows < 1) {
  console.error('usage: bulk-query.ts <reader|jsforce> <rows>');
  process.exit(2);
}

// Both readers run as the System Administrator (the connected app's Run As user and the admin
// token): the bench measures reading, and reads standard fields no service is granted.
const emulator = await startSalesforceEmulator({
  projectDir: projectRoot(),
  httpPort: 0,
  grpcPort: 0,
  config: { clientCredentialsUsername: ADMIN_USERNAME }
});
emulator.ctx.store.addGeneratedDataset('Account', rows, (i) => ({
  Name: `Account ${i}`,
  AccountNumber: `AN-${i}`,
  BillingCity: 'Springfield',
  Description: `Generated row ${i} of the bulk benchmark`
}));

const baselineRssMb = process.memoryUsage.rss() / (1024 * 1024);
const rss = trackPeakRss(10);
const started = performance.now();
let read = 0;
if (mode === 'reader') {
  const sf = createSalesforceClients({
    config: {
      flow: 'client_credentials',
      instanceUrl: emulator.instanceUrl,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET
    },
    apiVersion: '65.0'
  });
  const { rows: stream } = await sf.bulkQuery.query(SOQL);
  for await (const row of stream) {
    if (row.Name !== `Account ${read}`) throw new Error(`row ${read} is ${JSON.stringify(row)}`);
    read += 1;
  }
  sf.close();
} else {
  const conn = new jsforce.Connection({
    instanceUrl: emulator.instanceUrl,
    accessToken: emulator.adminAccessToken,
    version: '65.0'
  });
  const records = (await (await conn.bulk2.query(SOQL)).toArray()) as unknown[];
  read = records.length;
}
const seconds = (performance.now() - started) / 1000;
const peakRssMb = rss.stop();
await emulator.close();

process.stdout.write(
  `${JSON.stringify({ mode, rows: read, seconds, rowsPerSecond: read / seconds, baselineRssMb, peakRssMb })}\n`
);
process.exit(0);
