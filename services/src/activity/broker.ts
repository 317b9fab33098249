// The embedded MQTT broker (aedes, MQTT 3.1.1) the lab and tests use when MQTT_URL is unset, with
// the same rules the production broker enforces through its password and ACL files
// (services/src/activity/mosquitto/):
//   - a device logs in as username = its deviceId, password = deviceKeyFor(ACTIVITY_DEVICE_KEY,
//     deviceId) (derived: the broker stores no per-device secret), and may only PUBLISH on its
//     own topic (deviceTopic(deviceId)); it subscribes to nothing, so it never sees others' data;
//   - the ingest user may only SUBSCRIBE to activity/v1/...; it publishes nothing;
//   - anyone else is refused at CONNECT.
// aedes has no `$share/` subscriptions: the workers split the topics by partition instead.
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { once } from 'node:events';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import {
  DEVICE_ID_PATTERN,
  DEVICE_TOPIC_ROOT,
  deviceTopic
} from '../../../toolkit/src/device-topic.ts';
import { deriveDeviceKey, isDeviceKey } from '../../../toolkit/src/device-key.ts';
import type { Logger } from '../platform/index.ts';

/**
 * A device's broker password: base64url(HMAC-SHA256(secret, deviceId)), the toolkit's derivation
 * the device fleet simulator signs in with.
 */
export function deviceKeyFor(secret: string, deviceId: string): string {
  return deriveDeviceKey(secret, deviceId);
}

/** Equal-length digests compared in constant time (no early exit on the first differing byte). */
function sameSecret(candidate: Buffer | string | undefined, expected: string): boolean {
  const digest = (value: Buffer | string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(candidate ?? ''), digest(expected)) && candidate !== undefined;
}

export interface BrokerCredentials {
  /** Secret of the derived device passwords (unset: no device may log in). */
  deviceKey: string | undefined;
  ingest: { username: string; password: string };
}

type Role = { kind: 'ingest' } | { kind: 'device'; topic: string };

/** aedes's return code 4 (bad username or password). */
const BAD_LOGIN = 4;

function refusal(message: string, returnCode: number): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

/** The authentication and authorization handlers of the embedded broker. */
export function brokerRules(
  credentials: BrokerCredentials,
  logger?: Logger
): Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'> {
  const roles = new WeakMap<Client, Role>();
  const ingestRoot = `${DEVICE_TOPIC_ROOT}/`;
  return {
    authenticate(client, username, password, done) {
      const name = username ?? '';
      let role: Role | undefined;
      if (name === credentials.ingest.username) {
        if (sameSecret(password, credentials.ingest.password)) role = { kind: 'ingest' };
      } else if (credentials.deviceKey !== undefined && DEVICE_ID_PATTERN.test(name)) {
        if (password !== undefined && isDeviceKey(credentials.deviceKey, name, password))
          role = { kind: 'device', topic: deviceTopic(name) };
      }
      if (!role) {
        // The username is not logged: a device id is personal data of its owner.
        logger?.warn({ clientId: client.id.slice(0, 64) }, 'mqtt login refused');
        done(refusal('Bad username or password', BAD_LOGIN) as never, false);
        return;
      }
      roles.set(client, role);
      done(null, true);
    },
    authorizePublish(client, packet, callback) {
      // client null: the broker's own messages ($SYS).
      if (!client) return callback(null);
      const role = roles.get(client);
      if (role?.kind === 'device' && packet.topic === role.topic) return callback(null);
      callback(new Error('publish not authorized'));
    },
    authorizeSubscribe(client, subscription, callback) {
      const role = roles.get(client);
      const topic = subscription.topic;
      const allowed =
        role?.kind === 'ingest' && (topic === 'activity/v1/#' || topic.startsWith(ingestRoot));
      // null subscription: a refusal in the SUBACK (0x80), the connection stays open.
      callback(null, allowed ? subscription : null);
    }
  };
}

export interface EmbeddedBrokerOptions extends BrokerCredentials {
  /** 0: any free port. */
  port?: number;
  host?: string;
  logger?: Logger;
}

export interface EmbeddedBroker {
  /** mqtt://host:port */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /**
   * Starts again on the same port (stopping first if running), keeping the sessions and their
   * queued QoS 1 messages like a production broker with persistence on; `forgetSessions`: like
   * one without (every client must subscribe again).
   */
  restart(options?: { forgetSessions?: boolean }): Promise<void>;
}

async function listenOn(broker: Aedes, host: string, port: number): Promise<net.Server> {
  const server = net.createServer((socket) => broker.handle(socket));
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}

async function closeBroker(broker: Aedes, server: net.Server): Promise<void> {
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const rules = brokerRules(options, options.logger);
  let broker = await Aedes.createBroker({ ...rules });
  // Kept over restarts: aedes closes clients but leaves its persistence intact.
  const persistenceOf = (running: Aedes) =>
    (running as unknown as { persistence: unknown }).persistence;
  let persistence = persistenceOf(broker);
  let server = await listenOn(broker, host, options.port ?? 0);
  const port = (server.address() as net.AddressInfo).port;
  let stopped = false;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await closeBroker(broker, server);
    },
    async restart({ forgetSessions = false } = {}) {
      if (!stopped) await closeBroker(broker, server);
      broker = await Aedes.createBroker({ ...rules, ...(forgetSessions ? {} : { persistence }) });
      persistence = persistenceOf(broker);
      server = await listenOn(broker, host, port);
      stopped = false;
    }
  };
}

/** The embedded broker's refusal codes, for tests and docs. */
export const BROKER_REFUSALS = { badLogin: BAD_LOGIN, subscribe: 0x80 } as const;
