/**
 * The service process (`npm run service:account-sync`, services/src/account-sync/main.ts) killed
 * with SIGKILL in the middle of a batch - customers already created in SAP, their numbers not yet
 * written back - and started again: every account ends in SAP exactly once with the right data,
 * and every Salesforce account ends Success with its customer's number. The org emulator, the SAP
 * simulator and PostgreSQL run in this process; the service in child processes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSapSimulator, type RunningSapSimulator } from '../../../simulators/sap/src/server.ts';
import type { SalesforceClients } from '../../src/platform/salesforce/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { until } from '../../../toolkit/testing/wait.ts';
import { startTestOrg, type TestOrg } from '../platform/salesforce-test-org.ts';
import { env, EVENT } from './harness.ts';

const COUNT = 3000;
const BATCH = 500;
const main = fileURLToPath(new URL('../../src/account-sync/main.ts', import.meta.url));
type Json = Record<string, unknown>;

describe('account-sync killed mid-batch (SIGKILL) and restarted', () => {
  let org: TestOrg;
  let sap: RunningSapSimulator;
  let db: TestDatabase;
  let probe: SalesforceClients;
  const children: ChildProcess[] = [];
  const stderr: string[] = [];

  before(async () => {
    org = await startTestOrg({ pubsub: { keepaliveMs: 200 } });
    // Latency makes a batch last long enough to be caught in the middle.
    sap = await startSapSimulator({ port: 0, latencyMs: 15 });
    db = await createTestDatabase();
    probe = org.adminClients();
  });

  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    probe?.close();
    await sap?.close();
    await org?.close();
    await db?.drop();
  });

  function startService(): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: {
        ...process.env,
        ...env(org, sap, db),
        LOG_LEVEL: 'warn',
        HTTP_PORT: '0',
        ACCOUNT_SYNC_BATCH_SIZE: String(BATCH)
      },
      stdio: ['ignore', 'ignore', 'pipe']
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    children.push(child);
    return child;
  }

  const successCount = () =>
    probe.rest.queryCount(
      "SELECT COUNT() FROM Account WHERE Sync_Status__c = 'Success' AND SAP_Customer_Number__c != null"
    );

  it('every account in SAP exactly once, every account Success', { timeout: 180_000 }, async () => {
    const ids = await org.fixtures(
      'Account',
      Array.from({ length: COUNT }, (_, i) => ({
        Name: `Kill Test Customer ${i}`,
        BillingCountry: 'DE',
        BillingCity: `City ${i}`,
        Sync_Status__c: 'Pending'
      }))
    );
    const first = startService();
    for (const id of ids)
      org.emulator.ctx.bus.publish(EVENT, { Account_Id__c: id, Operation__c: 'Create' });

    // Kill while the third batch is on its way to SAP.
    await until(
      () => sap.control.partners().length >= 2 * BATCH + BATCH / 3,
      `the third batch to reach SAP (service stderr: ${stderr.join('')})`,
      90_000
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const inSap = sap.control.partners().length;
    const written = await successCount();
    assert.ok(
      written < inSap,
      `killed mid-batch: ${inSap} customers in SAP, ${written} written back`
    );
    assert.ok(inSap < COUNT, 'killed before the end');

    startService();
    await until(
      async () => (await successCount()) === COUNT,
      `every account Success (service stderr: ${stderr.join('')})`,
      120_000
    );

    const partners = sap.control.partners() as Json[];
    assert.equal(partners.length, COUNT, 'no customer created twice');
    const bySearchTerm = new Map(partners.map((p) => [p.SearchTerm1, p]));
    assert.equal(bySearchTerm.size, COUNT);
    const accounts = await probe.rest.queryByIds<Json>(
      'Account',
      ['Id', 'Name', 'BillingCity', 'SAP_Customer_Number__c', 'Sync_Error__c'],
      ids
    );
    for (const account of accounts) {
      const partner = bySearchTerm.get(String(account.Id).toUpperCase()) as Json;
      assert.ok(partner, `a customer for ${String(account.Id)}`);
      assert.equal(partner.BusinessPartner, account.SAP_Customer_Number__c);
      assert.equal(partner.OrganizationBPName1, account.Name);
      const address = (partner.to_BusinessPartnerAddress as { results: Json[] }).results[0];
      assert.equal(address?.CityName, account.BillingCity);
      assert.equal(account.Sync_Error__c, null);
    }
  });
});
