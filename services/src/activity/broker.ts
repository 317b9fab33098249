// The embedded MQTT broker (aedes, MQTT 3.1.1) the lab and tests use when MQTT_URL is unset, with
// the same rules the production broker enforces through its password and ACL files
// (services/src/activity/mosquitto/):
//   - a device logs in as username = its deviceId, password = deriveDeviceKey(ACTIVITY_DEVICE_KEY,
//     deviceId, generation) (derived: the broker stores no per-device secret), and may only
//     PUBLISH, never retained, on its own topic (deviceTopic(deviceId)); it subscribes to nothing,
//     so it never sees others' data. Its client id IS its device id: whatever id it sends, the
//     broker replaces it (Mosquitto: use_username_as_clientid), so no device can take the
//     persistent session of the ingest worker or of another device. Device firmware and the
//     fleet simulator send clientId = deviceId anyway.
//   - with `lookupDevice` (the service and the lab): only registered devices log in, with their
//     current key generation; a moved or deleted device's open connection is closed at its next
//     publish once the lookup's cache has expired (a few seconds);
//   - the ingest user (ACTIVITY_MQTT_USERNAME, or any `activity-ingest-<n>`, the per-worker names
//     production uses) may only SUBSCRIBE to activity/v1/...; it publishes nothing; its client
//     id must start with `activity-ingest-` (device ids never do: the registry refuses them);
//   - anyone else is refused at CONNECT.
// Before aedes sees a socket, connection-guard.ts caps connections per address and in total and
// drops a first packet that is not a small CONNECT.
// aedes has no `$share/` subscriptions: the workers split the topics by partition instead.
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { once } from 'node:events';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import type { DeviceLookup } from './device-lookup.ts';
import {
  DEFAULT_CONNECTION_LIMITS,
  guardedHandler,
  type ConnectionLimits
} from './connection-guard.ts';
import {
  DEVICE_ID_PATTERN,
  DEVICE_TOPIC_ROOT,
  deviceTopic
} from '../../../toolkit/src/device-topic.ts';
import { isDeviceKey } from '../../../toolkit/src/device-key.ts';
import type { Logger } from '../platform/index.ts';

/** Client ids (and usernames) of the ingest workers; no device id may start with it. */
export const INGEST_PREFIX = 'activity-ingest';
const INGEST_CLIENT_ID = /^activity-ingest-[A-Za-z0-9_-]{1,64}$/;
const INGEST_USERNAME = /^activity-ingest-\d{1,4}$/;

/** Whether `deviceId` is reserved for the ingest workers (registry and broker refuse it). */
export function isReservedDeviceId(deviceId: string): boolean {
  return deviceId.toLowerCase().startsWith(INGEST_PREFIX);
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
  /**
   * The registry: a device logs in only while registered, with its current key generation
   * (unset: every device id with a generation-0 key, as in broker-only tests and benches).
   */
  lookupDevice?: DeviceLookup;
}

type Role =
  { kind: 'ingest' } | { kind: 'device'; deviceId: string; topic: string; generation: number };

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
  const registered = async (deviceId: string): Promise<number | undefined> =>
    credentials.lookupDevice ? (await credentials.lookupDevice(deviceId))?.generation : 0;
  return {
    authenticate(client, username, password, done) {
      const name = username ?? '';
      const refuse = (why: string) => {
        // The username is not logged: a device id is personal data of its owner.
        logger?.warn({ clientId: client.id.slice(0, 64), why }, 'mqtt login refused');
        done(refusal('Bad username or password', BAD_LOGIN) as never, false);
      };
      const accept = (role: Role) => {
        roles.set(client, role);
        done(null, true);
      };
      if (name === credentials.ingest.username || INGEST_USERNAME.test(name)) {
        if (!sameSecret(password, credentials.ingest.password)) return refuse('password');
        // The workers' persistent sessions live under these ids (device ids never start so).
        if (!INGEST_CLIENT_ID.test(client.id)) return refuse('ingest client id');
        return accept({ kind: 'ingest' });
      }
      const deviceKey = credentials.deviceKey;
      if (deviceKey === undefined || !DEVICE_ID_PATTERN.test(name) || isReservedDeviceId(name))
        return refuse('user');
      void registered(name).then(
        (generation) => {
          if (generation === undefined) return refuse('not registered');
          if (password === undefined || !isDeviceKey(deviceKey, name, password, generation))
            return refuse('password');
          // Its session is the device's own, whatever client id it sent (aedes registers the
          // client, taking over an older one with the same id, after authenticate).
          client.id = name;
          accept({ kind: 'device', deviceId: name, topic: deviceTopic(name), generation });
        },
        (error: unknown) => {
          logger?.error({ err: error }, 'mqtt device lookup failed');
          refuse('lookup failed');
        }
      );
    },
    authorizePublish(client, packet, callback) {
      // client null: the broker's own messages ($SYS).
      if (!client) return callback(null);
      const role = roles.get(client);
      // Retained messages would be stored on the broker for any later subscriber: never.
      if (role?.kind !== 'device' || packet.topic !== role.topic || packet.retain)
        return callback(new Error('publish not authorized'));
      if (!credentials.lookupDevice) return callback(null);
      // Still registered with the key it logged in with? (Cached: one read per TTL.) A refusal
      // closes the connection; its next login is refused.
      void registered(role.deviceId).then(
        (generation) =>
          callback(generation === role.generation ? null : new Error('device revoked')),
        () => callback(new Error('device lookup failed'))
      );
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
  /** Socket limits (defaults: DEFAULT_CONNECTION_LIMITS). */
  limits?: Partial<ConnectionLimits>;
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

async function listenOn(
  broker: Aedes,
  host: string,
  port: number,
  limits: ConnectionLimits,
  logger: Logger | undefined
): Promise<net.Server> {
  const server = net.createServer(
    guardedHandler(
      (socket) => broker.handle(socket),
      limits,
      (reason) => logger?.warn({ reason }, 'mqtt connection dropped')
    )
  );
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
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const settings = { ...rules, connectTimeout: limits.connectTimeoutMs };
  let broker = await Aedes.createBroker({ ...settings });
  // Kept over restarts: aedes closes clients but leaves its persistence intact.
  const persistenceOf = (running: Aedes) =>
    (running as unknown as { persistence: unknown }).persistence;
  let persistence = persistenceOf(broker);
  let server = await listenOn(broker, host, options.port ?? 0, limits, options.logger);
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
      broker = await Aedes.createBroker({
        ...settings,
        ...(forgetSessions ? {} : { persistence })
      });
      persistence = persistenceOf(broker);
      server = await listenOn(broker, host, port, limits, options.logger);
      stopped = false;
    }
  };
}

/** The embedded broker's refusal codes, for tests and docs. */
export const BROKER_REFUSALS = { badLogin: BAD_LOGIN, subscribe: 0x80 } as const;
