/**
 * `npm start`: the local lab. Runs the scenario services on the services platform (PostgreSQL -
 * the embedded server unless DATABASE_URL is set -, migrations, job queue, HTTP with health,
 * readiness and metrics) and gives them stand-ins for every external system not configured:
 *  - Salesforce: the org in SF_INSTANCE_URL, else a Salesforce org emulator in this process,
 *    logged in through the OAuth client-credentials flow as a real deployment would be (the
 *    Finance export through the emulator's Finance app, as its own user);
 *  - SAP (account-sync, Scenario 1): SAP_BASE_URL, else the SAP simulator;
 *  - SecurePay (payments, Scenario 2): SECUREPAY_BASE_URL, else the SecurePay simulator;
 *  - BackCheck (background-check, Scenario 3): BACKCHECK_BASE_URL, else the BackCheck simulator,
 *    its callbacks pointed at the lab's /backcheck/callbacks.
 * With NODE_ENV=production the lab starts no stand-in and chooses no default: every system and
 * secret must be configured, as for the services' own entry points.
 */
import type pg from 'pg';
import { newDriverSecret } from '../../toolkit/src/loopback.ts';
import { projectRoot } from '../../toolkit/src/project.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  FINANCE_CLIENT_ID,
  FINANCE_CLIENT_SECRET,
  startSalesforceEmulator
} from '../../simulators/salesforce/src/emulator.ts';
import { startSapSimulator } from '../../simulators/sap/src/server.ts';
import { startSecurePaySimulator } from '../../simulators/securepay/src/server.ts';
import {
  DEFAULT_BACKCHECK_PORT,
  startBackCheckSimulator,
  type RunningBackCheckSimulator
} from '../../simulators/backcheck/src/server.ts';
import { backgroundCheckService } from '../../services/src/background-check/service.ts';
import { accountSyncService } from '../../services/src/account-sync/service.ts';
import { paymentsService } from '../../services/src/payments/service.ts';
import { financeService } from '../../services/src/finance/service.ts';
import { propertyMediaService } from '../../services/src/property-media/service.ts';
import { EMBEDDED_STORAGE_PORT } from '../../services/src/property-media/config.ts';
import { activityService } from '../../services/src/activity/service.ts';
import { startEmbeddedBroker } from '../../services/src/activity/broker.ts';
import { registeredDeviceLookup } from '../../services/src/activity/device-lookup.ts';
import {
  SHUTDOWN_ORDER,
  loadProcessConfig,
  startPlatform
} from '../../services/src/platform/index.ts';

/** Every scenario service the lab runs, in start order. */
export const LAB_SERVICES = [
  accountSyncService,
  paymentsService,
  backgroundCheckService,
  activityService,
  financeService,
  propertyMediaService
] as const;

/** Devices (dev-000001-a ... of users fit-000001 ...) the lab registers for the device fleet. */
export const LAB_DEMO_DEVICES = 50;

/** One user per device, as the fleet simulator numbers them; idempotent over restarts. */
async function registerDemoDevices(pool: pg.Pool, count: number): Promise<void> {
  await pool.query(
    `INSERT INTO activity_users (user_id)
     SELECT 'fit-' || lpad(n::text, 6, '0') FROM generate_series(1, $1::int) AS n
     ON CONFLICT (user_id) DO NOTHING`,
    [count]
  );
  await pool.query(
    `INSERT INTO activity_devices (device_id, user_id)
     SELECT 'dev-' || lpad(n::text, 6, '0') || '-a', 'fit-' || lpad(n::text, 6, '0')
       FROM generate_series(1, $1::int) AS n
     ON CONFLICT (device_id) DO NOTHING`,
    [count]
  );
}

/** The embedded MQTT broker's port when MQTT_URL is not set. */
export const DEFAULT_ACTIVITY_MQTT_PORT = 8785;

export interface Lab {
  servicesUrl: string;
  salesforceUrl: string;
  pubsubEndpoint: string;
  emulated: boolean;
  sapUrl: string;
  sapSimulated: boolean;
  securePayUrl: string;
  securePaySimulated: boolean;
  backCheckUrl: string;
  backCheckSimulated: boolean;
  /** The MQTT broker devices publish to (mqtt://...). */
  activityMqttUrl: string;
  /** true: the lab's embedded aedes broker (MQTT 3.1.1, per-device logins). */
  activityBrokerEmbedded: boolean;
  /**
   * The embedded broker's device key (ACTIVITY_DEVICE_KEY): a device's password is
   * deriveDeviceKey(key, deviceId) (also answered by PUT /activity/devices/:id). New each run
   * unless set.
   */
  activityDeviceKey: string | undefined;
  /**
   * The lab's bearer token, when it chose one (SERVICE_API_TOKENS not set): new for every run, so
   * a page in the developer's browser or another host cannot know it.
   */
  serviceToken: string | undefined;
  /** The media service's storage: the embedded server's URL, or the configured endpoint. */
  mediaStorage: string;
  /**
   * `Authorization: Bearer <driverSecret>` opens the stand-ins' control endpoints
   * (`/__emulator/*`, `/__sim/*`); they answer on loopback only. New for every run.
   */
  driverSecret: string;
  stop(): Promise<void>;
}

export interface StartLabOptions {
  env?: Record<string, string | undefined>;
  /** Emulator ports (0 = any free port); defaults 8780/8781. */
  emulatorHttpPort?: number;
  emulatorGrpcPort?: number;
  /** SAP simulator port when SAP_BASE_URL is not set (0 = any free port); default 8782. */
  sapPort?: number;
  /** Embedded image storage port when MEDIA_STORAGE is not `s3` (0 = any free port); default 8789. */
  mediaStoragePort?: number;
  /** SecurePay simulator port when SECUREPAY_BASE_URL is not set (0 = any free port); default 8783. */
  securePayPort?: number;
  /** BackCheck simulator port when BACKCHECK_BASE_URL is not set (0 = any free port); default 8784. */
  backCheckPort?: number;
  /** Embedded MQTT broker port when MQTT_URL is not set (0 = any free port); default 8785. */
  activityMqttPort?: number;
  /** Install SIGINT/SIGTERM handlers (the npm start entry point does). */
  handleSignals?: boolean;
}

interface StandIn {
  name: string;
  close(): Promise<void>;
}

/** The lab emulator's cap on one uploaded file: 100 MB unless SF_EMULATOR_MAX_FILE_MB says. */
export const DEFAULT_EMULATOR_MAX_FILE_MB = 100;

export function emulatorMaxFileMb(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_EMULATOR_MAX_FILE_MB;
  const mb = Number(value);
  if (!Number.isFinite(mb) || mb <= 0 || mb > 2048) {
    throw new Error(`SF_EMULATOR_MAX_FILE_MB must be a number of MB in (0, 2048], not '${value}'`);
  }
  return mb;
}

export async function startLab(options: StartLabOptions = {}): Promise<Lab> {
  const env = { ...(options.env ?? process.env) };
  const production = env.NODE_ENV?.trim() === 'production';
  // Stand-ins for the external systems that are not configured; a failed start closes them all.
  const standIns: StandIn[] = [];
  const closeStandIns = async () => {
    for (const standIn of standIns.reverse()) await standIn.close();
  };
  const standIn = async <T extends { close(): Promise<void> }>(
    name: string,
    start: () => Promise<T>
  ): Promise<T> => {
    const started = await start();
    standIns.push({ name, close: () => started.close() });
    return started;
  };
  const missing = (variable: string) => !production && !env[variable]?.trim();
  const driverSecret = newDriverSecret();

  try {
    const emulate = missing('SF_INSTANCE_URL');
    if (emulate) {
      const maxFileMb = emulatorMaxFileMb(env.SF_EMULATOR_MAX_FILE_MB);
      const emulator = await standIn('Salesforce emulator', () =>
        startSalesforceEmulator({
          projectDir: projectRoot(),
          httpPort: options.emulatorHttpPort ?? 8780,
          grpcPort: options.emulatorGrpcPort ?? 8781,
          driverSecret,
          files: { maxBytes: maxFileMb * 1024 * 1024 }
        })
      );
      env.SF_INSTANCE_URL = emulator.instanceUrl;
      env.SF_CLIENT_ID ??= DEFAULT_CLIENT_ID;
      env.SF_CLIENT_SECRET ??= DEFAULT_CLIENT_SECRET;
      // The Finance export runs as its own user (finance@emulator.local, exactly
      // Finance_Export_Integration) through the emulator's Finance connected app, not as the
      // integration user the other services share (docs/finance-platform.md, "Who reads it").
      env.FINANCE_SF_CLIENT_ID ??= FINANCE_CLIENT_ID;
      env.FINANCE_SF_CLIENT_SECRET ??= FINANCE_CLIENT_SECRET;
      env.SF_PUBSUB_ENDPOINT = emulator.pubsubEndpoint;
      env.SF_PUBSUB_INSECURE_TLS = 'true';
    }

    // The lab's own bearer token for the service endpoints (what the Named Credential would send),
    // unless one is configured; the server listens on loopback by default.
    const labToken = missing('SERVICE_API_TOKENS') ? newDriverSecret() : undefined;
    if (labToken) env.SERVICE_API_TOKENS = labToken;
    // Background checks accept only their own tokens (the Background_Check_ESB credential's):
    // in the lab, the lab's token is that credential's too.
    if (missing('BACKGROUND_CHECK_API_TOKENS') && env.SERVICE_API_TOKENS)
      env.BACKGROUND_CHECK_API_TOKENS = env.SERVICE_API_TOKENS;
    // The activity service's token lists (REST, OData, device registry) are separate callers in
    // production; in the lab the lab's token stands for each of them.
    for (const variable of [
      'ACTIVITY_API_TOKENS',
      'ACTIVITY_ODATA_TOKENS',
      'ACTIVITY_REGISTRY_TOKENS'
    ])
      if (missing(variable) && env.SERVICE_API_TOKENS) env[variable] = env.SERVICE_API_TOKENS;

    // The media service keeps images in its embedded S3-compatible storage unless MEDIA_STORAGE=s3.
    const embedMedia = !production && (env.MEDIA_STORAGE?.trim() ?? 'embedded') === 'embedded';
    if (embedMedia && options.mediaStoragePort !== undefined && missing('MEDIA_EMBEDDED_PORT'))
      env.MEDIA_EMBEDDED_PORT = String(options.mediaStoragePort);

    const simulateSap = missing('SAP_BASE_URL');
    if (simulateSap) {
      const sap = await standIn('SAP simulator', () =>
        startSapSimulator({ port: options.sapPort ?? 8782, driverSecret })
      );
      env.SAP_BASE_URL = sap.url;
      env.SAP_USERNAME = sap.username;
      env.SAP_PASSWORD = sap.password;
    }
    const simulateSecurePay = missing('SECUREPAY_BASE_URL');
    if (simulateSecurePay) {
      const securePay = await standIn('SecurePay simulator', () =>
        startSecurePaySimulator({ port: options.securePayPort ?? 8783, driverSecret })
      );
      env.SECUREPAY_BASE_URL = securePay.url;
      env.SECUREPAY_CLIENT_ID = securePay.clientId;
      env.SECUREPAY_CLIENT_SECRET = securePay.clientSecret;
      env.SECUREPAY_MERCHANT_CODE = securePay.merchantCode;
    }

    const simulateBackCheck = missing('BACKCHECK_BASE_URL');
    let backCheck: RunningBackCheckSimulator | undefined;
    if (simulateBackCheck) {
      backCheck = await standIn('BackCheck simulator', () =>
        startBackCheckSimulator({
          port: options.backCheckPort ?? DEFAULT_BACKCHECK_PORT,
          driverSecret
        })
      );
      env.BACKCHECK_BASE_URL = backCheck.url;
      env.BACKCHECK_API_KEY = backCheck.apiKey;
      env.BACKCHECK_WEBHOOK_SECRET = backCheck.webhookSecret;
    }

    // The activity devices' broker: an embedded aedes with per-device logins derived from the
    // device key, and the ingest workers split the topics by partition (no $share in aedes).
    const embedBroker = missing('MQTT_URL');
    // The broker starts before the platform (the service needs its URL); devices are checked
    // against the registry once the platform's pool exists (refused until then).
    let registry: ReturnType<typeof registeredDeviceLookup> | undefined;
    if (embedBroker) {
      env.ACTIVITY_DEVICE_KEY ??= newDriverSecret();
      env.ACTIVITY_MQTT_PASSWORD ??= newDriverSecret();
      env.ACTIVITY_SUBSCRIPTION_MODE = 'partitioned';
      const broker = await standIn('embedded MQTT broker', async () => {
        const started = await startEmbeddedBroker({
          port: options.activityMqttPort ?? DEFAULT_ACTIVITY_MQTT_PORT,
          deviceKey: env.ACTIVITY_DEVICE_KEY,
          ingest: {
            username: env.ACTIVITY_MQTT_USERNAME?.trim() || 'activity-ingest',
            password: env.ACTIVITY_MQTT_PASSWORD ?? ''
          },
          lookupDevice: async (deviceId) => registry?.(deviceId)
        });
        return { url: started.url, close: () => started.stop() };
      });
      env.MQTT_URL = broker.url;
    }

    const loaded = loadProcessConfig(env, LAB_SERVICES);
    const platform = await startPlatform(loaded.platform, {
      name: 'lab',
      services: loaded.services,
      handleSignals: options.handleSignals ?? false
    });
    // The simulator calls the lab's callback endpoint (known once the server listens).
    backCheck?.control.setCallbackUrl(`${platform.url}/backcheck/callbacks`);
    // Demo fitness users and devices on the embedded broker: `npm run sim:devices` (ids
    // dev-000001-a, ...) publishes for them at once, and the Activity API answers for fit-000001...
    if (embedBroker) {
      await registerDemoDevices(platform.database.pool, LAB_DEMO_DEVICES);
      registry = registeredDeviceLookup(platform.database.pool);
    }
    for (const started of standIns)
      platform.shutdown.add(`stop ${started.name}`, started.close, {
        order: SHUTDOWN_ORDER.dependencies
      });

    return {
      servicesUrl: platform.url ?? '',
      salesforceUrl: loaded.platform.salesforce.instanceUrl ?? '',
      pubsubEndpoint: loaded.platform.salesforce.pubsubEndpoint,
      emulated: emulate,
      sapUrl: env.SAP_BASE_URL ?? '',
      sapSimulated: simulateSap,
      securePayUrl: env.SECUREPAY_BASE_URL ?? '',
      securePaySimulated: simulateSecurePay,
      backCheckUrl: env.BACKCHECK_BASE_URL ?? '',
      backCheckSimulated: simulateBackCheck,
      activityMqttUrl: env.MQTT_URL ?? '',
      activityBrokerEmbedded: embedBroker,
      activityDeviceKey: embedBroker ? env.ACTIVITY_DEVICE_KEY : undefined,
      serviceToken: labToken,
      mediaStorage: embedMedia
        ? `http://127.0.0.1:${env.MEDIA_EMBEDDED_PORT ?? EMBEDDED_STORAGE_PORT} (embedded, ${env.MEDIA_EMBEDDED_DIR ?? '.data/property-media'})`
        : (env.MEDIA_S3_ENDPOINT ?? 'AWS S3'),
      driverSecret,
      stop: async () => {
        await platform.stop();
      }
    };
  } catch (error) {
    await closeStandIns();
    throw error;
  }
}
