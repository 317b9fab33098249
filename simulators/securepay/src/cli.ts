/**
 * `npm run sim:securepay`: runs the SecurePay gateway simulator standalone for the lab and for
 * connecting by hand. Prints one line with what a client needs and one with the control API's
 * secret (random unless `--driver-secret` chooses it), then logs requests (stderr, never a
 * request body or card data):
 *
 *   SECUREPAY_BASE_URL=http://127.0.0.1:8783 SECUREPAY_CLIENT_ID=securepay-sim-client
 *   SECUREPAY_CLIENT_SECRET=securepay-sim-secret SECUREPAY_MERCHANT_CODE=5AR0055
 *   SECUREPAY_DRIVER_SECRET=3f9c...
 *
 * (the first two lines above are one line). Stops cleanly on SIGINT/SIGTERM.
 */
import {
  intInRange,
  stringValue,
  type CommandSpec,
  type ParsedValues
} from '../../../toolkit/src/cli/args.ts';
import { runMain } from '../../../toolkit/src/cli/main.ts';
import { portValue, runServerCommand, type ServerLaunch } from '../../../toolkit/src/cli/serve.ts';
import { driverSecretFromFlag } from '../../../toolkit/src/loopback.ts';
import {
  DEFAULT_SECUREPAY_CLIENT_ID,
  DEFAULT_SECUREPAY_CLIENT_SECRET,
  DEFAULT_SECUREPAY_HOST,
  DEFAULT_SECUREPAY_MERCHANT_CODE,
  DEFAULT_SECUREPAY_PORT,
  DEFAULT_SECUREPAY_TIMEOUT_HOLD_MS,
  startSecurePaySimulator,
  type RunningSecurePaySimulator,
  type SecurePaySimulatorOptions
} from './server.ts';

export const CLI_SPEC: CommandSpec = {
  usage: 'npm run sim:securepay --',
  summary:
    'Starts the SecurePay payment gateway simulator (Card Payments API v2): OAuth client ' +
    'credentials, card tokenization for browsers (CORS), payments with idempotency keys and ' +
    'test cards, plus a control API under /__sim/. Prints SECUREPAY_BASE_URL, SECUREPAY_CLIENT_ID, ' +
    'SECUREPAY_CLIENT_SECRET and SECUREPAY_MERCHANT_CODE on one line, SECUREPAY_DRIVER_SECRET (the ' +
    'control API secret) on the next, then logs requests on stderr.',
  options: {
    port: {
      type: 'string',
      valueName: 'port',
      description: 'HTTP port (0: a free one).',
      defaultText: String(DEFAULT_SECUREPAY_PORT)
    },
    host: {
      type: 'string',
      valueName: 'address',
      description: 'Interface to listen on.',
      defaultText: DEFAULT_SECUREPAY_HOST
    },
    'latency-ms': {
      type: 'string',
      valueName: 'ms',
      description: 'Latency added to every gateway request.',
      defaultText: '0'
    },
    'timeout-hold-ms': {
      type: 'string',
      valueName: 'ms',
      description: "How long the TIMEOUT card's answer and 'timeout' failures are held.",
      defaultText: String(DEFAULT_SECUREPAY_TIMEOUT_HOLD_MS)
    },
    'client-id': {
      type: 'string',
      valueName: 'id',
      description: 'OAuth client id.',
      defaultText: DEFAULT_SECUREPAY_CLIENT_ID
    },
    'client-secret': {
      type: 'string',
      valueName: 'secret',
      description: 'OAuth client secret.',
      defaultText: DEFAULT_SECUREPAY_CLIENT_SECRET
    },
    'merchant-code': {
      type: 'string',
      valueName: 'code',
      description: 'Merchant code (X-Merchant-Code, merchantCode).',
      defaultText: DEFAULT_SECUREPAY_MERCHANT_CODE
    },
    'driver-secret': {
      type: 'string',
      valueName: 'secret',
      description: 'Secret the control API (/__sim/*) requires as Authorization: Bearer <secret>.',
      defaultText: 'a random one, printed'
    }
  },
  examples: [
    'npm run sim:securepay',
    'npm run sim:securepay -- --port 9783 --latency-ms 20 --timeout-hold-ms 5000'
  ],
  notes: [
    'Test cards: 4111111111111111, 5555555555554444, 378282246310005 approved; 4000000000000002 ' +
      'declined 05; 4000000000009995 declined 51; 4000000000000069 declined 54; ' +
      '4000000000000119 paid but the answer is held (timeout).',
    'Control (no gateway auth; loopback clients only, with Authorization: Bearer ' +
      '<SECUREPAY_DRIVER_SECRET>): POST /__sim/reset, /__sim/latency {"ms"}, /__sim/failures ' +
      '{"status":503|500|"timeout","count"?,"rate"?,"paths"?}; DELETE /__sim/failures; ' +
      'GET /__sim/charges, /__sim/requests.'
  ]
};

/** The simulator the flags describe (defaults where a flag is absent). */
function launch(values: ParsedValues): ServerLaunch<RunningSecurePaySimulator> {
  const text = (name: string, fallback: string) => stringValue(values, name) ?? fallback;
  const options: SecurePaySimulatorOptions = {
    host: text('host', DEFAULT_SECUREPAY_HOST),
    port: portValue(values, 'port', DEFAULT_SECUREPAY_PORT),
    latencyMs: intInRange('latency-ms', text('latency-ms', '0'), 0, 600_000),
    timeoutHoldMs: intInRange(
      'timeout-hold-ms',
      text('timeout-hold-ms', String(DEFAULT_SECUREPAY_TIMEOUT_HOLD_MS)),
      1,
      3_600_000
    ),
    clientId: text('client-id', DEFAULT_SECUREPAY_CLIENT_ID),
    clientSecret: text('client-secret', DEFAULT_SECUREPAY_CLIENT_SECRET),
    merchantCode: text('merchant-code', DEFAULT_SECUREPAY_MERCHANT_CODE),
    driverSecret: driverSecretFromFlag(stringValue(values, 'driver-secret')),
    logger: { level: 'info', stream: process.stderr }
  };
  return {
    portFlags: ['port'],
    start: () => startSecurePaySimulator(options),
    announce: (sim) => [
      `SECUREPAY_BASE_URL=${sim.url} SECUREPAY_CLIENT_ID=${sim.clientId} ` +
        `SECUREPAY_CLIENT_SECRET=${sim.clientSecret} SECUREPAY_MERCHANT_CODE=${sim.merchantCode}`,
      `SECUREPAY_DRIVER_SECRET=${String(sim.driverSecret)}`
    ]
  };
}

await runMain((argv) => runServerCommand(CLI_SPEC, argv, launch));
