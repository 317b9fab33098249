/**
 * `npm run service:account-sync`: the account-sync service (Scenario 1) as a process of its own,
 * the way it runs next to the ESB. Configuration comes from the environment only (see
 * docs/account-sync.md): Salesforce (SF_*), PostgreSQL (DATABASE_URL, else an embedded server)
 * and SAP (SAP_*). Run as many instances as you like: leases keep one subscriber and one batch
 * processor active, the others stand by. SIGINT/SIGTERM stop it gracefully; SIGKILL loses
 * nothing either (inbox, replay id and retry queue are in PostgreSQL).
 */
import { loadOrExit } from '../platform/env-config.ts';
import { loadConfigOrExit, startPlatform } from '../platform/index.ts';
import { createSalesforceClients } from '../platform/salesforce/index.ts';
import { loadAccountSyncConfig } from './config.ts';
import { startAccountSync } from './service.ts';

const platformConfig = loadConfigOrExit(process.env);
const config = loadOrExit(() => loadAccountSyncConfig(process.env));
try {
  const platform = await startPlatform(platformConfig, {
    service: 'account-sync',
    handleSignals: true
  });
  // API calls per operation on /metrics (salesforce_api_calls_total), next to account-sync's own.
  const salesforce = createSalesforceClients({
    config: platformConfig.salesforce,
    ...(platform.http ? { registry: platform.http.metrics } : {})
  });
  platform.shutdown.add('close Salesforce clients', async () => salesforce.close());
  platform.http?.readiness.add('salesforce', async () => {
    await salesforce.rest.limits();
  });
  await startAccountSync({ platform, salesforce, config }).catch(async (error: unknown) => {
    await platform.stop();
    throw error;
  });
  platform.logger.info({ sap: config.sap.baseUrl }, 'account-sync running');
} catch (error) {
  // An unreachable database or a busy port is the operator's to fix: say what, not where.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`account-sync could not start: ${message}\n`);
  process.exit(1);
}
