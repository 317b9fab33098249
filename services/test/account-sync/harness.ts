// End-to-end set-up of the account-sync tests: the org emulator (schema from force-app, including
// force-app/main/account-sync), the SAP simulator, a real PostgreSQL database of its own, the
// services platform (no HTTP) and the account-sync service, all in this process.
import { startSapSimulator, type RunningSapSimulator } from '../../../simulators/sap/src/server.ts';
import { loadAccountSyncConfig, type AccountSyncConfig } from '../../src/account-sync/config.ts';
import { createAccountSyncService, type AccountSyncHooks } from '../../src/account-sync/service.ts';
import { inboxSize } from '../../src/account-sync/inbox.ts';
import type { KillSwitchState } from '../../src/account-sync/kill-switch.ts';
import type { ReconcileResult } from '../../src/account-sync/reconcile.ts';
import type { BatchResult } from '../../src/account-sync/sync-batch.ts';
import {
  loadProcessConfig,
  startPlatform,
  type Platform,
  type SalesforceClients
} from '../../src/platform/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  startTestOrg,
  type TestOrg
} from '../platform/salesforce-test-org.ts';
import { until } from '../../../toolkit/testing/wait.ts';
import type { EmulatorConfig } from '../../../simulators/salesforce/src/model.ts';

export const EVENT = 'Account_Sync__e';

export interface Lab {
  org: TestOrg;
  sap: RunningSapSimulator;
  db: TestDatabase;
  /** The service's clients: the integration user (client credentials). */
  salesforce: SalesforceClients;
  /**
   * The org's people and flows (a System Administrator): they create, edit and delete the
   * Accounts the service then syncs, and the test's own reads go through them (metered apart).
   */
  admin: SalesforceClients;
  probe: SalesforceClients;
  config: AccountSyncConfig;
  /** The platform running the service (no HTTP), while started. */
  service: Platform | undefined;
  batches: BatchResult[];
  reconciles: ReconcileResult[];
  /** The kill switch's states as the service read them, in order. */
  killSwitch: KillSwitchState[];
  /** Starts the service; `hooks` add to (or replace) the lab's own. */
  startService(overrides?: Record<string, string>, hooks?: AccountSyncHooks): Promise<Platform>;
  stopService(): Promise<void>;
  /** Inserts accounts through REST (as a user would) and publishes Create like the flow. */
  createAccounts(records: Array<Record<string, unknown>>): Promise<string[]>;
  publish(accountId: string, operation: string, sapNumber?: string): Promise<void>;
  accounts(ids: readonly string[]): Promise<Array<Record<string, unknown>>>;
  inboxSize(): Promise<number>;
  until(
    predicate: () => Promise<boolean> | boolean,
    what: string | (() => string),
    timeoutMs?: number
  ): Promise<void>;
  close(): Promise<void>;
}

export function env(org: TestOrg, sap: RunningSapSimulator, db: TestDatabase) {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: db.url,
    SF_INSTANCE_URL: org.emulator.instanceUrl,
    SF_CLIENT_ID: DEFAULT_CLIENT_ID,
    SF_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
    SF_PUBSUB_ENDPOINT: org.emulator.pubsubEndpoint,
    SF_PUBSUB_INSECURE_TLS: 'true',
    SAP_BASE_URL: sap.url,
    SAP_USERNAME: sap.username,
    SAP_PASSWORD: sap.password,
    SAP_TIMEOUT_MS: '2000',
    ACCOUNT_SYNC_MAX_WAIT_MS: '50',
    ACCOUNT_SYNC_RETRY_LIMIT: '3',
    ACCOUNT_SYNC_RETRY_DELAY_S: '1'
  };
}

export async function startLab(
  options: {
    sapLatencyMs?: number;
    /** The org's organization-wide defaults, e.g. `{ Account: 'Private' }`. */
    sharingModels?: EmulatorConfig['sharingModels'];
  } = {}
): Promise<Lab> {
  const org = await startTestOrg({
    pubsub: { keepaliveMs: 200 },
    ...(options.sharingModels ? { config: { sharingModels: options.sharingModels } } : {})
  });
  const sap = await startSapSimulator({ port: 0, latencyMs: options.sapLatencyMs ?? 0 });
  const db = await createTestDatabase();
  const baseEnv = env(org, sap, db);
  const salesforce = org.clients();
  const admin = org.adminClients();
  const probe = org.adminClients();
  const lab: Lab = {
    org,
    sap,
    db,
    salesforce,
    admin,
    probe,
    config: loadAccountSyncConfig(baseEnv),
    service: undefined,
    batches: [],
    reconciles: [],
    killSwitch: [],
    async startService(overrides = {}, hooks = {}) {
      const service = createAccountSyncService({
        leaseRetryMs: 100,
        retryPollMs: 300,
        onBatch: (result) => lab.batches.push(result),
        onReconcile: (result) => lab.reconciles.push(result),
        onKillSwitch: (state) => lab.killSwitch.push(state),
        ...hooks
      });
      const loaded = loadProcessConfig({ ...baseEnv, ...overrides }, [service]);
      lab.config = loadAccountSyncConfig({ ...baseEnv, ...overrides });
      // The test org's clients (short retry back-off), as the platform would hand them over.
      lab.service = await startPlatform(loaded.platform, {
        name: 'account-sync-test',
        services: loaded.services,
        http: false,
        salesforce
      });
      return lab.service;
    },
    async stopService() {
      await lab.service?.stop();
      lab.service = undefined;
    },
    async createAccounts(records) {
      const results = await admin.rest.createMany(
        'Account',
        records.map((r) => ({ Sync_Status__c: 'Pending', ...r })),
        { allOrNone: true }
      );
      const ids = results.map((r) => String(r.id));
      for (const id of ids) await lab.publish(id, 'Create');
      return ids;
    },
    async publish(accountId, operation, sapNumber) {
      const answer = await org.emulator.rest('POST', `sobjects/${EVENT}`, {
        Account_Id__c: accountId,
        Operation__c: operation,
        // System.now() in the flow: the org's clock.
        Changed_At__c: org.emulator.ctx.clock.now().toISOString(),
        ...(sapNumber ? { SAP_Customer_Number__c: sapNumber } : {})
      });
      if (answer.status !== 201)
        throw new Error(`publish: ${answer.status} ${JSON.stringify(answer.body)}`);
    },
    async accounts(ids) {
      return probe.rest.queryByIds(
        'Account',
        [
          'Id',
          'Name',
          'SAP_Customer_Number__c',
          'Sync_Status__c',
          'Sync_Error__c',
          'Last_Synced_At__c'
        ],
        ids
      );
    },
    inboxSize: () => inboxSize(db.pool),
    until: (predicate, what, timeoutMs = 20_000) =>
      until(predicate, what, { timeoutMs, intervalMs: 50 }),
    async close() {
      await lab.stopService();
      salesforce.close();
      admin.close();
      probe.close();
      await sap.close();
      await org.close();
      await db.drop();
    }
  };
  return lab;
}

/** Every account Success with a SAP number. */
export async function allSynced(lab: Lab, ids: readonly string[]): Promise<boolean> {
  const rows = await lab.accounts(ids);
  return (
    rows.length === ids.length &&
    rows.every((r) => r.Sync_Status__c === 'Success' && r.SAP_Customer_Number__c)
  );
}

/** Creates one account (German billing address) and waits until the service has synced it. */
export async function createSyncedAccount(
  lab: Lab,
  name: string
): Promise<{ id: string; sapNumber: string }> {
  const [id] = await lab.createAccounts([
    { Name: name, BillingCountry: 'DE', BillingCity: 'Berlin' }
  ]);
  await lab.until(() => allSynced(lab, [id as string]), `${name} synced`);
  const [account] = await lab.accounts([id as string]);
  return { id: id as string, sapNumber: String(account?.SAP_Customer_Number__c) };
}
