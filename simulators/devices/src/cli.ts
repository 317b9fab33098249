/**
 * `npm run sim:devices`: runs a fleet of virtual fitness devices against an MQTT broker until
 * stopped (SIGINT/SIGTERM), or for --duration, or for --max-messages. Prints a progress line
 * every few seconds on stdout, then a summary with the totals the ingest path must reach:
 *
 *   fleet: 100 devices dev-000001-a..dev-000100-a -> mqtt://127.0.0.1:1883, a reading every 5000 ms
 *   progress: published 2012 (402.1/s) acked 2012 failed 0 | late 0 duplicate 0 malformed 0 oversized 0
 *   done: published 4003, acked 4003, failed 0; expected 4003 readings, 51234 steps, ...
 *
 * Exits 0 after a clean stop (every message acknowledged), 1 when messages were left
 * unacknowledged or the flags are wrong. Connection trouble is logged on stderr.
 */
import { pathToFileURL } from 'node:url';
import pino, { type LoggerOptions } from 'pino';
import {
  intInRange,
  numberInRange,
  parseCommandLine,
  stringValue,
  UsageError,
  type CommandSpec,
  type ParsedValues
} from '../../../toolkit/src/cli/args.ts';
import { runMain } from '../../../toolkit/src/cli/main.ts';
import { listenForStop } from '../../../toolkit/src/cli/signals.ts';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import { safeLogger } from '../../../toolkit/src/simulator-logger.ts';
import { redactUrl } from './connection.ts';
import {
  DEFAULT_BROKER_URL,
  DEFAULT_INTERVAL_MS,
  MAX_INTERVAL_MS,
  startDeviceFleet,
  type DeviceFleetOptions,
  type FleetReport
} from './fleet.ts';
import { DEFAULT_OVERSIZED_BYTES } from './payload.ts';

const fraction = (description: string) => ({
  type: 'string' as const,
  valueName: 'fraction',
  description,
  defaultText: '0'
});

export const CLI_SPEC: CommandSpec = {
  usage: 'npm run sim:devices --',
  summary:
    'Runs N virtual fitness devices, each on its own MQTT connection (username = device id), ' +
    'publishing a reading (toolkit/contracts/device-reading.schema.json) with QoS 1 on ' +
    'activity/v1/{partition}/{deviceId} every few seconds, following a daily pattern: asleep at ' +
    'night, walks morning and evening, a workout some days. Optional simulated clock, rate cap ' +
    'and fault injection. Prints progress every few seconds and the expected totals at the end.',
  options: {
    url: {
      type: 'string',
      valueName: 'url',
      description: 'Broker URL.',
      defaultText: DEFAULT_BROKER_URL
    },
    devices: {
      type: 'string',
      valueName: 'n',
      description: 'How many devices.',
      defaultText: '10'
    },
    connections: {
      type: 'string',
      valueName: 'n',
      description:
        'MQTT connections; fewer than devices makes each carry several (each signs in as its first device: brokers without per-topic ACLs only).',
      defaultText: 'one per device'
    },
    'id-prefix': {
      type: 'string',
      valueName: 'prefix',
      description: 'Device ids are <prefix>-000001-a, <prefix>-000002-a, ...',
      defaultText: 'dev'
    },
    seed: {
      type: 'string',
      valueName: 'n',
      description: 'Seed of every random draw.',
      defaultText: '1'
    },
    'interval-ms': {
      type: 'string',
      valueName: 'ms',
      description: `Between a device's readings (±10% jitter), in clock time; 1-${MAX_INTERVAL_MS}.`,
      defaultText: String(DEFAULT_INTERVAL_MS)
    },
    rate: {
      type: 'string',
      valueName: 'msg/s',
      description: 'Cap on messages per second over the whole fleet.',
      defaultText: 'none'
    },
    'device-key-secret': {
      type: 'string',
      valueName: 'secret',
      description:
        'Fleet secret: each device signs in with base64url(HMAC-SHA256(secret, deviceId)). Prefer the environment variable DEVICE_KEY_SECRET (a flag shows in ps).',
      defaultText: 'DEVICE_KEY_SECRET, else no password (anonymous broker)'
    },
    duration: {
      type: 'string',
      valueName: 'time',
      description:
        'Stop after this long in clock time: 90s, 10m, 2h, 1d (a bare number is seconds).',
      defaultText: 'until stopped'
    },
    'max-messages': {
      type: 'string',
      valueName: 'n',
      description: 'Stop after this many messages.',
      defaultText: 'no limit'
    },
    speed: {
      type: 'string',
      valueName: 'factor',
      description:
        'Simulated clock: this many simulated ms per real ms (e.g. 1440 runs a day in a minute).',
      defaultText: '1 (real time)'
    },
    start: {
      type: 'string',
      valueName: 'iso-time',
      description: 'Simulated clock start (UTC).',
      defaultText: 'now; with --speed, 00:00 UTC yesterday'
    },
    duplicate: fraction('Share of valid readings sent again after their PUBACK.'),
    late: fraction("Share of valid readings held back and sent after the device's next message."),
    malformed: fraction('Share of readings replaced by a malformed message.'),
    oversized: fraction('Share of readings replaced by an oversized one.'),
    'oversized-bytes': {
      type: 'string',
      valueName: 'bytes',
      description: 'Size of an oversized message (1025-262144).',
      defaultText: String(DEFAULT_OVERSIZED_BYTES)
    },
    'progress-ms': {
      type: 'string',
      valueName: 'ms',
      description: 'Between progress lines.',
      defaultText: '5000'
    }
  },
  examples: [
    'npm run sim:devices -- --devices 100',
    'DEVICE_KEY_SECRET=... npm run sim:devices -- --url mqtt://127.0.0.1:1884 --devices 1000 --rate 500',
    'npm run sim:devices -- --devices 20 --interval-ms 60000 --speed 1440 --duration 1d --late 0.02 --duplicate 0.01',
    'npm run sim:devices -- --devices 5 --malformed 0.1 --oversized 0.1 --max-messages 1000'
  ],
  notes: [
    'Readings are stamped in UTC and the wearers live on UTC (asleep at least 00:00-05:30). While ' +
      "the broker is unreachable devices keep publishing into mqtt.js's offline queue (QoS 1) and " +
      'catch up when it comes back. A simulated clock faster than real time overtakes it ' +
      'unless --duration stops it: an ingest service refuses readings from the future. Exit code 0 after a clean stop, 1 when messages stayed ' +
      'unacknowledged or for bad flags.'
  ]
};

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function durationValue(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw);
  if (!match)
    throw new UsageError(`Option --duration must look like 90s, 10m, 2h or 1d, got '${raw}'.`);
  const ms = Number(match[1]) * UNITS[match[2] ?? 's']!;
  if (!(ms >= 1 && ms <= 366 * 86_400_000))
    throw new UsageError('Option --duration must be from 1 ms to 366 days.');
  return Math.round(ms);
}

function urlValue(raw: string): string {
  if (!/^mqtts?:\/\//.test(raw) || !URL.canParse(raw))
    throw new UsageError('Option --url must be an mqtt:// or mqtts:// URL.');
  return raw;
}

function startValue(raw: string | undefined, simulated: boolean): number {
  if (raw === undefined) {
    // Yesterday 00:00 UTC: a simulated day then lies wholly in the past, where an ingest
    // service accepts it (the contract refuses readings more than 5 minutes ahead of its clock).
    const now = Date.now();
    return simulated ? now - (now % 86_400_000) - 86_400_000 : now;
  }
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/.test(raw) || Number.isNaN(ms))
    throw new UsageError(
      `Option --start must be a UTC date or time like 2026-12-07 or 2026-12-07T06:00:00Z, got '${raw}'.`
    );
  return ms;
}

/** The fleet the flags describe; the environment supplies the secret when the flag is absent. */
export function fleetOptions(values: ParsedValues, env: NodeJS.ProcessEnv): DeviceFleetOptions {
  const text = (name: string) => stringValue(values, name);
  const frac = (name: string) => numberInRange(name, text(name) ?? '0', 0, 1);
  const faults = {
    duplicate: frac('duplicate'),
    late: frac('late'),
    malformed: frac('malformed'),
    oversized: frac('oversized'),
    oversizedBytes: intInRange(
      'oversized-bytes',
      text('oversized-bytes') ?? String(DEFAULT_OVERSIZED_BYTES),
      1025,
      262_144
    )
  };
  if (faults.malformed + faults.oversized > 1)
    throw new UsageError('Options --malformed and --oversized must add up to at most 1.');
  const prefix = text('id-prefix') ?? 'dev';
  if (!/^[A-Za-z0-9_-]{1,54}$/.test(prefix))
    throw new UsageError('Option --id-prefix: 1-54 characters of A-Z, a-z, 0-9, _ and -.');
  const speedText = text('speed');
  const speed =
    speedText === undefined ? undefined : numberInRange('speed', speedText, 0.001, 10_000_000);
  const startText = text('start');
  const secret = text('device-key-secret') ?? (env.DEVICE_KEY_SECRET?.trim() || undefined);
  const durationText = text('duration');
  const maxText = text('max-messages');
  const rateText = text('rate');
  const connectionsText = text('connections');
  const devices = intInRange('devices', text('devices') ?? '10', 1, 100_000);
  const connections =
    connectionsText === undefined
      ? undefined
      : intInRange('connections', connectionsText, 1, devices);
  return {
    url: urlValue(text('url') ?? DEFAULT_BROKER_URL),
    devices,
    ...(connections !== undefined ? { connections } : {}),
    idPrefix: prefix,
    seed: intInRange('seed', text('seed') ?? '1', 0, 2 ** 31 - 1),
    intervalMs: intInRange(
      'interval-ms',
      text('interval-ms') ?? String(DEFAULT_INTERVAL_MS),
      1,
      MAX_INTERVAL_MS
    ),
    ...(rateText !== undefined ? { rate: numberInRange('rate', rateText, 0.01, 10_000_000) } : {}),
    ...(speed !== undefined || startText !== undefined
      ? { clock: { startMs: startValue(startText, speed !== undefined), speed: speed ?? 1 } }
      : {}),
    ...(durationText !== undefined ? { durationMs: durationValue(durationText) } : {}),
    ...(maxText !== undefined ? { maxMessages: intInRange('max-messages', maxText, 1, 1e12) } : {}),
    ...(secret !== undefined
      ? { password: (deviceId: string) => deriveDeviceKey(secret, deviceId) }
      : {}),
    faults
  };
}

function summary(report: FleetReport): string {
  const c = report.counters;
  const e = report.expectedOverall;
  return (
    `done: published ${c.published}, acked ${c.acked}, failed ${c.failed}, unacknowledged ${report.unacknowledged} ` +
    `(late ${c.late}, duplicate ${c.duplicate}, malformed ${c.malformed}, oversized ${c.oversized}; ` +
    `reconnects ${report.reconnects}); expected ${e.readings} readings, ${e.steps} steps, ` +
    `${e.calories} kcal, ${e.activeMinutes} active minutes over ${Object.keys(report.expected).length} devices`
  );
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandLine(CLI_SPEC, argv);
  if (parsed.help) {
    console.log(parsed.text);
    return 0;
  }
  const options = fleetOptions(parsed.values, process.env);
  const progressMs = intInRange(
    'progress-ms',
    stringValue(parsed.values, 'progress-ms') ?? '5000',
    100,
    3_600_000
  );
  const log = pino(
    safeLogger({ level: 'info' }, ['password', 'secret']) as LoggerOptions,
    pino.destination(2)
  );
  const fleet = await startDeviceFleet({ ...options, log });
  const first = fleet.deviceIds[0]!;
  const last = fleet.deviceIds.at(-1)!;
  console.log(
    `fleet: ${fleet.deviceIds.length} devices ${first}..${last} -> ${redactUrl(options.url!)}, ` +
      `a reading every ${options.intervalMs} ms${options.clock ? ` (simulated clock from ${new Date(options.clock.startMs).toISOString()}, x${options.clock.speed})` : ''}`
  );
  let lastPublished = 0;
  let lastAt = performance.now();
  const progress = setInterval(() => {
    const c = fleet.counters;
    const now = performance.now();
    const perSecond = ((c.published - lastPublished) * 1000) / (now - lastAt);
    [lastPublished, lastAt] = [c.published, now];
    console.log(
      `progress: published ${c.published} (${perSecond.toFixed(1)}/s) acked ${c.acked} failed ${c.failed} | ` +
        `late ${c.late} duplicate ${c.duplicate} malformed ${c.malformed} oversized ${c.oversized}`
    );
  }, progressMs);
  let listening: { dispose(): void } | undefined;
  const stopRequested = new Promise<void>((resolve) => {
    listening = listenForStop({
      onStop: (reason) => {
        log.info({ reason }, 'stopping: waiting for outstanding PUBACKs');
        resolve();
      },
      onForce: () => process.exit(130)
    });
  });
  try {
    const report = await Promise.race([fleet.done, stopRequested.then(() => fleet.stop())]);
    console.log(summary(report));
    return report.unacknowledged > 0 ? 1 : 0;
  } finally {
    clearInterval(progress);
    listening?.dispose();
  }
}

// Run only as a command: the tests import fleetOptions without starting a fleet.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(main);
