// The device fleet: N virtual devices, one MQTT connection each (as real devices have), sharing
// a clock, a rate cap and a message budget, with counters and the totals the ingest path must
// arrive at. See README.md for the model and the knobs.
import { connectAll, connectDevice } from './connection.ts';
import { DayPlans } from './day-pattern.ts';
import { VirtualDevice, type FaultFractions, type FleetCounters } from './device.ts';
import { FleetClock, RateCap, type SimulatedClock } from './pacing.ts';
import { DEFAULT_OVERSIZED_BYTES, MAX_PAYLOAD_BYTES } from './payload.ts';
import { ExpectedTotals, type DayTotals } from './totals.ts';

export const DEFAULT_BROKER_URL = 'mqtt://127.0.0.1:1883';
export const DEFAULT_INTERVAL_MS = 5000;
/** The contract caps activeMinutes at 10 and steps at 1000 per reading: 5 minutes stays inside. */
export const MAX_INTERVAL_MS = 300_000;

export interface DeviceFleetOptions {
  /** Broker URL (mqtt:// or mqtts://). Default mqtt://127.0.0.1:1883. */
  url?: string;
  /** How many devices. */
  devices: number;
  /** Device ids are `{idPrefix}-{000001}-a`, numbered from firstIndex. Default 'dev'. */
  idPrefix?: string;
  /** Default 1. */
  firstIndex?: number;
  /** Everything the devices draw comes from it. Default 1. */
  seed?: number;
  /** Between a device's readings, in the fleet's clock time. Default 5000. */
  intervalMs?: number;
  /** Each interval is intervalMs × (1 ± jitter). Default 0.1. */
  jitter?: number;
  /** Cap on messages per second over the whole fleet (default none). */
  rate?: number;
  /** Simulated time; default real time. */
  clock?: SimulatedClock;
  faults?: Partial<FaultFractions>;
  /** Stop after this many messages in all (duplicates included). */
  maxMessages?: number;
  /** Stop taking readings this long after the clock's start (simulated ms with a clock). */
  durationMs?: number;
  /**
   * MQTT connections for the fleet. Default: one per device, as real devices have (and as a
   * broker that lets each device publish on its own topic only requires). Fewer connections
   * carry several devices each (a gateway, or a load generator short of sockets); each signs in
   * as its first device, so only brokers without per-topic ACLs accept the others' readings.
   */
  connections?: number;
  /** The broker password of a device; none for an anonymous broker. */
  password?: (deviceId: string) => string;
  /** Unacknowledged messages a device may have at once. Default 100. */
  maxInFlight?: number;
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  /** How long stop() waits for outstanding PUBACKs before closing anyway. Default 10000. */
  drainTimeoutMs?: number;
  log?: FleetLog;
}

export interface FleetLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface FleetReport {
  counters: FleetCounters;
  /** deviceId -> UTC day -> totals of the acknowledged valid readings, each once. */
  expected: Record<string, Record<string, DayTotals>>;
  /** The same summed over every device and day. */
  expectedOverall: DayTotals;
  /** Device connections lost and re-established during the run. */
  reconnects: number;
  /** Messages still unacknowledged when the drain timeout ran out (0 after a clean stop). */
  unacknowledged: number;
}

export interface RunningDeviceFleet {
  deviceIds: readonly string[];
  counters: Readonly<FleetCounters>;
  /** Resolves when every device is done (duration or budget reached) and drained. */
  done: Promise<FleetReport>;
  /** Graceful stop: no new readings, held-back ones sent, outstanding PUBACKs awaited. */
  stop(): Promise<FleetReport>;
  /** The report so far. */
  report(): FleetReport;
}

export function deviceIdOf(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(6, '0')}-a`;
}

function fraction(name: string, value: number | undefined): number {
  const result = value ?? 0;
  if (!(result >= 0 && result <= 1)) throw new RangeError(`Fault fraction ${name} must be 0-1.`);
  return result;
}

function faultFractions(faults: Partial<FaultFractions> = {}): FaultFractions {
  const result: FaultFractions = {
    duplicate: fraction('duplicate', faults.duplicate),
    late: fraction('late', faults.late),
    malformed: fraction('malformed', faults.malformed),
    oversized: fraction('oversized', faults.oversized),
    oversizedBytes: faults.oversizedBytes ?? DEFAULT_OVERSIZED_BYTES
  };
  if (result.malformed + result.oversized > 1)
    throw new RangeError('Fault fractions malformed + oversized must not exceed 1.');
  if (!Number.isInteger(result.oversizedBytes) || result.oversizedBytes <= MAX_PAYLOAD_BYTES)
    throw new RangeError(`oversizedBytes must be a whole number above ${MAX_PAYLOAD_BYTES}.`);
  return result;
}

export async function startDeviceFleet(options: DeviceFleetOptions): Promise<RunningDeviceFleet> {
  const { devices } = options;
  if (!Number.isInteger(devices) || devices < 1) throw new RangeError('devices must be 1 or more.');
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  if (!(intervalMs >= 1 && intervalMs <= MAX_INTERVAL_MS))
    throw new RangeError(`intervalMs must be 1-${MAX_INTERVAL_MS}.`);
  const jitter = options.jitter ?? 0.1;
  if (!(jitter >= 0 && jitter < 1)) throw new RangeError('jitter must be from 0 to below 1.');
  const faults = faultFractions(options.faults);
  const prefix = options.idPrefix ?? 'dev';
  const firstIndex = options.firstIndex ?? 1;
  const ids = Array.from({ length: devices }, (_, i) => deviceIdOf(prefix, firstIndex + i));

  const clock = new FleetClock(options.clock);
  const counters: FleetCounters = {
    published: 0,
    acked: 0,
    failed: 0,
    valid: 0,
    duplicate: 0,
    late: 0,
    malformed: 0,
    oversized: 0
  };
  const expected = new ExpectedTotals();
  const stopping = new AbortController();
  let claimed = 0;
  let reconnects = 0;

  const connections = options.connections ?? devices;
  if (!Number.isInteger(connections) || connections < 1 || connections > devices)
    throw new RangeError('connections must be 1 to the number of devices.');
  // Connection j carries devices j, j + connections, ... and signs in as the first of them.
  const connectionIds = ids.slice(0, connections);
  const clients = await connectAll(connectionIds, (deviceId) =>
    connectDevice({
      url: options.url ?? DEFAULT_BROKER_URL,
      deviceId,
      ...(options.password ? { password: options.password } : {}),
      reconnectPeriodMs: options.reconnectPeriodMs ?? 1000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000
    })
  );
  for (const [index, client] of clients.entries()) {
    const deviceId = connectionIds[index]!;
    client.on('error', (error) =>
      options.log?.warn({ deviceId, err: error.message }, 'device connection error')
    );
    client.on('offline', () =>
      options.log?.warn({ deviceId }, 'device offline; publishes queue until it reconnects')
    );
    client.on('reconnect', () => (reconnects += 1));
  }

  const context = {
    seed: options.seed ?? 1,
    intervalMs,
    jitter,
    faults,
    maxInFlight: options.maxInFlight ?? 100,
    clock,
    rateCap: new RateCap(options.rate),
    plans: new DayPlans(options.seed ?? 1),
    counters,
    expected,
    endTs: options.durationMs === undefined ? Infinity : clock.startMs + options.durationMs,
    claim: () => {
      if (options.maxMessages !== undefined && claimed >= options.maxMessages) return false;
      claimed += 1;
      return true;
    },
    stopping: stopping.signal
  };
  const fleet = ids.map(
    (deviceId, index) => new VirtualDevice(deviceId, clients[index % connections]!, context)
  );

  const report = (unacknowledged = 0): FleetReport => ({
    counters: { ...counters },
    expected: expected.snapshot(),
    expectedOverall: expected.overall(),
    reconnects,
    unacknowledged
  });

  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  let finished: Promise<FleetReport> | undefined;
  const running = Promise.all(fleet.map((device) => device.run()));
  const finish = (): Promise<FleetReport> =>
    (finished ??= (async () => {
      await running;
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        Promise.all(fleet.map((device) => device.drained())).then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), drainTimeoutMs)))
      ]);
      clearTimeout(timer);
      const unacknowledged = drained ? 0 : counters.published - counters.acked - counters.failed;
      if (!drained) options.log?.warn({ unacknowledged }, 'stopping without every PUBACK');
      await Promise.all(clients.map((client) => client.endAsync(!drained)));
      return report(unacknowledged);
    })());

  const done = running.then(finish);
  return {
    deviceIds: ids,
    counters,
    done,
    stop: () => {
      stopping.abort();
      return finish();
    },
    report: () => report()
  };
}
