/**
 * `npm run sim:sap`: runs the SAP Business Partner simulator standalone for the lab and for
 * connecting by hand. Prints one line with what a client needs and one with the control API's
 * secret (random unless `--driver-secret` chooses it), then logs requests (stderr):
 *
 *   SAP_BASE_URL=http://127.0.0.1:8782 SAP_USERNAME=ESB_SYNC SAP_PASSWORD=sap-simulator-secret
 *   SAP_DRIVER_SECRET=3f9c...
 *
 * Stops cleanly on SIGINT/SIGTERM.
 */
import {
  intInRange,
  numberInRange,
  stringValue,
  type CommandSpec,
  type ParsedValues
} from '../../../toolkit/src/cli/args.ts';
import { runMain } from '../../../toolkit/src/cli/main.ts';
import { portValue, runServerCommand, type ServerLaunch } from '../../../toolkit/src/cli/serve.ts';
import { driverSecretFromFlag } from '../../../toolkit/src/loopback.ts';
import {
  DEFAULT_SAP_HOST,
  DEFAULT_SAP_PASSWORD,
  DEFAULT_SAP_PORT,
  DEFAULT_SAP_USERNAME,
  startSapSimulator,
  type RunningSapSimulator,
  type SapSimulatorOptions
} from './server.ts';

export const CLI_SPEC: CommandSpec = {
  usage: 'npm run sim:sap --',
  summary:
    'Starts the SAP S/4HANA Business Partner simulator: the OData V2 service API_BUSINESS_PARTNER ' +
    '(A_BusinessPartner with addresses, roles and tax numbers) with basic auth, the CSRF token ' +
    'handshake, ETags and SAP error bodies, plus a control API under /__sim/. Prints SAP_BASE_URL, ' +
    'SAP_USERNAME and SAP_PASSWORD on one line, SAP_DRIVER_SECRET (the control API secret) on ' +
    'the next, then logs requests on stderr.',
  options: {
    port: {
      type: 'string',
      valueName: 'port',
      description: 'HTTP port.',
      defaultText: String(DEFAULT_SAP_PORT)
    },
    host: {
      type: 'string',
      valueName: 'address',
      description: 'Interface to listen on.',
      defaultText: DEFAULT_SAP_HOST
    },
    'latency-ms': {
      type: 'string',
      valueName: 'ms',
      description: 'Latency added to every SAP request.',
      defaultText: '0'
    },
    username: {
      type: 'string',
      valueName: 'user',
      description: 'Basic auth user.',
      defaultText: DEFAULT_SAP_USERNAME
    },
    password: {
      type: 'string',
      valueName: 'password',
      description: 'Basic auth password.',
      defaultText: DEFAULT_SAP_PASSWORD
    },
    'token-minutes': {
      type: 'string',
      valueName: 'minutes',
      description: 'CSRF token (security session) lifetime.',
      defaultText: '30'
    },
    'driver-secret': {
      type: 'string',
      valueName: 'secret',
      description: 'Secret the control API (/__sim/*) requires as Authorization: Bearer <secret>.',
      defaultText: 'a random one, printed'
    }
  },
  examples: ['npm run sim:sap', 'npm run sim:sap -- --port 9782 --latency-ms 20'],
  notes: [
    'Service: <SAP_BASE_URL>/sap/opu/odata/sap/API_BUSINESS_PARTNER.',
    'Control (no SAP auth; loopback clients only, with Authorization: Bearer <SAP_DRIVER_SECRET>): ' +
      'POST /__sim/reset, /__sim/latency {"ms"}, /__sim/failures ' +
      '{"status":503|500|429|"timeout","count"?,"rate"?,"paths"?,"methods"?}, /__sim/csrf/expire; ' +
      'DELETE /__sim/failures; GET /__sim/partners, /__sim/requests.'
  ]
};

/** The simulator the flags describe (defaults where a flag is absent). */
function launch(values: ParsedValues): ServerLaunch<RunningSapSimulator> {
  const port = portValue(values, 'port', DEFAULT_SAP_PORT);
  const latencyMs = intInRange('latency-ms', stringValue(values, 'latency-ms') ?? '0', 0, 600_000);
  const tokenMinutes = numberInRange(
    'token-minutes',
    stringValue(values, 'token-minutes') ?? '30',
    0.001,
    24 * 60
  );

  const driverSecret = driverSecretFromFlag(stringValue(values, 'driver-secret'));

  const options: SapSimulatorOptions = {
    host: stringValue(values, 'host') ?? DEFAULT_SAP_HOST,
    port,
    latencyMs,
    username: stringValue(values, 'username') ?? DEFAULT_SAP_USERNAME,
    password: stringValue(values, 'password') ?? DEFAULT_SAP_PASSWORD,
    csrfTokenLifetimeMs: Math.round(tokenMinutes * 60_000),
    driverSecret,
    logger: { level: 'info', stream: process.stderr }
  };
  return {
    portFlags: ['port'],
    start: () => startSapSimulator(options),
    announce: (sim) => [
      `SAP_BASE_URL=${sim.url} SAP_USERNAME=${sim.username} SAP_PASSWORD=${sim.password}`,
      `SAP_DRIVER_SECRET=${driverSecret}`
    ]
  };
}

await runMain((argv) => runServerCommand(CLI_SPEC, argv, launch));
