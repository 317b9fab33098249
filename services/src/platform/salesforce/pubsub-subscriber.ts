// A durable Salesforce Pub/Sub API subscriber built on salesforce-pubsub-api-client.
//
// Guarantees and how they are kept:
//  * At-least-once, nothing skipped. The replay id of an event is written to the ReplayStore
//    only after the handler succeeded for it and for every event delivered before it; on start
//    (and on every reconnect) the subscription resumes with preset CUSTOM after the stored id.
//    A crash replays what was processed but not yet committed: handlers must be idempotent.
//  * Flow control. Events are requested in batches (FetchRequest num_requested); the next batch
//    is requested only after the previous one was processed and committed.
//  * Reconnects with exponential backoff and jitter, on a NEW client each time: re-subscribing
//    on one client silently ignores the new replay position.
//  * No crash on late server cancels: the client's close() leaves the gRPC call open, and a
//    later CANCELLED from the server would be an unhandled 'error' event. The subscriber keeps
//    hold of the call (grpc-call-capture.ts), re-attaches a listener after close() and cancels
//    it. Callbacks from an old connection are ignored.
//  * Replay gaps are reported, never skipped silently. When the stored replay id is rejected
//    (error-code sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted: outside the
//    72 h retention window, or invalidated by a stream reset) `onReplayGap` is awaited, so the
//    application can reconcile, and only then does the subscription resume from EARLIEST (or
//    the configured preset).
//  * Single consumer. With a database, the subscription runs only while this instance holds the
//    PostgreSQL advisory-lock lease `pubsub:<subscriber>:<topic>` (lease.ts); when the holder
//    dies its session ends, the lock is freed and another instance takes over.
//
// The client decodes replay ids to JavaScript numbers (exact up to 2^53, far above the ids
// orgs hand out); the handler receives them as bigint.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import type { SubscribeCallback, SubscriptionInfo } from 'salesforce-pubsub-api-client';
import type { LeaseDatabase } from '../lease.ts';
import { startExclusiveDuty } from '../lease.ts';
import type { ExclusiveDuty } from '../lease.ts';
import type { Logger } from '../logger.ts';
import { captureClientStreams } from './grpc-call-capture.ts';
import type { CapturedCall } from './grpc-call-capture.ts';
import type { ReplayStore } from './replay-store.ts';
import type { TokenProvider } from './token-provider.ts';

/** Error codes of the Pub/Sub API this subscriber reacts to (gRPC trailer `error-code`). */
export const PUBSUB_ERROR_CODES = {
  replayIdCorrupted: 'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted',
  authError: 'sfdc.platform.eventbus.grpc.service.auth.error'
} as const;

const GRPC_UNAUTHENTICATED = 16;
/** The client caps one FetchRequest at 100 events. */
const MAX_BATCH = 100;

export type ReplayStart = 'EARLIEST' | 'LATEST';

export interface PubSubCredentials {
  accessToken: string;
  /** https URL of the org (the client rejects anything else). */
  instanceUrl: string;
  /** 15- or 18-character org id (tenant id). */
  organizationId: string;
}

/**
 * Static credentials, or a provider called before every connection; `forceRefresh` is true after
 * the server rejected the previous token (UNAUTHENTICATED).
 */
export type CredentialsSource =
  PubSubCredentials | ((options: { forceRefresh: boolean }) => Promise<PubSubCredentials>);

/**
 * Credentials from the platform's TokenProvider (any OAuth flow): a rejected token is
 * invalidated and a fresh one fetched. The org id comes from `organizationId`, else the identity
 * URL (`.../id/00D.../005...`), else the access token's `00D...!` prefix.
 */
export function pubSubCredentialsFrom(
  tokenProvider: Pick<TokenProvider, 'getToken' | 'invalidate'>,
  organizationId?: string
): CredentialsSource {
  let last: string | undefined;
  return async ({ forceRefresh }) => {
    if (forceRefresh && last !== undefined) tokenProvider.invalidate(last);
    const token = await tokenProvider.getToken();
    last = token.accessToken;
    const orgId =
      organizationId ??
      /\/id\/(00D[0-9A-Za-z]{12,15})\//.exec(token.identityUrl ?? '')?.[1] ??
      /^(00D[0-9A-Za-z]{12})!/.exec(token.accessToken)?.[1];
    if (orgId === undefined) throw new Error('cannot tell the org id: pass organizationId');
    return {
      accessToken: token.accessToken,
      // The client insists on https; the value only travels as the `instanceurl` header, and the
      // emulator serves REST over plain http on the same host.
      instanceUrl: token.instanceUrl.replace(/^http:\/\//, 'https://'),
      organizationId: orgId
    };
  };
}

export interface PubSubEvent {
  topic: string;
  replayId: bigint;
  /** The event's EventUuid (ProducerEvent id). */
  eventUuid: string;
  schemaId: string;
  /** Field values as the client decodes the Avro record (DateTime fields are epoch ms). */
  payload: Record<string, unknown>;
}

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

export type SubscriberState =
  'idle' | 'waiting-for-lease' | 'connecting' | 'subscribed' | 'backoff' | 'stopped';

interface QueuedEvent {
  event: PubSubEvent;
}

/** Everything tied to one client / one Subscribe call. */
interface Connection {
  generation: number;
  client: PubSubApiClient;
  calls: CapturedCall[];
  /** `calls` is known to hold every stream the client opened: closing it is safe. */
  callCaptured: boolean;
  /** Events received and not yet processed, in delivery order (the first may be in progress). */
  queue: QueuedEvent[];
  /** The client reported the last event of the current request. */
  batchDone: boolean;
  pumping: Promise<void> | undefined;
  /** Set once the connection is over; resolves the connection's promise with its outcome. */
  finish: (outcome: ConnectionOutcome) => void;
  finished: boolean;
  progressed: boolean;
  /** Keepalive checkpointing: latest id of the previous keepalive, if no event came since. */
  quietKeepaliveReplayId: bigint | undefined;
  commitTimer: NodeJS.Timeout | undefined;
  /** Date.now() of the last event or keepalive (or of the subscribe request). */
  lastActivity: number;
}

type ConnectionOutcome =
  | { kind: 'stopped' }
  | { kind: 'failed'; error: Error; authFailure: boolean }
  | { kind: 'replay-gap'; error: Error; lastReplayId: bigint }
  | { kind: 'ended' };

function errorCodeOf(error: unknown): string | undefined {
  const metadata = (error as { metadata?: { get?: (key: string) => unknown[] } } | undefined)
    ?.metadata;
  const value = typeof metadata?.get === 'function' ? metadata.get('error-code')[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The server refused the CUSTOM replay id (aged out of retention, or a reset stream). */
export function isReplayIdRejection(error: unknown): boolean {
  if (errorCodeOf(error) === PUBSUB_ERROR_CODES.replayIdCorrupted) return true;
  // A proxy may drop trailers: the status text says it too.
  const details = (error as { details?: unknown } | undefined)?.details;
  return (
    (error as { code?: unknown } | undefined)?.code === 3 &&
    typeof details === 'string' &&
    /replay id validation failed/i.test(details)
  );
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * See the file comment. Events: 'state' (SubscriberState), 'event-processed' (PubSubEvent),
 * 'committed' (bigint), 'replay-gap' (ReplayGap), 'handler-error' (Error, PubSubEvent),
 * 'connection-error' (Error). There is deliberately no 'error' event: nothing here can become an
 * unhandled EventEmitter error.
 */
export class DurablePubSubSubscriber extends EventEmitter {
  private readonly options: Required<
    Pick<
      DurablePubSubSubscriberOptions,
      | 'initialReplay'
      | 'replayGapResume'
      | 'batchSize'
      | 'commitIntervalMs'
      | 'checkpointKeepalives'
    >
  > &
    DurablePubSubSubscriberOptions;
  private readonly logger: Logger;
  /** What the client logs through (it wants debug/info/warn/error functions). */
  private readonly clientLogger: {
    debug: (...args: unknown[]) => void;
    info: (...args: unknown[]) => void;
    warn: (...args: unknown[]) => void;
    error: (...args: unknown[]) => void;
  };
  private currentState: SubscriberState = 'idle';
  private generation = 0;
  private connection: Connection | undefined;
  private stopController = new AbortController();
  private running: Promise<void> | undefined;
  private duty: ExclusiveDuty | undefined;
  /** The committed position (what the store holds), once known. */
  private committed: bigint | undefined;
  /** Processed, not yet committed replay ids, ascending. */
  private processed: bigint[] = [];
  /** Preset forced for the next connection (after a replay gap), until the next commit. */
  private presetOverride: ReplayStart | undefined;
  private forceCredentialRefresh = false;
  private committing: Promise<void> = Promise.resolve();

  constructor(options: DurablePubSubSubscriberOptions) {
    super();
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
    this.options = {
      ...options,
      initialReplay: options.initialReplay ?? 'EARLIEST',
      replayGapResume: options.replayGapResume ?? 'EARLIEST',
      batchSize,
      commitIntervalMs: options.commitIntervalMs ?? 1000,
      checkpointKeepalives: options.checkpointKeepalives ?? true
    };
    const logger = options.logger ?? pino({ level: 'silent' });
    this.logger = logger;
    // The client logs every batch at info level: keep that chatter at debug.
    this.clientLogger = {
      debug: () => undefined,
      info: (...args: unknown[]) =>
        logger.debug({ pubsubClient: args.map(String) }, 'pubsub client'),
      warn: (...args: unknown[]) =>
        logger.warn({ pubsubClient: args.map(String) }, 'pubsub client'),
      error: (...args: unknown[]) =>
        logger.debug({ pubsubClient: args.map(String) }, 'pubsub client error')
    };
  }

  get state(): SubscriberState {
    return this.currentState;
  }

  /** The last committed replay id known to this instance. */
  get committedReplayId(): bigint | undefined {
    return this.committed;
  }

  /** Starts subscribing in the background (after taking the lease, when configured). */
  start(): void {
    if (this.running !== undefined) throw new Error('subscriber already started');
    const lease = this.options.lease;
    if (lease === undefined) {
      this.running = this.runSubscription(this.stopController.signal);
      return;
    }
    this.setState('waiting-for-lease');
    this.duty = startExclusiveDuty(
      lease.db,
      `pubsub:${this.options.subscriber}:${this.options.topic}`,
      async (signal) => {
        await this.runSubscription(AbortSignal.any([signal, this.stopController.signal]));
        if (!this.stopController.signal.aborted) this.setState('waiting-for-lease');
      },
      {
        retryMs: lease.retryMs ?? 1000,
        heartbeatMs: lease.heartbeatMs ?? 2000,
        logger: this.logger
      }
    );
    this.running = Promise.resolve();
  }

  /** Stops: ends the subscription, lets the running handler finish, commits, releases the lease. */
  async stop(): Promise<void> {
    this.stopController.abort();
    this.connection?.finish({ kind: 'stopped' });
    await this.duty?.stop();
    await this.running;
    await this.committing;
    this.setState('stopped');
  }

  private setState(state: SubscriberState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emit('state', state);
  }

  /** Connects, reconnects with backoff, until `signal` aborts. */
  private async runSubscription(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      this.setState('connecting');
      let outcome: ConnectionOutcome;
      let progressed = false;
      try {
        const result = await this.runConnection(signal);
        outcome = result.outcome;
        progressed = result.progressed;
      } catch (error) {
        outcome = { kind: 'failed', error: asError(error), authFailure: false };
      }
      if (signal.aborted || outcome.kind === 'stopped') break;
      if (progressed) attempt = 0;

      if (outcome.kind === 'replay-gap') {
        const gap: ReplayGap = {
          subscriber: this.options.subscriber,
          topic: this.options.topic,
          lastReplayId: outcome.lastReplayId,
          error: outcome.error,
          resumeFrom: this.options.replayGapResume
        };
        this.logger.warn(
          {
            subscriber: gap.subscriber,
            topic: gap.topic,
            lastReplayId: gap.lastReplayId.toString()
          },
          'stored replay id rejected by the server: replay gap'
        );
        try {
          this.emit('replay-gap', gap);
          await this.options.onReplayGap?.(gap);
          this.presetOverride = gap.resumeFrom;
          attempt = 0;
          continue;
        } catch (error) {
          // Not resuming past the gap until the application has taken note of it.
          this.logger.error({ err: error }, 'onReplayGap failed; will report the gap again');
        }
      } else if (outcome.kind === 'failed') {
        this.emit('connection-error', outcome.error);
        this.logger.warn({ err: outcome.error, topic: this.options.topic }, 'subscription failed');
        if (outcome.authFailure) this.forceCredentialRefresh = true;
      } else {
        this.logger.info({ topic: this.options.topic }, 'subscription ended by the server');
      }

      const backoff = this.backoffDelay(attempt++);
      this.setState('backoff');
      try {
        await sleep(backoff, undefined, { signal });
      } catch {
        break;
      }
    }
  }

  private backoffDelay(attempt: number): number {
    const initial = this.options.backoff?.initialMs ?? 500;
    const max = this.options.backoff?.maxMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** Math.min(attempt, 30));
    // Equal jitter: half fixed, half random, so instances that failed together spread out.
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  private async credentials(): Promise<PubSubCredentials> {
    const source = this.options.credentials;
    const forceRefresh = this.forceCredentialRefresh;
    this.forceCredentialRefresh = false;
    return typeof source === 'function' ? source({ forceRefresh }) : source;
  }

  /** One client, one Subscribe call; resolves when it is over. */
  private async runConnection(
    signal: AbortSignal
  ): Promise<{ outcome: ConnectionOutcome; progressed: boolean }> {
    const { subscriber, topic } = this.options;
    const stored = await this.options.replayStore.load(subscriber, topic);
    this.committed = stored;
    this.processed = [];
    const credentials = await this.credentials();
    if (signal.aborted) return { outcome: { kind: 'stopped' }, progressed: false };

    const client = new PubSubApiClient(
      {
        authType: 'user-supplied',
        accessToken: credentials.accessToken,
        instanceUrl: credentials.instanceUrl,
        organizationId: credentials.organizationId,
        pubSubEndpoint: this.options.pubSubEndpoint,
        rejectUnauthorizedSsl: this.options.rejectUnauthorizedSsl ?? true
      },
      this.clientLogger
    );
    await client.connect();

    const generation = ++this.generation;
    let resolveOutcome: (outcome: ConnectionOutcome) => void = () => undefined;
    const outcome = new Promise<ConnectionOutcome>((resolve) => (resolveOutcome = resolve));
    const connection: Connection = {
      generation,
      client,
      calls: [],
      callCaptured: false,
      queue: [],
      batchDone: false,
      pumping: undefined,
      finished: false,
      progressed: false,
      quietKeepaliveReplayId: undefined,
      commitTimer: undefined,
      lastActivity: Date.now(),
      finish: (result) => {
        if (connection.finished) return;
        connection.finished = true;
        resolveOutcome(result);
      }
    };
    this.connection = connection;
    const onAbort = () => connection.finish({ kind: 'stopped' });
    signal.addEventListener('abort', onAbort, { once: true });

    const callback: SubscribeCallback = (info, type, data) => {
      try {
        this.onClientCallback(connection, info, type, data);
      } catch (error) {
        // Never let an exception travel back into the client's async stream handlers (it would
        // become an unhandled rejection there).
        connection.finish({ kind: 'failed', error: asError(error), authFailure: false });
      }
    };

    const usePreset =
      this.presetOverride ?? (stored === undefined ? this.options.initialReplay : undefined);
    // The first request asks for a single event: the client fetches the event schema on the
    // first event, and until it is cached events of later responses could overtake earlier ones.
    const firstRequest = 1;
    const captured = captureClientStreams(() => {
      try {
        if (usePreset === 'EARLIEST') {
          client.subscribeFromEarliestEvent(topic, callback, firstRequest);
        } else if (usePreset === 'LATEST') {
          client.subscribe(topic, callback, firstRequest);
        } else {
          // The client encodes with BigInt(replayId): a bigint keeps every digit.
          client.subscribeFromReplayId(topic, callback, firstRequest, stored as unknown as number);
        }
      } catch (error) {
        connection.finish({ kind: 'failed', error: asError(error), authFailure: false });
      }
    });
    connection.calls = captured.calls;
    // With the hook installed, `calls` is every stream this client opened (possibly none).
    connection.callCaptured = captured.available;
    // stop() may have come while connecting: its abort event is already gone.
    if (signal.aborted) connection.finish({ kind: 'stopped' });
    this.setState('subscribed');
    this.logger.info(
      {
        subscriber,
        topic,
        from: usePreset ?? 'CUSTOM',
        replayId: usePreset === undefined ? stored?.toString() : undefined
      },
      'subscribed'
    );

    const idleTimeoutMs = this.options.idleTimeoutMs ?? 330_000;
    connection.commitTimer = setInterval(
      () => {
        if (Date.now() - connection.lastActivity > idleTimeoutMs) {
          connection.finish({
            kind: 'failed',
            error: new Error(`nothing received for ${idleTimeoutMs} ms (not even a keepalive)`),
            authFailure: false
          });
          return;
        }
        // In a timer task: every event the client had already decoded has reached the queue.
        void this.enqueueCommit(connection);
      },
      Math.min(this.options.commitIntervalMs, idleTimeoutMs)
    );

    const result = await outcome;
    signal.removeEventListener('abort', onAbort);
    await this.teardown(connection);
    let finalOutcome = result;
    if (
      result.kind === 'failed' &&
      usePreset === undefined &&
      stored !== undefined &&
      !connection.progressed &&
      isReplayIdRejection(result.error)
    ) {
      finalOutcome = { kind: 'replay-gap', error: result.error, lastReplayId: stored };
    }
    return { outcome: finalOutcome, progressed: connection.progressed };
  }

  private onClientCallback(
    connection: Connection,
    info: SubscriptionInfo,
    type: string,
    data: unknown
  ): void {
    // Callbacks of a connection that is over (or of an older client) are ignored: its events
    // will be delivered again from the committed position.
    if (connection.finished || connection.generation !== this.generation) return;
    switch (type) {
      case 'event': {
        const raw = data as {
          id?: string;
          schemaId?: string;
          replayId: number | bigint;
          payload?: Record<string, unknown>;
        };
        connection.progressed = true;
        connection.lastActivity = Date.now();
        connection.quietKeepaliveReplayId = undefined;
        connection.queue.push({
          event: {
            topic: this.options.topic,
            replayId: BigInt(raw.replayId),
            eventUuid: raw.id ?? '',
            schemaId: raw.schemaId ?? '',
            payload: raw.payload ?? {}
          }
        });
        this.pump(connection);
        return;
      }
      case 'lastEvent':
        connection.lastActivity = Date.now();
        connection.batchDone = true;
        this.pump(connection);
        return;
      case 'grpcKeepAlive':
        connection.progressed = true;
        connection.lastActivity = Date.now();
        if (this.options.checkpointKeepalives) this.onKeepalive(connection, info);
        return;
      case 'error': {
        const error = asError(data);
        const authFailure =
          (data as { code?: unknown }).code === GRPC_UNAUTHENTICATED ||
          errorCodeOf(data) === PUBSUB_ERROR_CODES.authError;
        // An event that cannot be decoded also arrives here (EventParseError) while the stream
        // goes on: it must not be skipped, so the connection restarts from the last commit.
        connection.finish({ kind: 'failed', error, authFailure });
        return;
      }
      case 'end':
        connection.finish({ kind: 'ended' });
        return;
      default:
        // grpcStatus: informational; an error status also arrives as 'error'.
        return;
    }
  }

  /** Processes queued events in delivery order: one at a time, or all queued with batchHandler. */
  private pump(connection: Connection): void {
    if (connection.pumping !== undefined) return;
    const { handler, batchHandler } = this.options;
    connection.pumping = (async () => {
      try {
        while (!connection.finished && connection.queue.length > 0) {
          // The client decodes a response's events one microtask chain each: wait a macrotask
          // so the batch holds all of them rather than only the first.
          if (batchHandler) await new Promise((resolve) => setImmediate(resolve));
          if (connection.finished) return;
          const taken = batchHandler ? connection.queue.slice() : connection.queue.slice(0, 1);
          const events = taken.map((queued) => queued.event);
          try {
            if (batchHandler) await batchHandler(events);
            else await handler!(events[0]!);
          } catch (error) {
            this.emit('handler-error', asError(error), events[0]);
            this.logger.error(
              {
                err: error,
                replayId: events[0]!.replayId.toString(),
                events: events.length,
                topic: this.options.topic
              },
              'handler failed; the events will be delivered again'
            );
            connection.finish({ kind: 'failed', error: asError(error), authFailure: false });
            return;
          }
          connection.queue.splice(0, taken.length);
          for (const event of events) {
            this.markProcessed(event.replayId);
            this.emit('event-processed', event);
          }
        }
        if (!connection.finished && connection.batchDone && connection.queue.length === 0) {
          connection.batchDone = false;
          // Everything requested has been delivered and processed: nothing is in flight.
          const stored = await this.enqueueCommit(connection);
          if (connection.finished) return;
          if (!stored) {
            // Not asking for more while positions cannot be stored: reconnect with backoff.
            connection.finish({
              kind: 'failed',
              error: new Error('could not store the replay id'),
              authFailure: false
            });
            return;
          }
          connection.client.requestAdditionalEvents(this.options.topic, this.options.batchSize);
        }
      } catch (error) {
        connection.finish({ kind: 'failed', error: asError(error), authFailure: false });
      } finally {
        connection.pumping = undefined;
      }
      // Events that arrived while committing.
      if (!connection.finished && (connection.queue.length > 0 || connection.batchDone)) {
        this.pump(connection);
      }
    })();
  }

  private markProcessed(replayId: bigint): void {
    // Usually appended in order; keep the array sorted if the client reordered deliveries.
    let index = this.processed.length;
    while (index > 0 && this.processed[index - 1]! > replayId) index--;
    this.processed.splice(index, 0, replayId);
  }

  /**
   * The highest processed replay id that can be committed: every event delivered before it was
   * processed too. Queued (unprocessed) events bound it from above.
   */
  private commitCandidate(connection: Connection | undefined): bigint | undefined {
    let bound: bigint | undefined;
    for (const queued of connection?.queue ?? []) {
      if (bound === undefined || queued.event.replayId < bound) bound = queued.event.replayId;
    }
    let candidate: bigint | undefined;
    for (const id of this.processed) {
      if (bound !== undefined && id >= bound) break;
      candidate = id;
    }
    return candidate;
  }

  /**
   * Serializes commits; each one writes the best candidate at the time it runs. Resolves false
   * when the store failed (the events stay uncommitted and will be delivered again).
   */
  private enqueueCommit(connection: Connection | undefined): Promise<boolean> {
    const run = this.committing.then(async () => {
      const candidate = this.commitCandidate(connection);
      if (candidate === undefined) return true;
      await this.save(candidate);
      this.processed = this.processed.filter((id) => id > candidate);
      // Back on the stored position: a replay-gap override is no longer needed.
      this.presetOverride = undefined;
      return true;
    });
    const settled = run.catch((error: unknown) => {
      this.logger.error({ err: error }, 'could not store the replay id');
      return false;
    });
    this.committing = settled.then(() => undefined);
    return settled;
  }

  private async save(replayId: bigint): Promise<void> {
    if (this.committed === replayId) return;
    await this.options.replayStore.save(this.options.subscriber, this.options.topic, replayId);
    this.committed = replayId;
    this.emit('committed', replayId);
  }

  /**
   * Two consecutive keepalives with the same latest replay id and no event in between: the
   * topic had nothing new for a whole interval and everything before it was processed, so that
   * id is a safe, fresher resume point. Decided in a later task so that any event decoded in the
   * same read as the keepalive has reached the queue first.
   */
  private onKeepalive(connection: Connection, info: SubscriptionInfo): void {
    const latest = info.lastReplayId;
    if (typeof latest !== 'number' && typeof latest !== 'bigint') return;
    const latestId = BigInt(latest);
    // 0: the stream had no event yet, which is no position to resume from.
    if (latestId <= 0n) return;
    setImmediate(() => {
      if (connection.finished || connection.generation !== this.generation) return;
      const previous = connection.quietKeepaliveReplayId;
      connection.quietKeepaliveReplayId = latestId;
      const idle =
        connection.queue.length === 0 &&
        connection.pumping === undefined &&
        this.processed.length === 0;
      if (!idle || previous !== latestId) return;
      if (this.committed !== undefined && latestId <= this.committed) return;
      this.committing = this.committing
        .then(async () => {
          if (connection.quietKeepaliveReplayId !== latestId || this.processed.length > 0) return;
          await this.save(latestId);
          this.presetOverride = undefined;
        })
        .catch((error: unknown) => {
          this.logger.error({ err: error }, 'could not store the keepalive replay id');
        });
    });
  }

  /** Closes the client without leaving a call that could crash the process later. */
  private async teardown(connection: Connection): Promise<void> {
    connection.finished = true;
    if (connection.commitTimer !== undefined) clearInterval(connection.commitTimer);
    // Let a running handler finish; the queue behind it is abandoned (redelivered later).
    await connection.pumping;
    await this.enqueueCommit(connection);
    if (connection.callCaptured) {
      try {
        connection.client.close();
      } catch (error) {
        this.logger.debug({ err: error }, 'closing the Pub/Sub client failed');
      }
      for (const call of connection.calls) {
        // close() removed every listener: without this one a late CANCELLED would be fatal.
        call.on('error', () => undefined);
        try {
          call.cancel();
        } catch {
          // already over
        }
      }
    }
    // Without the call (unexpected grpc-js layout) the client is left open rather than closed:
    // its own listeners keep handling whatever the server sends, and this connection's
    // callbacks are ignored from now on.
    connection.queue = [];
    this.processed = [];
    if (this.connection === connection) this.connection = undefined;
  }
}
