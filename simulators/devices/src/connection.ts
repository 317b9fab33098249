// One device's MQTT connection: username = client id = device id (what device firmware must send:
// the activity brokers make a device's client id its device id anyway, so no device can take
// another's or the ingest worker's session), the password the fleet's function gives (none for an
// anonymous broker; generation 0 of the derived key, so a device that moved to another user needs
// the registry's answer instead), a clean session, and mqtt.js's own reconnection. While the
// connection is down mqtt.js keeps QoS 1 publishes in its outgoing store and sends them after it
// reconnects (its offline queue), so a broker restart delays readings rather than losing them;
// the fleet's in-flight window bounds how much piles up there.
import mqtt, { type MqttClient } from 'mqtt';

export interface ConnectionOptions {
  url: string;
  deviceId: string;
  password?: (deviceId: string) => string;
  reconnectPeriodMs: number;
  connectTimeoutMs: number;
}

/** A failure to reach or sign in to the broker, worded for the person running the fleet. */
export class BrokerConnectError extends Error {
  override readonly name = 'BrokerConnectError';
  describeFailure(): string {
    return this.message;
  }
}

export async function connectDevice(options: ConnectionOptions): Promise<MqttClient> {
  const { deviceId } = options;
  try {
    // allowRetries false: the first failure rejects (a wrong URL or password should say so, not
    // retry forever); once connected, reconnectPeriod takes over.
    const client = await mqtt.connectAsync(
      options.url,
      {
        clientId: deviceId,
        username: deviceId,
        ...(options.password ? { password: options.password(deviceId) } : {}),
        clean: true,
        reconnectPeriod: options.reconnectPeriodMs,
        connectTimeout: options.connectTimeoutMs,
        protocolVersion: 4
      },
      false
    );
    return client;
  } catch (error) {
    const reason = (error as Error).message;
    throw new BrokerConnectError(
      `Device ${deviceId} could not connect to ${redactUrl(options.url)}: ${reason}.`
    );
  }
}

/** The broker URL without any credentials in it, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'the broker';
  }
}

/** Connects a few at a time: a thousand simultaneous CONNECTs is a thundering herd. */
export async function connectAll(
  ids: readonly string[],
  connect: (id: string) => Promise<MqttClient>
): Promise<MqttClient[]> {
  const clients: MqttClient[] = new Array<MqttClient>(ids.length);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < ids.length) {
      const index = next++;
      try {
        clients[index] = await connect(ids[index]!);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(50, ids.length) }, worker));
  if (failure !== undefined) {
    await Promise.all(clients.filter(Boolean).map((client) => client.endAsync(true)));
    throw failure;
  }
  return clients;
}
