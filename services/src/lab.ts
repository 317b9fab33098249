/**
 * `npm start`: the local lab. Brings up the off-platform services platform (PostgreSQL - the
 * embedded server unless DATABASE_URL is set -, migrations, job queue, HTTP with health,
 * readiness and metrics) and connects it to Salesforce: to the org in SF_INSTANCE_URL when
 * configured, otherwise to a Salesforce org emulator started in the same process, logged in
 * through the OAuth client-credentials flow as a real deployment would be. Scenario services
 * register on this platform as they arrive.
 */
import { projectRoot } from '../../scripts/lib/project.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  startSalesforceEmulator
} from '../../simulators/salesforce/src/emulator.ts';
import { loadConfigOrExit, startPlatform, type PlatformConfig } from './platform/index.ts';
import { createSalesforceClients } from './platform/salesforce/index.ts';

export interface Lab {
  servicesUrl: string;
  salesforceUrl: string;
  pubsubEndpoint: string;
  emulated: boolean;
  stop(): Promise<void>;
}

export interface StartLabOptions {
  env?: Record<string, string | undefined>;
  /** Emulator ports (0 = any free port); defaults 8780/8781. */
  emulatorHttpPort?: number;
  emulatorGrpcPort?: number;
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

  let config: PlatformConfig;
  try {
    config = loadConfigOrExit(env);
  } catch (error) {
    await emulator?.close();
    throw error;
  }
  const salesforce = createSalesforceClients({ config: config.salesforce });
  const platform = await startPlatform(config, {
    service: 'lab',
    handleSignals: options.handleSignals ?? false
  }).catch(async (error: unknown) => {
    await emulator?.close();
    throw error;
  });
  // Ready means Salesforce answers too: one authenticated call proves URL and credentials.
  platform.http?.readiness.add('salesforce', async () => {
    await salesforce.rest.limits();
  });
  platform.shutdown.add('close Salesforce clients', async () => salesforce.close());
  if (emulator) platform.shutdown.add('stop Salesforce emulator', () => emulator.close());

  return {
    servicesUrl: platform.url ?? '',
    salesforceUrl: config.salesforce.instanceUrl ?? '',
    pubsubEndpoint: config.salesforce.pubsubEndpoint,
    emulated: emulate,
    stop: async () => {
      await platform.stop();
    }
  };
}
