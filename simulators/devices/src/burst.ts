// Burst mode for benchmarks: every device publishes its readings as fast as the broker
// acknowledges them, through a bounded window of unacknowledged messages per connection (a
// device that waited for each PUBACK would measure round trips, one with no bound would measure
// memory). measureBrokerRate is the baseline the ingest benchmark divides by: the same burst,
// with one plain mqtt.js subscriber on every device topic counting what the broker delivers.
import mqtt from 'mqtt';
import { ALL_DEVICES_FILTER, deviceTopic } from '../../../toolkit/src/device-topic.ts';
import { connectAll, connectDevice, redactUrl } from './connection.ts';
import { DayPlans } from './day-pattern.ts';
import { DEFAULT_BROKER_URL, deviceIdOf } from './fleet.ts';
import { readingPayload } from './payload.ts';
import { ExpectedTotals, type DayTotals } from './totals.ts';

export interface BurstOptions {
  url?: string;
  devices: number;
  messagesPerDevice: number;
  /** The broker password of a device; none for an anonymous broker. */
  password?: (deviceId: string) => string;
  /** Default: `burst` and a random tag, so two runs never share device ids. */
  idPrefix?: string;
  seed?: number;
  /** Unacknowledged messages per connection. Default 64. */
  window?: number;
  /** Timestamp of each device's first reading; default so the last one is a minute ago. */
  startMs?: number;
  /** Between a device's readings' timestamps. Default 1000. */
  intervalMs?: number;
}

export interface BurstResult {
  /** Messages the broker acknowledged (all of them: a failure rejects). */
  messages: number;
  seconds: number;
  /** messages / seconds. */
  rate: number;
  deviceIds: string[];
  /** deviceId -> UTC day -> totals the ingest path must reach. */
  expected: Record<string, Record<string, DayTotals>>;
  /** performance.now() when the first message went out and when the last PUBACK came back. */
  startedAt: number;
  finishedAt: number;
}

export interface BrokerRateOptions extends BurstOptions {
  /**
   * Credentials of the counting subscriber (brokers that require them) and its client id (the
   * activity brokers let the ingest login in only with an `activity-ingest-...` id).
   */
  subscriber?: { username: string; password: string; clientId?: string };
  /**
   * QoS of the counting subscription. Default 0: Mosquitto (max_queued_messages 1000 by default)
   * silently drops QoS 1 messages beyond 1000 a subscriber has not yet taken, so a QoS 1 counter
   * on a default Mosquitto never sees a large burst complete; at QoS 0 the broker writes straight
   * to the socket and the count is exact on a local link. The baseline is the broker's raw fan-out.
   */
  subscriberQos?: 0 | 1;
  /** Give up when nothing arrives for this long. Default 30000. */
  idleTimeoutMs?: number;
}

export interface BrokerRateResult {
  messages: number;
  delivered: number;
  /** From the first publish to the last delivery. */
  seconds: number;
  /** delivered / seconds: the broker's publish → subscribe rate. */
  rate: number;
  publishRate: number;
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be 1 or more.`);
}

export function randomPrefix(name: string): string {
  return `${name}${Math.random().toString(36).slice(2, 8)}`;
}

export async function publishBurst(options: BurstOptions): Promise<BurstResult> {
  positiveInteger('devices', options.devices);
  positiveInteger('messagesPerDevice', options.messagesPerDevice);
  const window = options.window ?? 64;
  positiveInteger('window', window);
  const url = options.url ?? DEFAULT_BROKER_URL;
  const prefix = options.idPrefix ?? randomPrefix('burst');
  const intervalMs = options.intervalMs ?? 1000;
  const startMs = options.startMs ?? Date.now() - 60_000 - options.messagesPerDevice * intervalMs;
  const ids = Array.from({ length: options.devices }, (_, i) => deviceIdOf(prefix, i + 1));

  // Payloads are made before the clock starts: the burst measures the broker, not the generator.
  const plans = new DayPlans(options.seed ?? 1);
  const expected = new ExpectedTotals();
  const payloads = ids.map((deviceId) =>
    Array.from({ length: options.messagesPerDevice }, (_, i) => {
      const ts = startMs + i * intervalMs;
      const reading = {
        deviceId,
        ts: new Date(ts).toISOString(),
        ...plans.reading(deviceId, ts - intervalMs, ts)
      };
      expected.add(reading);
      return readingPayload(reading);
    })
  );
  const clients = await connectAll(ids, (deviceId) =>
    connectDevice({
      url,
      deviceId,
      ...(options.password ? { password: options.password } : {}),
      reconnectPeriodMs: 1000,
      connectTimeoutMs: 10_000
    })
  );
  try {
    const startedAt = performance.now();
    let acked = 0;
    await Promise.all(
      clients.map(
        (client, index) =>
          new Promise<void>((resolve, reject) => {
            const topic = deviceTopic(ids[index]!);
            const mine = payloads[index]!;
            let next = 0;
            let outstanding = 0;
            const pump = () => {
              while (outstanding < window && next < mine.length) {
                outstanding += 1;
                client.publish(topic, mine[next++]!, { qos: 1 }, (error) => {
                  outstanding -= 1;
                  if (error) return reject(error);
                  acked += 1;
                  if (next === mine.length && outstanding === 0) resolve();
                  else pump();
                });
              }
            };
            pump();
          })
      )
    );
    const finishedAt = performance.now();
    const seconds = (finishedAt - startedAt) / 1000;
    return {
      messages: acked,
      seconds,
      rate: acked / seconds,
      deviceIds: ids,
      expected: expected.snapshot(),
      startedAt,
      finishedAt
    };
  } finally {
    await Promise.all(clients.map((client) => client.endAsync()));
  }
}

export async function measureBrokerRate(options: BrokerRateOptions): Promise<BrokerRateResult> {
  const url = options.url ?? DEFAULT_BROKER_URL;
  const prefix = options.idPrefix ?? randomPrefix('base');
  const total = options.devices * options.messagesPerDevice;
  const subscriber = await mqtt
    .connectAsync(url, { protocolVersion: 4, clean: true, ...options.subscriber }, false)
    .catch((error: Error) => {
      throw new Error(
        `The counting subscriber could not connect to ${redactUrl(url)}: ${error.message}.`
      );
    });
  try {
    let delivered = 0;
    let lastDeliveryAt = 0;
    let allArrived: () => void = () => {};
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    subscriber.on('message', (topic) => {
      // Only this burst's devices: a shared broker may carry other traffic.
      if (!topic.split('/')[3]?.startsWith(`${prefix}-`)) return;
      delivered += 1;
      lastDeliveryAt = performance.now();
      if (delivered === total) allArrived();
    });
    await subscriber.subscribeAsync(ALL_DEVICES_FILTER, { qos: options.subscriberQos ?? 0 });
    const burst = await publishBurst({ ...options, url, idPrefix: prefix });
    const idleMs = options.idleTimeoutMs ?? 30_000;
    while (delivered < total) {
      const before = delivered;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        arrived,
        new Promise((resolve) => (timer = setTimeout(resolve, idleMs)))
      ]);
      clearTimeout(timer);
      if (delivered === before && delivered < total)
        throw new Error(
          `The broker delivered ${delivered} of ${total} messages and then nothing for ${idleMs} ms ` +
            '(a broker queue limit such as Mosquitto max_queued_messages drops QoS 1 messages a slow subscriber has not taken).'
        );
    }
    const seconds = (lastDeliveryAt - burst.startedAt) / 1000;
    return {
      messages: burst.messages,
      delivered,
      seconds,
      rate: delivered / seconds,
      publishRate: burst.rate
    };
  } finally {
    await subscriber.endAsync();
  }
}
