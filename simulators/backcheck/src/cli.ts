/**
 * `npm run sim:backcheck`: runs the BackCheck agency simulator standalone for the lab and for
 * connecting by hand. Prints one line with what a client needs and one with the control API's
 * secret (random unless `--driver-secret` chooses it), then logs requests (stderr, never a body,
 * a photo or a subject's data):
 *
 *   BACKCHECK_BASE_URL=http://127.0.0.1:8784 BACKCHECK_API_KEY=backcheck-lab-key
 *   BACKCHECK_WEBHOOK_SECRET=backcheck-lab-webhook-secret
 *   BACKCHECK_DRIVER_SECRET=3f9c...
 *
 * (the first two lines above are one line). Stops cleanly on SIGINT/SIGTERM.
 */
import {
  intInRange,
  stringValue,
  UsageError,
  type CommandSpec,
  type ParsedValues
} from '../../../toolkit/src/cli/args.ts';
import { runMain } from '../../../toolkit/src/cli/main.ts';
import { portValue, runServerCommand, type ServerLaunch } from '../../../toolkit/src/cli/serve.ts';
import { driverSecretFromFlag } from '../../../toolkit/src/loopback.ts';
import {
  DEFAULT_BACKCHECK_API_KEY,
  DEFAULT_BACKCHECK_HOST,
  DEFAULT_BACKCHECK_PORT,
  DEFAULT_BACKCHECK_TIMEOUT_HOLD_MS,
  DEFAULT_BACKCHECK_WEBHOOK_SECRET,
  startBackCheckSimulator,
  type BackCheckSimulatorOptions,
  type RunningBackCheckSimulator
} from './server.ts';

const MAX_DELAY_MS = 365 * 86_400_000;

export const CLI_SPEC: CommandSpec = {
  usage: 'npm run sim:backcheck --',
  summary:
    'Starts the BackCheck background-check agency simulator: POST /v1/checks (multipart request ' +
    'and photo, Bearer API key, Idempotency-Key), GET /v1/checks/{reference}, and a signed ' +
    'callback (BackCheck-Signature) when a check completes, 2-3 days later on the simulated ' +
    'clock, plus a control API under /__sim/. Prints BACKCHECK_BASE_URL, BACKCHECK_API_KEY and ' +
    'BACKCHECK_WEBHOOK_SECRET on one line, BACKCHECK_DRIVER_SECRET (the control API secret) on ' +
    'the next, then logs requests on stderr.',
  options: {
    port: {
      type: 'string',
      valueName: 'port',
      description: 'HTTP port (0: a free one).',
      defaultText: String(DEFAULT_BACKCHECK_PORT)
    },
    host: {
      type: 'string',
      valueName: 'address',
      description: 'Interface to listen on.',
      defaultText: DEFAULT_BACKCHECK_HOST
    },
    'api-key': {
      type: 'string',
      valueName: 'key',
      description: 'The API key clients send as Authorization: Bearer <key>.',
      defaultText: DEFAULT_BACKCHECK_API_KEY
    },
    'webhook-secret': {
      type: 'string',
      valueName: 'secret',
      description: 'The secret callbacks are signed with (HMAC-SHA256).',
      defaultText: DEFAULT_BACKCHECK_WEBHOOK_SECRET
    },
    'callback-url': {
      type: 'string',
      valueName: 'url',
      description: 'Where callbacks are posted (also settable by POST /__sim/callback-url).',
      defaultText: 'none: callbacks fail and are retried until one is set'
    },
    'min-delay-ms': {
      type: 'string',
      valueName: 'ms',
      description: 'Shortest time a check takes.',
      defaultText: String(2 * 86_400_000)
    },
    'max-delay-ms': {
      type: 'string',
      valueName: 'ms',
      description: 'Longest time a check takes (each check draws uniformly between the two).',
      defaultText: String(3 * 86_400_000)
    },
    'latency-ms': {
      type: 'string',
      valueName: 'ms',
      description: 'Latency added to every agency request.',
      defaultText: '0'
    },
    'timeout-hold-ms': {
      type: 'string',
      valueName: 'ms',
      description: "How long a 'timeout' failure holds a request before dropping it.",
      defaultText: String(DEFAULT_BACKCHECK_TIMEOUT_HOLD_MS)
    },
    'driver-secret': {
      type: 'string',
      valueName: 'secret',
      description: 'Secret the control API (/__sim/*) requires as Authorization: Bearer <secret>.',
      defaultText: 'a random one, printed'
    }
  },
  examples: [
    'npm run sim:backcheck',
    'npm run sim:backcheck -- --callback-url http://127.0.0.1:8790/background-checks/callback --min-delay-ms 5000 --max-delay-ms 10000'
  ],
  notes: [
    'Results by passport number: ending 9 not_clear, ending 8 inconclusive, anything else clear.',
    'Control (no API key; loopback clients only, with Authorization: Bearer ' +
      '<BACKCHECK_DRIVER_SECRET>): POST /__sim/reset, /__sim/clock/advance {"ms"}, ' +
      '/__sim/completion-delay {"minMs","maxMs"}, /__sim/callback-url {"url"}, /__sim/retry-policy, ' +
      '/__sim/latency {"ms"}, /__sim/failures {"status":503|500|"timeout","count"?}, ' +
      '/__sim/callback-faults {"kind":"lose"|"duplicate"|"delay"|"reorder"|"bad_signature",' +
      '"count"?,"delayMs"?}; GET /__sim/checks, /__sim/callbacks, /__sim/requests.'
  ]
};

function secretFlag(values: ParsedValues, name: string, fallback: string): string {
  const value = stringValue(values, name) ?? fallback;
  if (!/^[\x21-\x7e]{1,1024}$/.test(value)) {
    throw new UsageError(`Option --${name}: 1-1024 visible ASCII characters without spaces.`);
  }
  return value;
}

function urlFlag(values: ParsedValues): string | undefined {
  const value = stringValue(values, 'callback-url');
  if (value === undefined) return undefined;
  if (!/^https?:\/\//.test(value) || !URL.canParse(value)) {
    throw new UsageError('Option --callback-url: an absolute http(s) URL.');
  }
  return value;
}

/** The simulator the flags describe (defaults where a flag is absent). */
function launch(values: ParsedValues): ServerLaunch<RunningBackCheckSimulator> {
  const text = (name: string, fallback: string) => stringValue(values, name) ?? fallback;
  const minMs = intInRange(
    'min-delay-ms',
    text('min-delay-ms', String(2 * 86_400_000)),
    0,
    MAX_DELAY_MS
  );
  const maxMs = intInRange(
    'max-delay-ms',
    text('max-delay-ms', String(Math.max(minMs, 3 * 86_400_000))),
    0,
    MAX_DELAY_MS
  );
  if (minMs > maxMs) throw new UsageError('Option --min-delay-ms must not exceed --max-delay-ms.');
  const callbackUrl = urlFlag(values);
  const options: BackCheckSimulatorOptions = {
    host: text('host', DEFAULT_BACKCHECK_HOST),
    port: portValue(values, 'port', DEFAULT_BACKCHECK_PORT),
    apiKey: secretFlag(values, 'api-key', DEFAULT_BACKCHECK_API_KEY),
    webhookSecret: secretFlag(values, 'webhook-secret', DEFAULT_BACKCHECK_WEBHOOK_SECRET),
    ...(callbackUrl !== undefined ? { callbackUrl } : {}),
    completionDelay: { minMs, maxMs },
    latencyMs: intInRange('latency-ms', text('latency-ms', '0'), 0, 600_000),
    timeoutHoldMs: intInRange(
      'timeout-hold-ms',
      text('timeout-hold-ms', String(DEFAULT_BACKCHECK_TIMEOUT_HOLD_MS)),
      1,
      3_600_000
    ),
    driverSecret: driverSecretFromFlag(stringValue(values, 'driver-secret')),
    logger: { level: 'info', stream: process.stderr }
  };
  return {
    portFlags: ['port'],
    start: () => startBackCheckSimulator(options),
    announce: (sim) => [
      `BACKCHECK_BASE_URL=${sim.url} BACKCHECK_API_KEY=${sim.apiKey} ` +
        `BACKCHECK_WEBHOOK_SECRET=${sim.webhookSecret}`,
      `BACKCHECK_DRIVER_SECRET=${String(sim.driverSecret)}`
    ]
  };
}

await runMain((argv) => runServerCommand(CLI_SPEC, argv, launch));
