// The subscriber's lifecycle around its connections: start/stop, the lease, reconnecting with
// backoff, replay gaps, and what it reports (state, health, events). The guarantees it gives are
// listed in index.ts.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { equalJitteredDelay } from '../../../../../toolkit/src/backoff.ts';
import { startExclusiveDuty, type ExclusiveDuty } from '../../lease.ts';
import { clientLoggerFor, connectClient, type ClientLogger } from './client.ts';
import { PubSubConnection, type ConnectionOutcome, type ConnectionResult } from './connection.ts';
import { ConnectionCredentials } from './credentials.ts';
import { asError, isReplayIdRejection } from './errors.ts';
import { HealthTracker, type SubscriberHealth, type SubscriberState } from './health.ts';
import {
  resolveOptions,
  type DurablePubSubSubscriberOptions,
  type ReplayGap,
  type ResolvedOptions
} from './options.ts';
import { ReplayPosition } from './replay-position.ts';

/** The stored replay id was refused on a connection that got nowhere. */
type Outcome = ConnectionOutcome | { kind: 'replay-gap'; error: Error; lastReplayId: bigint };

/**
 * Exponents past this are beyond any cap anyway; bounding them keeps the delay finite (an
 * unbounded one overflows to Infinity, and 0 * Infinity is NaN with a 0 ms initial delay).
 */
const MAX_BACKOFF_EXPONENT = 30;

/**
 * A durable subscription to one topic (see index.ts). Events: 'state' (SubscriberState),
 * 'event-processed' (PubSubEvent), 'committed' (bigint), 'replay-gap' (ReplayGap),
 * 'handler-error' (Error, PubSubEvent), 'connection-error' (Error). There is deliberately no
 * 'error' event: nothing here can become an unhandled EventEmitter error.
 */
export class DurablePubSubSubscriber extends EventEmitter {
  private readonly options: ResolvedOptions;
  private readonly clientLogger: ClientLogger;
  private readonly position: ReplayPosition;
  private readonly credentials: ConnectionCredentials;
  private readonly healthTracker = new HealthTracker();
  private currentState: SubscriberState = 'idle';
  private connection: PubSubConnection | undefined;
  private readonly stopController = new AbortController();
  private running: Promise<void> | undefined;
  private duty: ExclusiveDuty | undefined;
  /** Masked in health reasons. */
  private accessToken: string | undefined;

  constructor(options: DurablePubSubSubscriberOptions) {
    super();
    this.options = resolveOptions(options);
    this.clientLogger = clientLoggerFor(this.options.logger);
    this.credentials = new ConnectionCredentials(this.options.credentials);
    this.position = new ReplayPosition({
      replayStore: this.options.replayStore,
      subscriber: this.options.subscriber,
      topic: this.options.topic,
      logger: this.options.logger,
      onCommitted: (replayId) => this.emit('committed', replayId)
    });
  }

  get state(): SubscriberState {
    return this.currentState;
  }

  /** The last committed replay id known to this instance. */
  get committedReplayId(): bigint | undefined {
    return this.position.committed;
  }

  /**
   * Readiness: not ok once a connection attempt failed, until a later one is accepted by the
   * server; ok otherwise, and always while idle, stopped or waiting for the lease (a standby is
   * healthy). See health.ts.
   */
  health(): SubscriberHealth {
    return this.healthTracker.report(this.currentState);
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
      { retryMs: lease.retryMs, heartbeatMs: lease.heartbeatMs, logger: this.options.logger }
    );
    this.running = Promise.resolve();
  }

  /** Stops: ends the subscription, lets the running handler finish, commits, releases the lease. */
  async stop(): Promise<void> {
    this.stopController.abort();
    this.connection?.stop();
    await this.duty?.stop();
    await this.running;
    await this.position.settled();
    this.setState('stopped');
  }

  private setState(state: SubscriberState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emit('state', state);
  }

  /** Connects, reconnects with backoff, until `signal` aborts. */
  private async runSubscription(signal: AbortSignal): Promise<void> {
    // A new run (start, or the lease taken over again): failures of an earlier one are history.
    this.healthTracker.recovered();
    let attempt = 0;
    while (!signal.aborted) {
      this.setState('connecting');
      let outcome: Outcome;
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
        if (await this.reportReplayGap(outcome.lastReplayId, outcome.error)) {
          attempt = 0;
          continue;
        }
      } else if (outcome.kind === 'failed') {
        this.emit('connection-error', outcome.error);
        this.options.logger.warn(
          { err: outcome.error, topic: this.options.topic },
          'subscription failed'
        );
        this.healthTracker.failed(outcome.error, [this.accessToken]);
        if (outcome.authFailure) this.credentials.rejected();
      } else {
        this.options.logger.info({ topic: this.options.topic }, 'subscription ended by the server');
      }

      const backoff = equalJitteredDelay(
        Math.min(attempt++, MAX_BACKOFF_EXPONENT),
        this.options.backoff
      );
      this.setState('backoff');
      try {
        await sleep(backoff, undefined, { signal });
      } catch {
        break;
      }
    }
  }

  /** One connection from the stored position (or a preset); resolves when it is over. */
  private async runConnection(signal: AbortSignal): Promise<{
    outcome: Outcome;
    progressed: boolean;
  }> {
    const { options } = this;
    const from = await this.position.reload(options.initialReplay);
    const credentials = await this.credentials.next();
    this.accessToken = credentials.accessToken;
    if (signal.aborted) return { outcome: { kind: 'stopped' }, progressed: false };

    const client = await connectClient(credentials, options, this.clientLogger);
    const connection = new PubSubConnection(client, this.position, options, {
      logger: options.logger,
      subscribed: () => {
        this.setState('subscribed');
        options.logger.info(
          {
            subscriber: options.subscriber,
            topic: options.topic,
            from: typeof from === 'bigint' ? 'CUSTOM' : from,
            replayId: typeof from === 'bigint' ? from.toString() : undefined
          },
          'subscribed'
        );
      },
      progressed: () => this.healthTracker.recovered(),
      eventProcessed: (event) => this.emit('event-processed', event),
      handlerFailed: (error, event) => this.emit('handler-error', error, event)
    });
    this.connection = connection;
    let result: ConnectionResult;
    try {
      result = await connection.run(from, signal);
    } finally {
      if (this.connection === connection) this.connection = undefined;
    }
    const { outcome, progressed } = result;
    if (
      outcome.kind === 'failed' &&
      typeof from === 'bigint' &&
      !progressed &&
      isReplayIdRejection(outcome.error)
    ) {
      return {
        outcome: { kind: 'replay-gap', error: outcome.error, lastReplayId: from },
        progressed
      };
    }
    return result;
  }

  /**
   * Lets the application reconcile before the subscription resumes past a gap. Resolves false
   * when `onReplayGap` failed: the gap is then reported again on the next attempt rather than
   * skipped.
   */
  private async reportReplayGap(lastReplayId: bigint, error: Error): Promise<boolean> {
    const gap: ReplayGap = {
      subscriber: this.options.subscriber,
      topic: this.options.topic,
      lastReplayId,
      error,
      resumeFrom: this.options.replayGapResume
    };
    this.options.logger.warn(
      { subscriber: gap.subscriber, topic: gap.topic, lastReplayId: lastReplayId.toString() },
      'stored replay id rejected by the server: replay gap'
    );
    try {
      this.emit('replay-gap', gap);
      await this.options.onReplayGap?.(gap);
      this.position.resumeAfterGap(gap.resumeFrom);
      return true;
    } catch (error) {
      this.options.logger.error({ err: error }, 'onReplayGap failed; will report the gap again');
      this.healthTracker.failed(asError(error), [this.accessToken]);
      return false;
    }
  }
}
