// `npm start`: the lab on a terminal. Prints where everything is, then runs until Ctrl+C.
import {
  UsageError,
  intInRange,
  parseCommandLine,
  stringValue,
  type CommandSpec
} from '../../toolkit/src/cli/args.ts';
import { knownFailureMessage } from '../../toolkit/src/cli/main.ts';
import { describeStartFailure } from '../../services/src/platform/index.ts';
import { LAB_DEMO_DEVICES, startLab, type StartLabOptions } from './lab.ts';

export const LAB_CLI: CommandSpec = {
  usage: 'npm start --',
  summary:
    'Starts the lab: the scenario services on the services platform, with an org emulator and the SAP, SecurePay and BackCheck simulators standing in for every system that is not configured (see README.md). Configuration comes from environment variables (docs/services-platform.md).',
  options: {
    'emulator-port': {
      type: 'string',
      valueName: 'port',
      description: 'Org emulator REST port (0 = any free port).',
      defaultText: '8780'
    },
    'pubsub-port': {
      type: 'string',
      valueName: 'port',
      description: 'Org emulator Pub/Sub API port (0 = any free port).',
      defaultText: '8781'
    },
    'sap-port': {
      type: 'string',
      valueName: 'port',
      description: 'SAP simulator port (0 = any free port).',
      defaultText: '8782'
    },
    'securepay-port': {
      type: 'string',
      valueName: 'port',
      description: 'SecurePay simulator port (0 = any free port).',
      defaultText: '8783'
    },
    'media-storage-port': {
      type: 'string',
      valueName: 'port',
      description:
        'Embedded image storage port for the media service, when MEDIA_STORAGE is not s3 (0 = any free port).',
      defaultText: '8789'
    },
    'backcheck-port': {
      type: 'string',
      valueName: 'port',
      description: 'BackCheck simulator port (0 = any free port).',
      defaultText: '8784'
    },
    'mqtt-port': {
      type: 'string',
      valueName: 'port',
      description:
        'Embedded MQTT broker port for the activity devices, when MQTT_URL is not set (0 = any free port).',
      defaultText: '8785'
    }
  },
  examples: ['npm start', 'npm start -- --emulator-port 0 --pubsub-port 0 --sap-port 0'],
  notes: ['The services listen on HTTP_PORT (default 8790). Ctrl+C stops everything in order.']
};

function labOptions(argv: readonly string[]): StartLabOptions | undefined {
  const parsed = parseCommandLine(LAB_CLI, argv);
  if (parsed.help) {
    console.log(parsed.text);
    return undefined;
  }
  const port = (name: string) => {
    const value = stringValue(parsed.values, name);
    return value === undefined ? undefined : intInRange(name, value, 0, 65535);
  };
  const options: StartLabOptions = { handleSignals: true };
  const ports: Array<[keyof StartLabOptions, string]> = [
    ['emulatorHttpPort', 'emulator-port'],
    ['emulatorGrpcPort', 'pubsub-port'],
    ['sapPort', 'sap-port'],
    ['securePayPort', 'securepay-port'],
    ['mediaStoragePort', 'media-storage-port'],
    ['backCheckPort', 'backcheck-port'],
    ['activityMqttPort', 'mqtt-port']
  ];
  for (const [key, flag] of ports) {
    const value = port(flag);
    if (value !== undefined) Object.assign(options, { [key]: value });
  }
  return options;
}

try {
  const options = labOptions(process.argv.slice(2));
  if (options) {
    const lab = await startLab(options);
    const lines = [
      '',
      'Lab ready',
      `  Salesforce  ${lab.salesforceUrl}${lab.emulated ? ' (org emulator, see docs/salesforce-emulator.md)' : ''}`,
      `  Pub/Sub     ${lab.pubsubEndpoint}`,
      `  SAP         ${lab.sapUrl}${lab.sapSimulated ? ' (SAP simulator, npm run sim:sap -- --help)' : ''}`,
      `  SecurePay   ${lab.securePayUrl}${lab.securePaySimulated ? ' (SecurePay simulator, npm run sim:securepay -- --help)' : ''}`,
      `  BackCheck   ${lab.backCheckUrl}${lab.backCheckSimulated ? ' (BackCheck simulator, npm run sim:backcheck -- --help)' : ''}`,
      '  Running     account-sync (Account_Sync__e -> SAP, docs/account-sync.md)',
      '              payments (POST/GET /payments -> SecurePay, docs/payments.md)',
      '              background-check (POST /background-checks -> BackCheck, callbacks at /backcheck/callbacks, docs/background-check.md)',
      '              activity (MQTT readings -> rollups; PUT /activity/users/:id, /activity/devices/:id, docs/activity.md)',
      '              finance (nightly Billing Account export with Bulk API 2.0, FINANCE_SCHEDULE_TIME; one now: npm run finance:export, docs/finance.md)',
      '              property-media (POST /media/uploads, /media/uploads/confirm, /media/views, /media/deletions; import: npm run media:migrate, docs/property-media.md)',
      `  Storage     ${lab.mediaStorage}`,
      `  MQTT        ${lab.activityMqttUrl}${lab.activityBrokerEmbedded ? ` (embedded broker; device password = base64url(HMAC-SHA256(${lab.activityDeviceKey}, deviceId)))` : ''}`,
      ...(lab.activityBrokerEmbedded
        ? [
            `              demo devices dev-000001-a ... dev-${String(LAB_DEMO_DEVICES).padStart(6, '0')}-a (users fit-000001 ...): npm run sim:devices -- --url ${lab.activityMqttUrl} --devices ${LAB_DEMO_DEVICES} --device-key-secret ${lab.activityDeviceKey}`
          ]
        : []),
      `  Services    ${lab.servicesUrl}  (GET /healthz /readyz /metrics /openapi.json)`,
      ...(lab.serviceToken
        ? [
            `              bearer token ${lab.serviceToken} (new each run; set SERVICE_API_TOKENS to choose one)`
          ]
        : []),
      `  Control     /__emulator/* and /__sim/* on loopback, Authorization: Bearer ${lab.driverSecret}`,
      'Ctrl+C stops everything.',
      ''
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
  }
} catch (error) {
  const busy = error instanceof Error && error.message.includes('EADDRINUSE');
  const hint = busy
    ? ' - another lab or a simulator (`npm run sim:salesforce`, `sim:sap`, `sim:securepay`, `sim:backcheck`) may be running; stop it, choose other ports (`npm start -- --help`), or point the lab at it with SF_INSTANCE_URL / SAP_BASE_URL / SECUREPAY_BASE_URL / BACKCHECK_BASE_URL / MQTT_URL and credentials (docs/services-platform.md)'
    : '';
  const message =
    error instanceof UsageError
      ? `npm start: ${knownFailureMessage(error)}`
      : describeStartFailure('npm start: the lab', error, hint);
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
