// Brokers for the tests: the machine's Mosquitto (anonymous) and an in-process aedes, optionally
// checking each device's derived key; and a subscriber that records what the broker delivered.
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { ALL_DEVICES_FILTER } from '../../../../toolkit/src/device-topic.ts';
import { isDeviceKey } from '../../../../toolkit/src/device-key.ts';

export const MOSQUITTO_URL = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

export interface TestBroker {
  url: string;
  /** Connections refused for a wrong password. */
  refused: string[];
  close(): Promise<void>;
}

/** An aedes broker on a free port; with a secret, it requires each device's derived key. */
export async function startAedes(
  options: { deviceKeySecret?: string; port?: number } = {}
): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const refused: string[] = [];
  const secret = options.deviceKeySecret;
  if (secret !== undefined) {
    broker.authenticate = (client, username, password, done) => {
      if (username === client.id && password && isDeviceKey(secret, username, password))
        return done(null, true);
      if (username === 'collector' && password?.toString() === secret) return done(null, true);
      refused.push(client.id);
      const error = new Error('bad device key') as AuthenticateError;
      error.returnCode = 4;
      done(error, false);
    };
  }
  const server: Server = createServer(broker.handle);
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    refused,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
}

export interface Delivery {
  topic: string;
  payload: Buffer;
}

export interface Collector {
  deliveries: Delivery[];
  close(): Promise<void>;
}

/**
 * Subscribes to every device topic (QoS 1) and records deliveries of devices whose id starts
 * with `prefix`: the machine's Mosquitto is shared with other tests.
 */
export async function collect(
  url: string,
  prefix: string,
  auth?: { username: string; password: string }
): Promise<Collector> {
  const client: MqttClient = await mqtt.connectAsync(url, { protocolVersion: 4, ...auth }, false);
  const deliveries: Delivery[] = [];
  client.on('message', (topic, payload) => {
    if (topic.split('/')[3]?.startsWith(prefix)) deliveries.push({ topic, payload });
  });
  await client.subscribeAsync(ALL_DEVICES_FILTER, { qos: 1 });
  return { deliveries, close: () => client.endAsync() };
}

/** A prefix no other run uses, so tests on a shared broker see only their own devices. */
export function uniquePrefix(name: string): string {
  return `${name}${Math.random().toString(36).slice(2, 8)}`;
}
