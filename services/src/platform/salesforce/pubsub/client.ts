// The calls into salesforce-pubsub-api-client, kept apart from the subscriber's own logic: how a
// client is built for one connection and how a Subscribe call is started from a position.
import PubSubApiClient from 'salesforce-pubsub-api-client';
import type { SubscribeCallback } from 'salesforce-pubsub-api-client';
import type { Logger } from '../../logger.ts';
import type { PubSubCredentials } from './credentials.ts';
import type { ResumePoint } from './replay-position.ts';

export interface ClientSettings {
  pubSubEndpoint: string;
  rejectUnauthorizedSsl: boolean;
}

/** What the client logs through: it wants debug/info/warn/error functions. */
export type ClientLogger = Record<
  'debug' | 'info' | 'warn' | 'error',
  (...args: unknown[]) => void
>;

export function clientLoggerFor(logger: Logger): ClientLogger {
  // The client logs every batch at info level, and every failure at error level although the
  // subscriber handles (and logs) each one itself: keep that chatter at debug.
  return {
    debug: () => undefined,
    info: (...args: unknown[]) => logger.debug({ pubsubClient: args.map(String) }, 'pubsub client'),
    warn: (...args: unknown[]) => logger.warn({ pubsubClient: args.map(String) }, 'pubsub client'),
    error: (...args: unknown[]) =>
      logger.debug({ pubsubClient: args.map(String) }, 'pubsub client error')
  };
}

/**
 * A new client for one connection. Never reuse one across connections: subscribing again on the
 * same client reuses its cached stream and silently ignores the new replay position.
 */
export async function connectClient(
  credentials: PubSubCredentials,
  settings: ClientSettings,
  logger: ClientLogger
): Promise<PubSubApiClient> {
  const client = new PubSubApiClient(
    {
      authType: 'user-supplied',
      accessToken: credentials.accessToken,
      instanceUrl: credentials.instanceUrl,
      organizationId: credentials.organizationId,
      pubSubEndpoint: settings.pubSubEndpoint,
      rejectUnauthorizedSsl: settings.rejectUnauthorizedSsl
    },
    logger
  );
  // With user-supplied credentials this only builds the channel: an unreachable endpoint or a
  // rejected token shows up later, as an 'error' callback of the Subscribe call.
  await client.connect();
  return client;
}

/** Starts the Subscribe call (synchronously: the first FetchRequest is written before returning). */
export function subscribeFrom(
  client: PubSubApiClient,
  topic: string,
  from: ResumePoint,
  callback: SubscribeCallback
): void {
  // The first request asks for a single event: the client fetches the event schema on the
  // first event, and until it is cached events of later responses could overtake earlier ones.
  const firstRequest = 1;
  if (from === 'EARLIEST') {
    client.subscribeFromEarliestEvent(topic, callback, firstRequest);
  } else if (from === 'LATEST') {
    client.subscribe(topic, callback, firstRequest);
  } else {
    // The client encodes with BigInt(replayId): a bigint keeps every digit.
    client.subscribeFromReplayId(topic, callback, firstRequest, from as unknown as number);
  }
}
