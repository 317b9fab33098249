/**
 * `npm start`: the local lab. Brings up the off-platform services platform (PostgreSQL - the
 * embedded server unless DATABASE_URL is set -, migrations, job queue, HTTP with health,
 * readiness and metrics) and connects it to Salesforce: to the org in SF_INSTANCE_URL when
 * configured, otherwise to a Salesforce org emulator started in the same process, logged in
 * through the OAuth client-credentials flow as a real deployment would be. Scenario services
 * register on this platform:
 *  - account-sync (Scenario 1), calling the SAP system in SAP_BASE_URL when configured,
 *    otherwise the SAP simulator started in the same process.
 */
import { projectRoot } from '../../scripts/lib/project.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  startSalesforceEmulator
} from '../../simulators/salesforce/src/emulator.ts';
import { startSapSimulator } from '../../simulators/sap/src/server.ts';
import { loadAccountSyncConfig } from './account-sync/config.ts';
import { startAccountSync } from './account-sync/service.ts';
import { loadConfigOrExit, startPlatform, type PlatformConfig } from './platform/index.ts';
import { createSalesforceClients } from './platform/salesforce/index.ts';

export interface Lab {
  servicesUrl: string;
  salesforceUrl: string;
  pubsubEndpoint: string;
  emulated: boolean;
  sapUrl: string;
  sapSimulated: boolean;
  stop(): Promise<void>;
}

export interface StartLabOptions {
  env?: Record<string, string | undefined>;
  /** Emulator ports (0 = any free port); defaults 8780/8781. */
  emulatorHttpPort?: number;
  emulatorGrpcPort?: number;
  /** SAP simulator port when SAP_BASE_URL is not set (0 = any free port); default 8782. */
  sapPort?: number;
  /** Install SIGINT/SIGTERM handlers (the npm start entry point does). */
  handleSignals?: boolean;
}

export async function startLab(options: StartLabOptions = {}): Promise<Lab> {
  const env = { ...(options.env ?? process.env) };
  const emulate = !env.SF_INSTANCE_URL;
  const emulator = emulate
    ? await startSalesforceEmulator({
        projectDir: projectRoot(),
        httpPort: options.emulatorHttpPort ?? 8780,
        grpcPort: options.emulatorGrpcPort ?? 8781
      })
    : undefined;
  if (emulator) {
    env.SF_INSTANCE_URL = emulator.instanceUrl;
    env.SF_CLIENT_ID ??= DEFAULT_CLIENT_ID;
    env.SF_CLIENT_SECRET ??= DEFAULT_CLIENT_SECRET;
    env.SF_PUBSUB_ENDPOINT = emulator.pubsubEndpoint;
    env.SF_PUBSUB_INSECURE_TLS = 'true';
  }

  const simulateSap = !env.SAP_BASE_URL;
  const sap = simulateSap
    ? await startSapSimulator({ port: options.sapPort ?? 8782 }).catch(async (error: unknown) => {
        await emulator?.close();
        throw error;
      })
    : undefined;
  if (sap) {
    env.SAP_BASE_URL = sap.url;
    env.SAP_USERNAME = sap.username;
    env.SAP_PASSWORD = sap.password;
  }
  const closeSimulators = async () => {
    await sap?.close();
    await emulator?.close();
  };

  let config: PlatformConfig;
  let accountSyncConfig: ReturnType<typeof loadAccountSyncConfig>;
  try {
    config = loadConfigOrExit(env);
    accountSyncConfig = loadAccountSyncConfig(env);
  } catch (error) {
    await closeSimulators();
    throw error;
  }
  const platform = await startPlatform(config, {
    service: 'lab',
    handleSignals: options.handleSignals ?? false
  }).catch(async (error: unknown) => {
    await closeSimulators();
    throw error;
  });
  // API calls per operation on /metrics (salesforce_api_calls_total).
  const salesforce = createSalesforceClients({
    config: config.salesforce,
    ...(platform.http ? { registry: platform.http.metrics } : {})
  });
  // Ready means Salesforce answers too: one authenticated call proves URL and credentials.
  platform.http?.readiness.add('salesforce', async () => {
    await salesforce.rest.limits();
  });
  platform.shutdown.add('close Salesforce clients', async () => salesforce.close());
  if (emulator) platform.shutdown.add('stop Salesforce emulator', () => emulator.close());
  if (sap) platform.shutdown.add('stop SAP simulator', () => sap.close());
  try {
    await startAccountSync({ platform, salesforce, config: accountSyncConfig });
  } catch (error) {
    await platform.stop();
    throw error;
  }

  return {
    servicesUrl: platform.url ?? '',
    salesforceUrl: config.salesforce.instanceUrl ?? '',
    pubsubEndpoint: config.salesforce.pubsubEndpoint,
    emulated: emulate,
    sapUrl: accountSyncConfig.sap.baseUrl,
    sapSimulated: simulateSap,
    stop: async () => {
      await platform.stop();
    }
  };
}
