// How a DurablePubSubSubscriber is configured, and every default in one place.
import pino from 'pino';
import type { BackoffOptions } from '../../../../../toolkit/src/backoff.ts';
import type { LeaseDatabase } from '../../lease.ts';
import type { Logger } from '../../logger.ts';
import type { CredentialsSource } from './credentials.ts';
import type { PubSubEvent } from './event.ts';
import type { ReplayStart } from './replay-position.ts';
import type { ReplayStore } from './replay-store.ts';

export interface ReplayGap {
  subscriber: string;
  topic: string;
  /** The stored position the service refused. */
  lastReplayId: bigint;
  /** The gRPC error (code INVALID_ARGUMENT, trailer error-code ...replayid.corrupted). */
  error: Error;
  /** Where the subscription resumes once the callback returns. */
  resumeFrom: ReplayStart;
}

export interface DurablePubSubSubscriberOptions {
  /** Stable name of this consumer: the key of its stored position and of its lease. */
  subscriber: string;
  /** e.g. `/event/Account_Sync__e`. */
  topic: string;
  /** `host:port` of the Pub/Sub API (api.pubsub.salesforce.com:7443 for a real org). */
  pubSubEndpoint: string;
  credentials: CredentialsSource;
  /** false only for a local server with a self-signed certificate (the emulator). */
  rejectUnauthorizedSsl?: boolean;
  replayStore: ReplayStore;
  /** Processes one event; resolve when done. A rejection re-delivers from the last commit. */
  handler?: (event: PubSubEvent) => Promise<void>;
  /**
   * Instead of `handler`: processes every event queued at the time (in delivery order, at most
   * one FetchRequest's worth) in one call, e.g. one INSERT for all of them. Same contract: a
   * rejection re-delivers the whole batch from the last commit.
   */
  batchHandler?: (events: PubSubEvent[]) => Promise<void>;
  /** Awaited before resuming after a replay gap; reconcile what may have been missed there. */
  onReplayGap?: (gap: ReplayGap) => Promise<void> | void;
  /** Where a subscriber without a stored position starts (default EARLIEST: nothing retained is missed). */
  initialReplay?: ReplayStart;
  /** Where to resume after a replay gap (default EARLIEST). */
  replayGapResume?: ReplayStart;
  /** Events per FetchRequest, 1..100 (default 100). */
  batchSize?: number;
  /** How often processed events of an unfinished batch are committed (default 1000 ms). */
  commitIntervalMs?: number;
  /** Reconnect backoff: first delay and cap (defaults 500 ms and 30 s), with jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * Commit the latest replay id of keepalives when idle (default true), so a stored position on
   * a quiet topic does not age out of the retention window.
   */
  checkpointKeepalives?: boolean;
  /** Single consumer across instances: the database holding the lease (omit for one instance). */
  lease?: { db: LeaseDatabase; retryMs?: number; heartbeatMs?: number };
  /**
   * Reconnect when nothing (event or keepalive) arrived for this long (default 330 s: the
   * service sends a keepalive at least every 270 s).
   */
  idleTimeoutMs?: number;
  logger?: Logger;
}

/** The client caps one FetchRequest at 100 events. */
const MAX_BATCH = 100;

export interface ResolvedOptions {
  subscriber: string;
  topic: string;
  pubSubEndpoint: string;
  credentials: CredentialsSource;
  rejectUnauthorizedSsl: boolean;
  replayStore: ReplayStore;
  handler: DurablePubSubSubscriberOptions['handler'];
  batchHandler: DurablePubSubSubscriberOptions['batchHandler'];
  onReplayGap: DurablePubSubSubscriberOptions['onReplayGap'];
  initialReplay: ReplayStart;
  replayGapResume: ReplayStart;
  batchSize: number;
  commitIntervalMs: number;
  /** Reconnect backoff, doubling per failed attempt. */
  backoff: BackoffOptions;
  checkpointKeepalives: boolean;
  lease: { db: LeaseDatabase; retryMs: number; heartbeatMs: number } | undefined;
  idleTimeoutMs: number;
  logger: Logger;
}

/** Validates the options (throwing on a misconfiguration) and fills in the defaults. */
export function resolveOptions(options: DurablePubSubSubscriberOptions): ResolvedOptions {
  if (options.subscriber.trim() === '') throw new Error('subscriber name is required');
  if (!/^\/(event|data)\/\S+$/.test(options.topic)) {
    throw new Error(`topic must look like /event/Name__e, got ${options.topic}`);
  }
  if ((options.handler === undefined) === (options.batchHandler === undefined)) {
    throw new Error('pass exactly one of handler and batchHandler');
  }
  const batchSize = options.batchSize ?? MAX_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
    throw new Error(`batchSize must be an integer in 1..${MAX_BATCH}, got ${batchSize}`);
  }
  const lease = options.lease;
  return {
    subscriber: options.subscriber,
    topic: options.topic,
    pubSubEndpoint: options.pubSubEndpoint,
    credentials: options.credentials,
    rejectUnauthorizedSsl: options.rejectUnauthorizedSsl ?? true,
    replayStore: options.replayStore,
    handler: options.handler,
    batchHandler: options.batchHandler,
    onReplayGap: options.onReplayGap,
    initialReplay: options.initialReplay ?? 'EARLIEST',
    replayGapResume: options.replayGapResume ?? 'EARLIEST',
    batchSize,
    commitIntervalMs: options.commitIntervalMs ?? 1000,
    backoff: {
      initialDelayMs: options.backoff?.initialMs ?? 500,
      maxDelayMs: options.backoff?.maxMs ?? 30_000,
      factor: 2
    },
    checkpointKeepalives: options.checkpointKeepalives ?? true,
    lease:
      lease === undefined
        ? undefined
        : { db: lease.db, retryMs: lease.retryMs ?? 1000, heartbeatMs: lease.heartbeatMs ?? 2000 },
    // The service sends a keepalive at least every 270 s.
    idleTimeoutMs: options.idleTimeoutMs ?? 330_000,
    logger: options.logger ?? pino({ level: 'silent' })
  };
}
