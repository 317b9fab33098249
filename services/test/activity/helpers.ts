// Helpers of the activity tests: MQTT clients that connect or fail fast, waiting for a condition,
// and readings as the contract writes them.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';

/** Connects once (no reconnect); rejects on a refused login. */
export async function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

/** Polls until check() returns a value other than undefined/false, or fails after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export interface ReadingFields {
  steps?: number;
  heartRate?: number | null;
  calories?: number;
  activeMinutes?: number;
}

export function readingPayload(
  deviceId: string,
  ts: Date | string,
  fields: ReadingFields = {}
): string {
  return JSON.stringify({
    deviceId,
    ts: typeof ts === 'string' ? ts : ts.toISOString(),
    steps: fields.steps ?? 10,
    heartRate: fields.heartRate === undefined ? 90 : fields.heartRate,
    calories: fields.calories ?? 1,
    activeMinutes: fields.activeMinutes ?? 0.1
  });
}

export async function publishReading(
  client: MqttClient,
  deviceId: string,
  ts: Date | string,
  fields: ReadingFields = {}
): Promise<void> {
  await client.publishAsync(deviceTopic(deviceId), readingPayload(deviceId, ts, fields), {
    qos: 1
  });
}

/** Collects what a client receives. */
export function collect(client: MqttClient): Array<{ topic: string; payload: string }> {
  const seen: Array<{ topic: string; payload: string }> = [];
  client.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  return seen;
}

/** The SUBACK codes of a subscription (mqtt.js rejects when the broker refused any). */
export async function grants(client: MqttClient, topics: string[]): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(topics, { qos: 1 });
    return granted.map((g) => g.qos);
  } catch (error) {
    const packet = (error as { packet?: { granted?: Array<number | { qos: number }> } }).packet;
    if (!packet?.granted) throw error;
    return packet.granted.map((g) => (typeof g === 'number' ? g : g.qos));
  }
}

/**
 * For a test that needs a system service (Mosquitto): false (run) on CI, where its absence is a
 * failure; elsewhere the reason to skip when it is missing.
 */
export function skipUnless(available: boolean, what: string): string | false {
  if (available || process.env.CI === 'true') return false;
  return `${what} is not available on this machine (CI runs it)`;
}

/** Whether something accepts TCP connections at host:port. */
export async function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.on('connect', () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
  });
}
