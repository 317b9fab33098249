/**
 * `npm start`: the local lab. Brings up the off-platform services platform (PostgreSQL - the
 * embedded server unless DATABASE_URL is set -, migrations, job queue, HTTP with health,
 * readiness and metrics) and connects it to Salesforce: to the org in SF_INSTANCE_URL when
 * configured, otherwise to a Salesforce org emulator started in the same process, logged in
 * through the OAuth client-credentials flow as a real deployment would be. Scenario services
 * register on this platform:
 *  - account-sync (Scenario 1), calling the SAP system in SAP_BASE_URL when configured,
 *    otherwise the SAP simulator started in the same process;
 *  - payments (Scenario 2, POST/GET /payments), calling the SecurePay gateway in
 *    SECUREPAY_BASE_URL when configured, otherwise the SecurePay simulator started in the same
 *    process.
 */
import { projectRoot } from '../../toolkit/src/project.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  startSalesforceEmulator
} from '../../simulators/salesforce/src/emulator.ts';
import { startSapSimulator } from '../../simulators/sap/src/server.ts';
import { startSecurePaySimulator } from '../../simulators/securepay/src/server.ts';
import { loadAccountSyncConfig } from '../../services/src/account-sync/config.ts';
import { startAccountSync } from '../../services/src/account-sync/service.ts';
import { loadPaymentsConfig } from '../../services/src/payments/config.ts';
import { createPaymentsService } from '../../services/src/payments/service.ts';
import {
  loadConfigOrExit,
  startPlatform,
  type PlatformConfig
} from '../../services/src/platform/index.ts';
import { createSalesforceClients } from '../../services/src/platform/salesforce/index.ts';

/** Bearer token of the lab's service endpoints when SERVICE_API_TOKENS is not set. */
export const LAB_SERVICE_TOKEN = 'lab-service-token';

export interface Lab {
  servicesUrl: string;
  salesforceUrl: string;
  pubsubEndpoint: string;
  emulated: boolean;
  sapUrl: string;
  sapSimulated: boolean;
  securePayUrl: string;
  securePaySimulated: boolean;
  /** The lab's bearer token, when it chose one (SERVICE_API_TOKENS not set). */
  serviceToken: string | undefined;
  stop(): Promise<void>;
}

export interface StartLabOptions {
  env?: Record<string, string | undefined>;
  /** Emulator ports (0 = any free port); defaults 8780/8781. */
  emulatorHttpPort?: number;
  emulatorGrpcPort?: number;
  /** SAP simulator port when SAP_BASE_URL is not set (0 = any free port); default 8782. */
  sapPort?: number;
  /** SecurePay simulator port when SECUREPAY_BASE_URL is not set (0 = any free port); default 8783. */
  securePayPort?: number;
  /** Install SIGINT/SIGTERM handlers (the npm start entry point does). */
  handleSignals?: boolean;
}

export async function startLab(options: StartLabOptions = {}): Promise<Lab> {
  const env = { ...(options.env ?? process.env) };
  // Stand-ins for every external system that is not configured; a failed start closes them all.
  const simulators: Array<{ name: string; close: () => Promise<void> }> = [];
  const closeSimulators = async () => {
    for (const simulator of [...simulators].reverse()) await simulator.close();
  };
  const simulate = async <T extends { close(): Promise<void> }>(
    name: string,
    start: () => Promise<T>
  ): Promise<T> => {
    try {
      const started = await start();
      simulators.push({ name, close: () => started.close() });
      return started;
    } catch (error) {
      await closeSimulators();
      throw error;
    }
  };

  const emulate = !env.SF_INSTANCE_URL;
  const emulator = emulate
    ? await simulate('Salesforce emulator', () =>
        startSalesforceEmulator({
          projectDir: projectRoot(),
          httpPort: options.emulatorHttpPort ?? 8780,
          grpcPort: options.emulatorGrpcPort ?? 8781
        })
      )
    : undefined;
  if (emulator) {
    env.SF_INSTANCE_URL = emulator.instanceUrl;
    env.SF_CLIENT_ID ??= DEFAULT_CLIENT_ID;
    env.SF_CLIENT_SECRET ??= DEFAULT_CLIENT_SECRET;
    env.SF_PUBSUB_ENDPOINT = emulator.pubsubEndpoint;
    env.SF_PUBSUB_INSECURE_TLS = 'true';
  }

  // The lab's own bearer token for the service endpoints (what the Named Credential would send),
  // unless one is configured; the server listens on loopback by default.
  const labToken = !env.SERVICE_API_TOKENS;
  if (labToken) env.SERVICE_API_TOKENS = LAB_SERVICE_TOKEN;

  const simulateSap = !env.SAP_BASE_URL;
  const sap = simulateSap
    ? await simulate('SAP simulator', () => startSapSimulator({ port: options.sapPort ?? 8782 }))
    : undefined;
  if (sap) {
    env.SAP_BASE_URL = sap.url;
    env.SAP_USERNAME = sap.username;
    env.SAP_PASSWORD = sap.password;
  }
  const simulateSecurePay = !env.SECUREPAY_BASE_URL;
  const securePay = simulateSecurePay
    ? await simulate('SecurePay simulator', () =>
        startSecurePaySimulator({ port: options.securePayPort ?? 8783 })
      )
    : undefined;
  if (securePay) {
    env.SECUREPAY_BASE_URL = securePay.url;
    env.SECUREPAY_CLIENT_ID = securePay.clientId;
    env.SECUREPAY_CLIENT_SECRET = securePay.clientSecret;
    env.SECUREPAY_MERCHANT_CODE = securePay.merchantCode;
  }

  let config: PlatformConfig;
  let accountSyncConfig: ReturnType<typeof loadAccountSyncConfig>;
  let paymentsConfig: ReturnType<typeof loadPaymentsConfig>;
  try {
    config = loadConfigOrExit(env);
    accountSyncConfig = loadAccountSyncConfig(env);
    paymentsConfig = loadPaymentsConfig(env);
  } catch (error) {
    await closeSimulators();
    throw error;
  }
  const payments = createPaymentsService(paymentsConfig);
  const platform = await startPlatform(config, {
    service: 'lab',
    handleSignals: options.handleSignals ?? false,
    routes: payments.routes
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
  for (const simulator of simulators)
    platform.shutdown.add(`stop ${simulator.name}`, simulator.close);
  payments.attach(platform);
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
    securePayUrl: paymentsConfig.securePay.baseUrl,
    securePaySimulated: simulateSecurePay,
    serviceToken: labToken ? LAB_SERVICE_TOKEN : undefined,
    stop: async () => {
      await platform.stop();
    }
  };
}
